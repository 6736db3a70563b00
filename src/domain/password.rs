//! The policy a new password must meet.

use crate::error::{AppError, Localized};

/// A password that meets the policy: 10–128 characters, not the username, and not one
/// repeated character.
pub struct NewPassword(String);

impl NewPassword {
    /// Minimum length in characters.
    pub const MIN_CHARS: usize = 10;
    /// Maximum length in characters (bounds hashing cost).
    pub const MAX_CHARS: usize = 128;

    /// Checks `raw` against the policy; `field` names the request field in the error.
    pub fn parse(raw: &str, username: &str, field: &str) -> Result<Self, AppError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(AppError::invalid_field(
                field,
                Localized::new(
                    "密码至少需要 10 个字符",
                    "must be at least 10 characters long",
                ),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(AppError::invalid_field(
                field,
                Localized::new("密码最多 128 个字符", "must be at most 128 characters long"),
            ));
        }
        if raw.eq_ignore_ascii_case(username) {
            return Err(AppError::invalid_field(
                field,
                Localized::new("密码不能与用户名相同", "must differ from the username"),
            ));
        }
        let mut it = raw.chars();
        let first = it.next();
        if it.all(|c| Some(c) == first) {
            return Err(AppError::invalid_field(
                field,
                Localized::new(
                    "密码不能由同一个字符重复组成",
                    "must not repeat a single character",
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(NewPassword::parse("short", "u", "p").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa", "u", "p").is_err());
        assert!(NewPassword::parse("alice12345", "Alice12345", "p").is_err());
        assert!(NewPassword::parse("correct horse battery", "alice", "p").is_ok());
    }
}
