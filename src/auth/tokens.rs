//! Opaque random tokens (refresh tokens) and their stored hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new 256-bit random token, URL-safe base64.
pub fn generate_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a token: what the database keeps. A random 256-bit token needs no
/// salt or slow hash; the hash only keeps a database leak from yielding usable tokens.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_is_hex() {
        let t = generate_opaque_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, generate_opaque_token());
        assert_eq!(token_hash(&t).len(), 64);
    }
}
