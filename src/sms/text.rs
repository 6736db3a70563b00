//! Template SMS text: placeholders, parameter rules and the mainland long-SMS count
//! (PROVIDER.md §1.2, §4).

use serde::{Deserialize, Serialize};

/// Most characters one send may have, signature included.
pub const MAX_UNITS: usize = 500;
/// Characters of a single (not concatenated) message.
pub const SINGLE_UNITS: usize = 70;
/// Characters per segment of a long message (the rest carries the concatenation header).
pub const SEGMENT_UNITS: usize = 67;

/// Length as carriers count it: `【signature】` + text, in UTF-16 code units (an emoji
/// outside the BMP counts 2, which is what the strictest counting bills).
pub fn length_units(sign_name: &str, text: &str) -> usize {
    "【".encode_utf16().count()
        + sign_name.encode_utf16().count()
        + "】".encode_utf16().count()
        + text.encode_utf16().count()
}

/// Billed segments of a message of `units` characters: ≤ 70 → 1, else ⌈units ÷ 67⌉;
/// `None` beyond [`MAX_UNITS`].
pub fn segments(units: usize) -> Option<i64> {
    match units {
        0..=SINGLE_UNITS => Some(1),
        n if n <= MAX_UNITS => Some(n.div_ceil(SEGMENT_UNITS) as i64),
        _ => None,
    }
}

/// One positional parameter of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// What the merchant fills in, e.g. `code` or `order_no`.
    pub name: String,
    /// Most characters (the provider caps variables at 6–12 depending on the account).
    pub max_chars: u32,
    /// Digits only (verification codes).
    #[serde(default)]
    pub digits_only: bool,
}

/// Why a parameter value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamFault {
    /// Fewer or more values than the template has placeholders.
    Count {
        /// Placeholders in the template.
        expected: usize,
    },
    /// The value at `index` breaks a rule.
    Value {
        /// 0-based position.
        index: usize,
        /// Which rule.
        rule: ParamRule,
    },
}

/// A parameter rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRule {
    /// Empty or only spaces.
    Empty,
    /// Longer than `max_chars`.
    TooLong(u32),
    /// Not digits although the parameter is digits-only.
    NotDigits,
    /// Contains a line break.
    LineBreak,
    /// Contains a link (providers refuse URLs inside variables).
    Url,
}

/// Placeholders `{1}` … `{n}` of `text`: `Some(n)` when they are exactly 1..=n (each may
/// appear more than once), `None` when they skip a number.
pub fn placeholder_count(text: &str) -> Option<usize> {
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if !after[..end].is_empty() && after[..end].bytes().all(|b| b.is_ascii_digit()) =>
            {
                seen.insert(after[..end].parse::<usize>().ok()?);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    let n = seen.len();
    (seen.iter().copied().eq(1..=n)).then_some(n)
}

/// Checks `values` against `specs`.
pub fn check_params(specs: &[ParamSpec], values: &[String]) -> Result<(), ParamFault> {
    if specs.len() != values.len() {
        return Err(ParamFault::Count {
            expected: specs.len(),
        });
    }
    for (index, (spec, value)) in specs.iter().zip(values).enumerate() {
        let fault = |rule| Err(ParamFault::Value { index, rule });
        let lower = value.to_ascii_lowercase();
        if value.trim().is_empty() {
            return fault(ParamRule::Empty);
        }
        if value.contains(['\n', '\r']) {
            return fault(ParamRule::LineBreak);
        }
        if value.chars().count() > spec.max_chars as usize {
            return fault(ParamRule::TooLong(spec.max_chars));
        }
        if spec.digits_only && !value.bytes().all(|b| b.is_ascii_digit()) {
            return fault(ParamRule::NotDigits);
        }
        if lower.contains("://") || lower.contains("www.") {
            return fault(ParamRule::Url);
        }
    }
    Ok(())
}

/// `text` with `{i}` replaced by the i-th value.
pub fn render(text: &str, values: &[String]) -> String {
    let mut out = text.to_owned();
    // Highest first, so `{1}` never eats the start of `{10}`.
    for (i, value) in values.iter().enumerate().rev() {
        out = out.replace(&format!("{{{}}}", i + 1), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units_of(n: usize) -> usize {
        // "【签名】" is 4 units; the text makes up the rest.
        let text = "字".repeat(n - 4);
        length_units("签名", &text)
    }

    #[test]
    fn the_mainland_segment_rule() {
        for (n, expected) in [
            (70, Some(1)),
            (71, Some(2)),
            (134, Some(2)),
            (135, Some(3)),
            (150, Some(3)),
            (500, Some(8)),
            (501, None),
        ] {
            assert_eq!(segments(units_of(n)), expected, "{n} characters");
        }
        assert_eq!(segments(0), Some(1));
    }

    #[test]
    fn emoji_count_in_utf16_units() {
        // 😀 is outside the BMP: two UTF-16 units, one char.
        assert_eq!(length_units("店", "😀"), 3 + 2);
        let text = format!("{}{}", "字".repeat(64), "😀");
        assert_eq!(text.chars().count(), 65);
        assert_eq!(length_units("签名", &text), 70); // 4 + 64 + 2
        assert_eq!(segments(length_units("签名", &text)), Some(1));
        let text = format!("{}{}", "字".repeat(65), "😀");
        assert_eq!(segments(length_units("签名", &text)), Some(2));
    }

    #[test]
    fn placeholders_and_rendering() {
        assert_eq!(placeholder_count("您的验证码是{1}，{2}分钟内有效"), Some(2));
        assert_eq!(placeholder_count("无变量"), Some(0));
        assert_eq!(placeholder_count("{1}和{3}"), None);
        assert_eq!(placeholder_count("{1}{1}{x}"), Some(1));
        let values: Vec<String> = (1..=10).map(|i| format!("v{i}")).collect();
        assert_eq!(render("{10}-{1}", &values), "v10-v1");
    }

    #[test]
    fn parameter_rules() {
        let specs = vec![
            ParamSpec {
                name: "code".into(),
                max_chars: 6,
                digits_only: true,
            },
            ParamSpec {
                name: "shop".into(),
                max_chars: 12,
                digits_only: false,
            },
        ];
        let v = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
        assert_eq!(check_params(&specs, &v("123456", "小店")), Ok(()));
        assert_eq!(
            check_params(&specs, &["1".to_owned()]),
            Err(ParamFault::Count { expected: 2 })
        );
        let rule = |a: &str, b: &str| match check_params(&specs, &v(a, b)) {
            Err(ParamFault::Value { index, rule }) => Some((index, rule)),
            _ => None,
        };
        assert_eq!(rule("12a", "小店"), Some((0, ParamRule::NotDigits)));
        assert_eq!(rule("1234567", "小店"), Some((0, ParamRule::TooLong(6))));
        assert_eq!(rule("1", " "), Some((1, ParamRule::Empty)));
        assert_eq!(rule("1", "a\nb"), Some((1, ParamRule::LineBreak)));
        assert_eq!(rule("1", "www.x.cn"), Some((1, ParamRule::Url)));
    }
}
