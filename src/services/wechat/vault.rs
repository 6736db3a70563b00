//! Encryption at rest of WeChat credentials: AES-256-GCM with a random 96-bit nonce, the
//! row's purpose as associated data (so a ciphertext cannot be moved to another row), and
//! the key id in front so keys rotate: the first key encrypts, every key decrypts.

use crate::config::SecretBytes;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The at-rest codec; build it once from `WEAPP__SECURITY__VAULT_KEYS`.
pub struct Vault {
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field(
                "kids",
                &self.keys.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A ciphertext that cannot be opened with the configured keys.
#[derive(Debug, thiserror::Error)]
#[error("vault: {0}")]
pub struct VaultError(&'static str);

impl Vault {
    /// The codec for `(kid, 32-byte key)` pairs; the first one encrypts.
    pub fn new(keys: &[(String, SecretBytes)]) -> anyhow::Result<Self> {
        anyhow::ensure!(!keys.is_empty(), "the vault needs at least one key");
        let keys = keys
            .iter()
            .map(|(kid, key)| {
                let cipher = Aes256Gcm::new_from_slice(key.expose())
                    .map_err(|_| anyhow::anyhow!("vault key `{kid}` must be 32 bytes"))?;
                Ok((kid.clone(), cipher))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { keys })
    }

    /// `kid:base64(nonce | ciphertext | tag)`, bound to `purpose`.
    pub fn seal(&self, purpose: &str, plaintext: &str) -> String {
        let (kid, cipher) = &self.keys[0];
        let nonce: [u8; 12] = rand::random();
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short text cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{kid}:{}", STANDARD.encode(out))
    }

    /// Opens a value sealed for `purpose` with any configured key.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, VaultError> {
        let (kid, body) = sealed.split_once(':').ok_or(VaultError("malformed"))?;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(k, _)| k == kid)
            .ok_or(VaultError("sealed with a key that is no longer configured"))?;
        let bytes = STANDARD.decode(body).map_err(|_| VaultError("malformed"))?;
        if bytes.len() < 12 + 16 {
            return Err(VaultError("malformed"));
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| VaultError("malformed"))?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| VaultError("cannot be opened (wrong key or purpose)"))?;
        String::from_utf8(plain).map_err(|_| VaultError("not text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, byte: u8) -> (String, SecretBytes) {
        (kid.into(), SecretBytes::new(vec![byte; 32]))
    }

    #[test]
    fn seals_open_only_for_their_purpose_and_keys_rotate() {
        let old = Vault::new(&[key("k1", 1)]).unwrap();
        let sealed = old.seal("component_access_token", "secret-token");
        assert!(!sealed.contains("secret-token"));
        assert_ne!(sealed, old.seal("component_access_token", "secret-token"));
        assert_eq!(
            old.open("component_access_token", &sealed).unwrap(),
            "secret-token"
        );
        assert!(old.open("component_verify_ticket", &sealed).is_err());
        // Rotation: a new first key encrypts, the old one still decrypts.
        let rotated = Vault::new(&[key("k2", 2), key("k1", 1)]).unwrap();
        assert_eq!(
            rotated.open("component_access_token", &sealed).unwrap(),
            "secret-token"
        );
        assert!(rotated.seal("x", "y").starts_with("k2:"));
        // Once the old key is dropped its ciphertexts no longer open.
        let dropped = Vault::new(&[key("k2", 2)]).unwrap();
        assert!(dropped.open("component_access_token", &sealed).is_err());
        assert!(dropped.open("x", "k2:AAAA").is_err());
    }
}
