//! WeChat push encryption (WXBizMsgCrypt, PROTOCOL.md §2): SHA-1 signatures over the
//! sorted parts, AES-256-CBC with the key's first 16 bytes as IV, PKCS#7 padding to a
//! multiple of **32** bytes, plaintext `random(16) | len (u32 BE) | msg | appid`.
//! Shared by the push endpoints (decrypt) and the simulator (encrypt), and checked
//! against the official vectors.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// Why a push was refused; each maps to a 4xx at the endpoint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    /// The EncodingAESKey is not 43 characters of base64.
    #[error("the EncodingAESKey must be 43 base64 characters")]
    BadKey,
    /// `msg_signature` (or the URL `signature`) does not match.
    #[error("signature mismatch")]
    Signature,
    /// `Encrypt` is not base64 or not a whole number of blocks.
    #[error("the encrypted text is not valid base64 of whole AES blocks")]
    Base64,
    /// Padding or length fields are inconsistent.
    #[error("the decrypted text is malformed")]
    Decrypt,
    /// The trailing appid is not our component appid.
    #[error("the message is addressed to another appid")]
    Appid,
    /// The XML carries a DOCTYPE (XXE).
    #[error("XML with a DOCTYPE is refused")]
    Doctype,
    /// The XML cannot be read.
    #[error("malformed XML: {0}")]
    Xml(String),
}

/// The keys of one platform: push token, AES key, component appid.
#[derive(Clone)]
pub struct PushCrypto {
    token: String,
    key: [u8; 32],
    appid: String,
}

impl std::fmt::Debug for PushCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushCrypto")
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

/// Real EncodingAESKeys leave non-zero trailing bits (43 chars = 258 bits), which the
/// strict engine rejects (PROTOCOL.md §2.3).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The PKCS#7 block size WeChat pads to (not AES's 16).
const PAD_BLOCK: usize = 32;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Lowercase hex SHA-1 of the lexicographically sorted parts, concatenated.
pub fn sha1_signature(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl PushCrypto {
    /// Builds the codec from the platform's push token, EncodingAESKey and appid.
    pub fn new(token: &str, encoding_aes_key: &str, appid: &str) -> Result<Self, PushError> {
        if encoding_aes_key.len() != 43 {
            return Err(PushError::BadKey);
        }
        let bytes = LENIENT_B64
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| PushError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| PushError::BadKey)?;
        Ok(Self {
            token: token.to_owned(),
            key,
            appid: appid.to_owned(),
        })
    }

    /// The appid every plaintext must end with.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// `msg_signature` of an encrypted body.
    pub fn msg_signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        sha1_signature(&[&self.token, timestamp, nonce, encrypt])
    }

    /// Checks `msg_signature` in constant time.
    pub fn verify_msg_signature(
        &self,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
        given: &str,
    ) -> Result<(), PushError> {
        let expected = self.msg_signature(timestamp, nonce, encrypt);
        constant_time_hex_eq(&expected, given)
    }

    /// Checks the URL-verification `signature` (token, timestamp, nonce) in constant time.
    pub fn verify_url_signature(
        &self,
        timestamp: &str,
        nonce: &str,
        given: &str,
    ) -> Result<(), PushError> {
        let expected = sha1_signature(&[&self.token, timestamp, nonce]);
        constant_time_hex_eq(&expected, given)
    }

    /// Decrypts `Encrypt` and checks the trailing appid; returns the inner message.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, PushError> {
        let mut buf = STANDARD
            .decode(encrypt.trim())
            .map_err(|_| PushError::Base64)?;
        if buf.is_empty() || buf.len() % PAD_BLOCK != 0 {
            return Err(PushError::Base64);
        }
        let plain = Aes256CbcDec::new(&self.key.into(), self.key[..16].into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| PushError::Decrypt)?;
        let pad = *plain.last().ok_or(PushError::Decrypt)? as usize;
        if !(1..=PAD_BLOCK).contains(&pad) || pad > plain.len() {
            return Err(PushError::Decrypt);
        }
        let content = &plain[..plain.len() - pad];
        if content.len() < 20 {
            return Err(PushError::Decrypt);
        }
        let len = u32::from_be_bytes(content[16..20].try_into().expect("4 bytes")) as usize;
        let rest = &content[20..];
        if len > rest.len() {
            return Err(PushError::Decrypt);
        }
        let (msg, appid) = rest.split_at(len);
        if appid.ct_eq(self.appid.as_bytes()).unwrap_u8() != 1 {
            return Err(PushError::Appid);
        }
        String::from_utf8(msg.to_vec()).map_err(|_| PushError::Decrypt)
    }

    /// Encrypts `msg` with a given 16-byte random prefix (deterministic, for vectors).
    pub fn encrypt_with_random(&self, msg: &str, random: &[u8; 16]) -> String {
        let mut plain = Vec::with_capacity(msg.len() + self.appid.len() + 20 + PAD_BLOCK);
        plain.extend_from_slice(random);
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.appid.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let len = plain.len();
        let cipher = Aes256CbcEnc::new(&self.key.into(), self.key[..16].into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .expect("the buffer is a whole number of blocks");
        STANDARD.encode(cipher)
    }

    /// Encrypts `msg` with a fresh random prefix.
    pub fn encrypt(&self, msg: &str) -> String {
        let random: [u8; 16] = rand::random();
        self.encrypt_with_random(msg, &random)
    }
}

fn constant_time_hex_eq(expected: &str, given: &str) -> Result<(), PushError> {
    let given = given.trim().to_ascii_lowercase();
    if expected.len() == given.len() && expected.as_bytes().ct_eq(given.as_bytes()).unwrap_u8() == 1
    {
        Ok(())
    } else {
        Err(PushError::Signature)
    }
}

/// Reads a flat WeChat XML document (`<xml><Field>value</Field>…</xml>`) into a map of
/// the root's child elements. A DOCTYPE is refused before parsing and by the parser;
/// only the five predefined entities and character references are resolved.
pub fn parse_flat_xml(body: &str) -> Result<BTreeMap<String, String>, PushError> {
    use quick_xml::events::Event;
    if body.to_ascii_uppercase().contains("<!DOCTYPE") {
        return Err(PushError::Doctype);
    }
    let mut reader = quick_xml::Reader::from_str(body);
    let mut fields = BTreeMap::new();
    let mut depth = 0usize;
    let mut current: Option<(String, String)> = None;
    // Exactly one root element and nothing but whitespace around it: a plaintext that is
    // not XML at all must fail here, before the push claims its replay slot.
    let mut roots = 0usize;
    let xml_err = |e: &dyn std::fmt::Display| PushError::Xml(e.to_string());
    loop {
        match reader.read_event().map_err(|e| xml_err(&e))? {
            Event::DocType(_) => return Err(PushError::Doctype),
            Event::Start(_) | Event::Empty(_) if depth == 0 && roots == 1 => {
                return Err(PushError::Xml("more than one root element".into()));
            }
            Event::Text(text) if depth == 0 && !text.iter().all(u8::is_ascii_whitespace) => {
                return Err(PushError::Xml("text outside the root element".into()));
            }
            Event::Empty(_) if depth == 0 => roots += 1,
            Event::Start(start) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                if depth == 2 {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    current = Some((name, String::new()));
                }
            }
            Event::Empty(start) if depth == 1 => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                fields.insert(name, String::new());
            }
            Event::End(_) => {
                if depth == 2
                    && let Some((name, value)) = current.take()
                {
                    fields.insert(name, value);
                }
                depth = depth
                    .checked_sub(1)
                    .ok_or(PushError::Xml("unbalanced".into()))?;
            }
            Event::Text(text) if depth == 2 => {
                let piece = text.decode().map_err(|e| xml_err(&e))?;
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&piece);
                }
            }
            Event::CData(data) if depth == 2 => {
                let piece = data.decode().map_err(|e| xml_err(&e))?;
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&piece);
                }
            }
            Event::GeneralRef(reference) if depth == 2 => {
                let resolved = match reference.resolve_char_ref().map_err(|e| xml_err(&e))? {
                    Some(c) => c.to_string(),
                    None => match reference.decode().map_err(|e| xml_err(&e))?.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => return Err(PushError::Xml(format!("unknown entity &{other};"))),
                    },
                };
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(PushError::Xml("unclosed element".into()));
    }
    if roots != 1 {
        return Err(PushError::Xml("not an XML document".into()));
    }
    Ok(fields)
}

/// Builds a flat `<xml>` document with every value in CDATA (as WeChat writes them).
pub fn flat_xml<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("<xml>");
    for (name, value) in fields {
        // A value containing "]]>" is split across two CDATA sections.
        let safe = value.replace("]]>", "]]]]><![CDATA[>");
        out.push_str(&format!("<{name}><![CDATA[{safe}]]></{name}>"));
    }
    out.push_str("</xml>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const VECTOR_E: &str = "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==";
    const DEMO_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn official_third_party_vector_e_verifies_and_decrypts() {
        let c = PushCrypto::new("AAAAA", KEY_A, "wx134c8103faa5a59e").unwrap();
        assert_eq!(
            sha1_signature(&["AAAAA", "1715943329", "1590219412"]),
            "cc0c594499c1634947d5b502f158ee518947db27"
        );
        c.verify_msg_signature(
            "1715943329",
            "1590219412",
            VECTOR_E,
            "6c12a4205838198b8fa631b3220723bb07f1015c",
        )
        .unwrap();
        let msg = c.decrypt(VECTOR_E).unwrap();
        assert_eq!(msg.len(), 292);
        assert_eq!(
            hex::encode(sha2::Sha256::digest(msg.as_bytes())),
            "6acfa42906e8f4b707cccdfefc91e5ca287ec7929446cad00ef6dc41e9f53340"
        );
        let fields = parse_flat_xml(&msg).unwrap();
        assert_eq!(fields["ToUserName"], "gh_97417a04a28d");
        assert_eq!(fields["debug_str"], "hello world");
        assert_eq!(fields["CreateTime"], "1715943329");
        c.verify_url_signature(
            "1714036504",
            "1514711492",
            "f464b24fc39322e44b38aa78f5edd27bd1441696",
        )
        .unwrap();
    }

    #[test]
    fn official_reply_vector_encrypts_byte_for_byte() {
        let c = PushCrypto::new("AAAAA", KEY_A, "wx134c8103faa5a59e").unwrap();
        let random: [u8; 16] = *b"999951349e8ee746";
        let enc = c.encrypt_with_random(
            "<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>",
            &random,
        );
        assert_eq!(
            enc,
            "hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7"
        );
        assert_eq!(
            c.msg_signature("1713424427", "415670741", &enc),
            "03e0812039325c2712ef5f0f980fd14c70d6e307"
        );
    }

    #[test]
    fn easywechat_vector_with_a_non_canonical_key_decrypts() {
        let c = PushCrypto::new("pamtest", DEMO_KEY, "wxb11529c136998cb6").unwrap();
        let enc = "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA==";
        c.verify_msg_signature(
            "1458300676",
            "260774613",
            enc,
            "4f3ad57b6989f09f4eb392acce4f9e93942ed890",
        )
        .unwrap();
        let msg = c.decrypt(enc).unwrap();
        assert_eq!(msg.len(), 293);
        assert_eq!(parse_flat_xml(&msg).unwrap()["Content"], "hello");
    }

    #[test]
    fn wxjava_vector_encrypts_deterministically() {
        let c = PushCrypto::new("pamtest", DEMO_KEY, "wxb11529c136998cb6").unwrap();
        assert_eq!(
            c.encrypt_with_random("我是中文abcd123", b"aaaabbbbccccdddd"),
            "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
        );
    }

    #[test]
    fn python_sample_vector_c_with_pad_two() {
        let c = PushCrypto::new("spamtest", DEMO_KEY, "wx2c2769f8efd9abc2").unwrap();
        let enc = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
        c.verify_msg_signature(
            "1409735669",
            "1320562132",
            enc,
            "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
        )
        .unwrap();
        let msg = c.decrypt(enc).unwrap();
        assert_eq!(msg.len(), 280);
        assert!(msg.ends_with("<MsgId>6054768590064713728</MsgId>\n</xml>"));
    }

    #[test]
    fn synthetic_ticket_vector_round_trips() {
        let c = PushCrypto::new("AAAAA", KEY_A, "wx134c8103faa5a59e").unwrap();
        let plain = "<xml><AppId><![CDATA[wx134c8103faa5a59e]]></AppId><CreateTime>1700000000</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[ticket@@@TEST_ONLY_not_a_real_ticket]]></ComponentVerifyTicket></xml>";
        let enc = c.encrypt_with_random(plain, b"0123456789abcdef");
        assert_eq!(
            enc,
            "uMMzGtqcnpOzXOYBwDQNrdQAh3U1w+DrxG/kdpxHiUp61/FS53JJGUKL85F+Dzw/mHjZOYVQm2K0ss/m+90n/zUa3/mNK32CRd52N5bqn94r4qdGio+2tR7LbEahaHZgLDrqngxGLgXBbz2biqNlVlDriCS58XWrh8fpk1m3KGEsIrd8QfHLHgQLbqSPK/fqwCer01kCE2a2zzmz9yobNk35uU5/WkMC08wSw9lMHREbDPgokKUp5O5X+rzRzd4m9HYWmlVKsoC1FVT3rvXTDBHtZUye/UBwsSQ5NHwE2UMjcaxjlkeHJWLZaAd1NrlFk01brey7gw1wMiOG3UO5mgI5uVuJD4hsj9yBegJm+wTQ4dgeqp0OHcPkPBIRih++"
        );
        assert_eq!(
            c.msg_signature("1700000000", "123456789", &enc),
            "a3122c7bcb922be8dc0d5fa919eaea1c0395c3eb"
        );
        let fields = parse_flat_xml(&c.decrypt(&enc).unwrap()).unwrap();
        assert_eq!(
            fields["ComponentVerifyTicket"],
            "ticket@@@TEST_ONLY_not_a_real_ticket"
        );
    }

    #[test]
    fn every_padding_length_round_trips() {
        let c = PushCrypto::new("t", DEMO_KEY, "wxb11529c136998cb6").unwrap();
        for n in 0..70 {
            let msg = "x".repeat(n);
            assert_eq!(c.decrypt(&c.encrypt(&msg)).unwrap(), msg);
        }
    }

    #[test]
    fn bad_inputs_are_refused() {
        let c = PushCrypto::new("AAAAA", KEY_A, "wx134c8103faa5a59e").unwrap();
        let other = PushCrypto::new("AAAAA", KEY_A, "wxother0000000000").unwrap();
        assert_eq!(other.decrypt(VECTOR_E), Err(PushError::Appid));
        assert_eq!(c.decrypt(&VECTOR_E[..100]), Err(PushError::Base64));
        assert_eq!(
            c.verify_msg_signature(
                "1715943329",
                "1590219412",
                VECTOR_E,
                "0".repeat(40).as_str()
            ),
            Err(PushError::Signature)
        );
        assert_eq!(
            PushCrypto::new("t", "short", "wx").unwrap_err(),
            PushError::BadKey
        );
        assert_eq!(
            parse_flat_xml(
                "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><A>&e;</A></xml>"
            ),
            Err(PushError::Doctype)
        );
        assert!(matches!(
            parse_flat_xml("<xml><A>&e;</A></xml>"),
            Err(PushError::Xml(_))
        ));
        assert_eq!(
            parse_flat_xml("<xml><A>a &amp; b &#x41;</A><B/></xml>").unwrap()["A"],
            "a & b A"
        );
    }

    #[test]
    fn a_text_that_is_not_one_xml_document_is_refused() {
        for body in [
            "",
            "   ",
            "hello, not xml",
            "{\"ToUserName\": \"gh_1\"}",
            "text<xml><A>a</A></xml>",
            "<xml><A>a</A></xml><xml/>",
            "<xml><A>a</A></xml>tail",
        ] {
            assert!(
                matches!(parse_flat_xml(body), Err(PushError::Xml(_))),
                "{body:?}"
            );
        }
        assert!(parse_flat_xml("<?xml version=\"1.0\"?>\n<xml><A>a</A></xml>\n").is_ok());
        assert!(parse_flat_xml("<xml/>").unwrap().is_empty());
    }

    #[test]
    fn built_xml_reads_back() {
        let xml = flat_xml([("InfoType", "unauthorized"), ("Odd", "a]]>b")]);
        let fields = parse_flat_xml(&xml).unwrap();
        assert_eq!(fields["InfoType"], "unauthorized");
        assert_eq!(fields["Odd"], "a]]>b");
    }
}
