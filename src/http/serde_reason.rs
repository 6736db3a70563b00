//! serde's English reasons ("missing field `x`", "invalid type: map, expected a sequence")
//! put into whole sentences in both languages; the raw reason stays in `details.reason`.

use crate::error::Localized;

/// The reason as a Chinese and an English phrase (the field is named by the caller).
pub fn explain(reason: &str) -> Localized {
    if reason.starts_with("missing field") {
        return Localized::new("必填", "is required");
    }
    if let Some(rest) = reason.strip_prefix("unknown field `") {
        let expected = expected_list(rest);
        return Localized::new(
            format!("不是可识别的字段{}", expected.zh_suffix()),
            format!("is not a known field{}", expected.en_suffix()),
        );
    }
    if let Some(rest) = reason.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or("");
        let expected = expected_list(rest);
        return Localized::new(
            format!("取值「{value}」无效{}", expected.zh_suffix()),
            format!("`{value}` is not a valid value{}", expected.en_suffix()),
        );
    }
    for (prefix, zh_kind, en_kind) in [
        ("invalid type: ", "类型错误", "has the wrong type"),
        ("invalid value: ", "取值无效", "has an invalid value"),
    ] {
        if let Some(rest) = reason.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            return Localized::new(
                format!(
                    "{zh_kind}：应为{}，收到{}",
                    zh_thing(expected),
                    zh_thing(got)
                ),
                format!("{en_kind}: expected {expected}, got {got}"),
            );
        }
    }
    if let Some(rest) = reason.strip_prefix("invalid length ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return Localized::new(
            format!("长度无效：应为{}，收到 {got} 项", zh_thing(expected)),
            format!("has an invalid length: expected {expected}, got {got}"),
        );
    }
    if reason.starts_with("duplicate field") {
        return Localized::new("重复出现", "appears more than once");
    }
    let lower = reason.to_ascii_lowercase();
    if lower.contains("invalid digit") || lower.contains("cannot parse integer") {
        return Localized::new("不是有效的整数", "is not a whole number");
    }
    if lower.contains("too large") || lower.contains("too small") || lower.contains("out of range")
    {
        return Localized::new("数值超出范围", "is out of range");
    }
    if lower.contains("uuid")
        || lower.contains("invalid character")
        || lower.contains("invalid length")
    {
        return Localized::new("格式无效（应为 UUID）", "is not a valid UUID");
    }
    if lower.contains("premature end of input")
        || lower.contains("input contains invalid characters")
        || lower.contains("trailing input")
        || lower.contains("input is out of range")
    {
        return Localized::new("日期或时间格式无效", "is not a valid date or time");
    }
    if lower.contains("provided string was not `true` or `false`") {
        return Localized::new("应为 true 或 false", "must be true or false");
    }
    // Anything else: a whole Chinese sentence, the English reason as serde gave it.
    Localized::new("格式无效", format!("is invalid: {reason}"))
}

struct Expected(Vec<String>);

impl Expected {
    fn zh_suffix(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("（可用：{}）", self.0.join("、"))
        }
    }

    fn en_suffix(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!(" (expected one of {})", self.0.join(", "))
        }
    }
}

/// The names after "expected one of" / "expected" in serde's reason.
fn expected_list(rest: &str) -> Expected {
    let Some((_, tail)) = rest.split_once("expected") else {
        return Expected(Vec::new());
    };
    Expected(
        tail.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// serde's words for a kind of value, in Chinese.
fn zh_thing(en: &str) -> String {
    let en = en.trim();
    let words: &[(&str, &str)] = &[
        ("a sequence", "数组"),
        ("sequence", "数组"),
        ("a map", "对象"),
        ("map", "对象"),
        ("struct", "对象"),
        ("a string", "字符串"),
        ("a boolean", "布尔值"),
        ("boolean", "布尔值"),
        ("null", "null"),
        ("unit value", "null"),
        ("a character", "单个字符"),
        ("a UUID string", "UUID 字符串"),
        ("UUID", "UUID"),
    ];
    for (word, zh) in words {
        if en == *word || en.starts_with(&format!("{word} ")) {
            return (*zh).to_owned();
        }
    }
    for (prefix, zh) in [
        ("string ", "字符串 "),
        ("integer ", "整数 "),
        ("floating point ", "小数 "),
        ("boolean ", "布尔值 "),
        ("struct ", "对象 "),
    ] {
        if let Some(value) = en.strip_prefix(prefix) {
            return format!("{zh}{}", value.trim_matches('`'));
        }
    }
    if matches!(
        en,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize"
    ) || en.contains("integer")
    {
        return "整数".to_owned();
    }
    if matches!(en, "f32" | "f64") || en.contains("number") {
        return "数字".to_owned();
    }
    if en.contains("date") || en.contains("time") {
        return "日期或时间".to_owned();
    }
    // A kind we do not know: say it as serde did, quoted, rather than guess.
    format!("「{en}」")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Lang;

    fn both(reason: &str) -> (String, String) {
        let l = explain(reason);
        (l.get(Lang::Zh).to_owned(), l.get(Lang::En).to_owned())
    }

    #[test]
    fn serde_reasons_become_whole_sentences_in_each_language() {
        assert_eq!(
            both("missing field `payment_method`"),
            ("必填".into(), "is required".into())
        );
        assert_eq!(
            both("invalid type: map, expected a sequence"),
            (
                "类型错误：应为数组，收到对象".into(),
                "has the wrong type: expected a sequence, got map".into()
            )
        );
        assert_eq!(
            both("invalid type: floating point `-1935.0`, expected i32").0,
            "类型错误：应为整数，收到小数 -1935.0"
        );
        assert_eq!(
            both("unknown variant `boss`, expected `agency_admin` or `account_manager`").0,
            "取值「boss」无效（可用：agency_admin、account_manager）"
        );
        assert_eq!(
            both("unknown field `colour`, expected one of `name`, `text`"),
            (
                "不是可识别的字段（可用：name、text）".into(),
                "is not a known field (expected one of name, text)".into()
            )
        );
        assert_eq!(both("invalid digit found in string").0, "不是有效的整数");
        // No English word inside the Chinese sentence, whatever serde said.
        for reason in [
            "invalid type: string \"x\", expected a boolean",
            "invalid value: integer `-1`, expected u64",
            "invalid length 3, expected a tuple of size 2",
            "something serde never said before",
        ] {
            let zh = both(reason).0;
            assert!(
                !zh.contains("expected") && !zh.contains("invalid"),
                "{reason} → {zh}"
            );
        }
    }
}
