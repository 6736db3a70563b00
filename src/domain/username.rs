//! Login names.

use crate::error::{AppError, Localized};
use serde::Serialize;
use std::fmt;

/// A login name: 3–64 characters of `a-z 0-9 . _ -`, stored lower-case, so `Alice` and
/// `alice` are the same account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

super::text::stated_string!(
    Username,
    super::text::trimmed_pattern("[A-Za-z0-9._-]{3,64}"),
    3,
    None,
    "Login name: 3–64 of `a-z 0-9 . _ -`, stored lower-case.",
    "zhang.wei",
);

impl Username {
    /// Parses user input; `field` names the request field in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let normalized = raw.trim().to_ascii_lowercase();
        let len = normalized.chars().count();
        if !(3..=64).contains(&len) {
            return Err(AppError::invalid_field(
                field,
                Localized::new("长度须为 3–64 个字符", "must be 3–64 characters long"),
            ));
        }
        if !normalized
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(AppError::invalid_field(
                field,
                Localized::new(
                    "只能包含字母、数字和 . _ -",
                    "may contain only letters, digits and . _ -",
                ),
            ));
        }
        Ok(Self(normalized))
    }

    /// Normalizes a login attempt without validating it, so that unknown and malformed
    /// names are treated exactly like wrong passwords.
    pub fn normalize_attempt(raw: &str) -> String {
        raw.trim().to_ascii_lowercase()
    }

    /// The normalized name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(
            Username::parse(" Alice.W ", "u").unwrap().as_str(),
            "alice.w"
        );
        assert!(Username::parse("ab", "u").is_err());
        assert!(Username::parse("名字abc", "u").is_err());
        assert!(Username::parse("a b c", "u").is_err());
    }
}
