//! Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256 (PROVIDER.md §2). The same
//! function signs our requests and, in the fake provider, checks them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// What a signature covers. Header values are the exact bytes sent.
#[derive(Clone, Debug)]
pub struct SigningInput<'a> {
    /// Host header, e.g. `sms.tencentcloudapi.com`.
    pub host: &'a str,
    /// Content-Type header as sent.
    pub content_type: &'a str,
    /// `X-TC-Action`; signed as the `x-tc-action` header when present.
    pub action: Option<&'a str>,
    /// Service name: the host's first label (`sms`).
    pub service: &'a str,
    /// `X-TC-Timestamp` (Unix seconds).
    pub timestamp: i64,
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// The pieces of a signature, exposed so tests can check each step of the published
/// example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Lower-case hex SHA-256 of the body.
    pub hashed_payload: String,
    /// The canonical request.
    pub canonical_request: String,
    /// `content-type;host[;x-tc-action]`.
    pub signed_headers: String,
    /// `YYYY-MM-DD/<service>/tc3_request` (UTC date of the timestamp).
    pub credential_scope: String,
    /// The string that is signed.
    pub string_to_sign: String,
    /// Lower-case hex signature.
    pub signature: String,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The derived signing key chain: (SecretDate, SecretService, SecretSigning).
pub fn signing_keys(secret_key: &str, date: &str, service: &str) -> [Vec<u8>; 3] {
    let secret_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac(&secret_date, service.as_bytes());
    let secret_signing = hmac(&secret_service, b"tc3_request");
    [secret_date, secret_service, secret_signing]
}

/// Signs `input` with `secret_key`.
pub fn sign(secret_key: &str, input: &SigningInput<'_>) -> Signature {
    let hashed_payload = hex::encode(Sha256::digest(input.body));
    let mut headers = vec![
        (
            "content-type",
            input.content_type.trim().to_ascii_lowercase(),
        ),
        ("host", input.host.trim().to_ascii_lowercase()),
    ];
    if let Some(action) = input.action {
        headers.push(("x-tc-action", action.trim().to_ascii_lowercase()));
    }
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request =
        format!("POST\n/\n\n{canonical_headers}\n{signed_headers}\n{hashed_payload}");
    // The date is the UTC date of the timestamp, never the local (Beijing) one.
    let date = chrono::DateTime::from_timestamp(input.timestamp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string();
    let credential_scope = format!("{date}/{}/tc3_request", input.service);
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{}\n{credential_scope}\n{}",
        input.timestamp,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let [_, _, secret_signing] = signing_keys(secret_key, &date, input.service);
    let signature = hex::encode(hmac(&secret_signing, string_to_sign.as_bytes()));
    Signature {
        hashed_payload,
        canonical_request,
        signed_headers,
        credential_scope,
        string_to_sign,
        signature,
    }
}

/// The `Authorization` header value.
pub fn authorization(secret_id: &str, signature: &Signature) -> String {
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{}, SignedHeaders={}, Signature={}",
        signature.credential_scope, signature.signed_headers, signature.signature
    )
}

/// The parts of an `Authorization` header: (secret id, credential scope, signed headers,
/// signature), or `None` when it is not a TC3 header.
pub fn parse_authorization(header: &str) -> Option<(String, String, String, String)> {
    let rest = header.strip_prefix("TC3-HMAC-SHA256 ")?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(", ") {
        let (key, value) = part.split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let (id, scope) = credential?.split_once('/')?;
    Some((
        id.to_owned(),
        scope.to_owned(),
        signed?.to_owned(),
        signature?.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    fn example(action: Option<&'static str>) -> SigningInput<'static> {
        SigningInput {
            host: "cvm.tencentcloudapi.com",
            content_type: "application/json; charset=utf-8",
            action,
            service: "cvm",
            timestamp: 1551113065,
            body: BODY.as_bytes(),
        }
    }

    #[test]
    fn the_published_worked_example_reproduces_byte_for_byte() {
        assert_eq!(BODY.len(), 86);
        let secret = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
        let sig = sign(secret, &example(None));
        assert_eq!(
            sig.hashed_payload,
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            sig.canonical_request,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            sig.string_to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let [date, service, signing] = signing_keys(secret, "2019-02-25", "cvm");
        assert_eq!(
            hex::encode(date),
            "d1308c81fe71cfd4e06437bbc067b2b8a3d2d8c0e375d547f15c41d5214b395a"
        );
        assert_eq!(
            hex::encode(service),
            "3c7cb7c7795393edc14fd2e0e6434a518564b4504b88e94f5d11bf59ba3e7050"
        );
        assert_eq!(
            hex::encode(signing),
            "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1"
        );
        assert_eq!(
            sig.signature,
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(
            authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", &sig),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn the_x_tc_action_variant_matches_the_second_check() {
        let secret = "*".repeat(32);
        let sig = sign(&secret, &example(Some("DescribeInstances")));
        assert_eq!(sig.signed_headers, "content-type;host;x-tc-action");
        assert!(
            sig.string_to_sign
                .ends_with("7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84")
        );
        assert_eq!(
            sig.signature,
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
        let header = authorization("AKID", &sig);
        let (id, scope, signed, signature) = parse_authorization(&header).unwrap();
        assert_eq!(
            (
                id.as_str(),
                scope.as_str(),
                signed.as_str(),
                signature.as_str()
            ),
            (
                "AKID",
                "2019-02-25/cvm/tc3_request",
                "content-type;host;x-tc-action",
                sig.signature.as_str()
            )
        );
    }
}
