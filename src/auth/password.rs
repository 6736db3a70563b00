//! argon2id password hashes in PHC format. Hashing is CPU-heavy, so callers run these on
//! a blocking thread (`actix_web::web::block` / `spawn_blocking`).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::Rng;
use std::sync::OnceLock;

/// Hashes a password with argon2id and a fresh random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Spends the same work as a real verification, for unknown usernames, so timing does
/// not reveal which accounts exist.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| {
        hash_password("weapp-builder dummy password").expect("hashing a constant works")
    });
    let _ = verify_password(password, hash);
}

/// A system-issued one-time password: 16 characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), grouped as `xxxx-xxxx-xxxx-xxxx` for reading over the phone.
pub fn generate_one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn one_time_passwords_are_long_and_distinct() {
        let a = generate_one_time_password();
        let b = generate_one_time_password();
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
    }
}
