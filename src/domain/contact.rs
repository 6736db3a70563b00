//! Merchant contact details.

use crate::error::{AppError, Localized};
use serde::Serialize;

/// What the schema states of a mobile number (parsing also drops spaces and dashes).
const PHONE_CORE: &str = r"(\+86|0086|86)?1[3-9][0-9]{9}";
/// What the schema states of an e-mail address (parsing accepts more).
const EMAIL_CORE: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+";

/// A mainland-China mobile number, stored as 11 digits (`1[3-9]xxxxxxxxx`); `+86` / `86`
/// prefixes, spaces and dashes are accepted on input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MobilePhone(String);

super::text::stated_string!(
    MobilePhone,
    super::text::trimmed_pattern(PHONE_CORE),
    11,
    None,
    "Mainland-China mobile number: 11 digits starting 13–19, `+86` / `0086` allowed.",
    "13812341234",
);

/// A mobile number where blank means none (staff contact details).
pub struct MobilePhoneOrBlank;

super::text::stated_string!(
    MobilePhoneOrBlank,
    super::text::or_blank(&super::text::trimmed_pattern(PHONE_CORE)),
    0,
    None,
    "Mainland-China mobile number (11 digits starting 13–19); blank for none.",
    "13912345678",
);

impl MobilePhone {
    /// Parses user input; `field` names the request field in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let digits: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits)
            .to_owned();
        let digits = if digits.len() == 13 && digits.starts_with("86") {
            digits[2..].to_owned()
        } else {
            digits
        };
        let ok = digits.len() == 11
            && digits.chars().all(|c| c.is_ascii_digit())
            && digits.starts_with('1')
            && matches!(digits.as_bytes()[1], b'3'..=b'9');
        if !ok {
            return Err(AppError::invalid_field(
                field,
                Localized::new(
                    "须为中国大陆手机号（11 位，以 13–19 开头）",
                    "must be a mainland-China mobile number (11 digits starting 13–19)",
                ),
            ));
        }
        Ok(Self(digits))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address (one `@`, a dotted domain, no spaces, at most 254 characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

super::text::stated_string!(
    Email,
    super::text::trimmed_pattern(EMAIL_CORE),
    5,
    Some(254),
    "E-mail address.",
    "li.na@example.cn",
);

/// An e-mail address where blank means none (staff contact details).
pub struct EmailOrBlank;

super::text::stated_string!(
    EmailOrBlank,
    super::text::or_blank(&super::text::trimmed_pattern(EMAIL_CORE)),
    0,
    Some(254),
    "E-mail address; blank for none.",
    "zhang.wei@agency.example.cn",
);

impl Email {
    /// Parses user input; `field` names the request field in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        let ok = s.len() <= 254
            && !s.chars().any(char::is_whitespace)
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if !ok {
            return Err(AppError::invalid_field(
                field,
                Localized::new("不是有效的电子邮箱地址", "is not a valid e-mail address"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a person's or business's name: 1–`max` characters, no control characters.
pub fn parse_name(raw: &str, max: usize, field: &str) -> Result<String, AppError> {
    let s = raw.trim();
    let n = s.chars().count();
    if n == 0 || n > max || crate::domain::text::has_disallowed(s) {
        return Err(AppError::invalid_field(
            field,
            Localized::new(
                format!("须为 1–{max} 个字符，且不含控制字符或文字方向控制符"),
                format!("must be 1–{max} characters without control or text-direction characters"),
            ),
        ));
    }
    Ok(s.to_owned())
}

/// A mini-program appid: `wx` + 16 lower-case hex characters.
pub fn parse_appid(raw: &str, field: &str) -> Result<String, AppError> {
    let s = raw.trim();
    let ok = s.len() == 18
        && s.starts_with("wx")
        && s[2..]
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if !ok {
        return Err(AppError::invalid_field(
            field,
            Localized::new(
                "须为 wx 加 16 位小写十六进制字符",
                "must be `wx` followed by 16 lower-case hex characters",
            ),
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "13812341234",
            "+86 138-1234-1234",
            "8613812341234",
            "0086 13812341234",
        ] {
            assert_eq!(
                MobilePhone::parse(ok, "p").unwrap().as_str(),
                "13812341234",
                "{ok}"
            );
        }
        for bad in [
            "12812341234",
            "1381234123",
            "138123412345",
            "abc",
            "+1 4155550100",
        ] {
            assert!(MobilePhone::parse(bad, "p").is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_names_appids() {
        assert!(Email::parse("li@shop.cn", "e").is_ok());
        for bad in ["li", "li@", "@x.cn", "a b@x.cn", "li@x", "a@b@c.cn"] {
            assert!(Email::parse(bad, "e").is_err(), "{bad}");
        }
        assert!(parse_name("  好味小馆 ", 200, "n").is_ok());
        assert!(parse_name("", 200, "n").is_err());
        assert!(parse_appid("wxba5fad812f8e6fb9", "a").is_ok());
        assert!(parse_appid("wxBA5FAD812F8E6FB9", "a").is_err());
        assert!(parse_appid("wx123", "a").is_err());
    }
}
