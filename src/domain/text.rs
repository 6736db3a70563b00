//! Characters a name or title may not hold.

/// Control characters, and the Unicode bidirectional embedding, override and isolate
/// characters (U+202A–U+202E, U+2066–U+2069): invisible, they make a name display as
/// something else ("gpj.exe" shown as "exe.jpg", a tenant name that reads as another's)
/// in the console, in notices and on phones.
pub fn is_disallowed_in_names(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` holds any character [`is_disallowed_in_names`] refuses.
pub fn has_disallowed(text: &str) -> bool {
    text.chars().any(is_disallowed_in_names)
}

/// Whitespace around user input that parsing trims (the ASCII part of it).
const TRIM: &str = r"[\t\n\x0b\x0c\r ]*";
/// What a name may hold inside: no control or direction characters.
const INNER: &str = r"[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]";
/// What a trimmed name may start and end with: not whitespace either.
const EDGE: &str =
    r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]";

/// The OpenAPI schema of a `pattern` that parsing trims first: `core` wrapped in the
/// whitespace it tolerates around it.
pub fn trimmed_pattern(core: &str) -> String {
    format!("^{TRIM}{core}{TRIM}$")
}

/// Holds something besides whitespace (Unicode's White_Space, which `trim` removes).
pub const NOT_BLANK: &str =
    r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// Unicode's White_Space: what `str::trim` removes.
const WHITE_SPACE: &str =
    r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Any text of 1 to `max` characters once trimmed.
pub fn trimmed_text_pattern(max: usize) -> String {
    let inner = max.saturating_sub(2);
    format!(
        "^[{WHITE_SPACE}]*[^{WHITE_SPACE}]([\\s\\S]{{0,{inner}}}[^{WHITE_SPACE}])?[{WHITE_SPACE}]*$"
    )
}

/// `pattern`, or nothing but whitespace (which parsing reads as absent).
pub fn or_blank(pattern: &str) -> String {
    format!("^{TRIM}$|{pattern}")
}

/// The pattern of a name or one-line title [`is_disallowed_in_names`] accepts: 1 to `max`
/// characters once trimmed, the first and last not whitespace. The pattern bounds the
/// length, not `maxLength`: whitespace around the name does not count.
pub fn name_pattern(max: usize) -> String {
    let inner = max.saturating_sub(2);
    trimmed_pattern(&format!("{EDGE}({INNER}{{0,{inner}}}{EDGE})?"))
}

/// A string schema with a pattern and lengths, for the OpenAPI document.
pub fn string_schema(
    pattern: String,
    min: usize,
    max: Option<usize>,
    description: &str,
    example: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(min))
        .max_length(max)
        .description(Some(description))
        .examples([serde_json::json!(example)])
        .into()
}

/// Implements the OpenAPI schema of a string type: [`string_schema`] with these arguments.
macro_rules! stated_string {
    ($type:ty, $pattern:expr, $min:expr, $max:expr, $description:expr, $example:expr $(,)?) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::domain::text::string_schema($pattern, $min, $max, $description, $example)
            }
        }

        impl utoipa::ToSchema for $type {}
    };
}
pub(crate) use stated_string;

/// A name of up to 100 characters (a person, a contact, a plan) as the schema states it.
pub struct PersonName;

stated_string!(
    PersonName,
    name_pattern(100),
    1,
    None,
    "1–100 characters, trimmed, without control or text-direction characters.",
    "张伟",
);

/// A merchant's business name (1–200 characters).
pub struct BusinessName;

stated_string!(
    BusinessName,
    name_pattern(200),
    1,
    None,
    "1–200 characters, trimmed, without control or text-direction characters.",
    "好味小馆",
);

/// The agency's name (1–40 characters; blank for the product's).
pub struct BrandName;

stated_string!(
    BrandName,
    or_blank(&name_pattern(40)),
    0,
    None,
    "1–40 characters without control or text-direction characters; blank shows \
             the product name.",
    "好帮手数字科技",
);

/// A page's title (1–64 characters).
pub struct PageTitle;

stated_string!(
    PageTitle,
    name_pattern(64),
    1,
    None,
    "1–64 characters, trimmed, without control or text-direction characters.",
    "关于我们",
);

/// A one-line title (1–100 characters).
pub struct OneLineTitle;

stated_string!(
    OneLineTitle,
    name_pattern(100),
    1,
    None,
    "One line of 1–100 characters, trimmed.",
    "春节期间客服安排",
);

/// Why a hold or a takedown is placed (1–500 characters, audited).
pub struct HoldReason;

stated_string!(
    HoldReason,
    NOT_BLANK.to_owned(),
    1,
    Some(500),
    "1–500 characters, trimmed.",
    "页面含违规内容（网信办通知 2026-118）",
);

/// A search (1–100 characters once trimmed).
pub struct SearchText;

stated_string!(
    SearchText,
    trimmed_text_pattern(100),
    1,
    None,
    "1–100 characters once trimmed.",
    "好味",
);

/// A notice's text (1–5,000 characters, not all whitespace).
pub struct NoticeText;

stated_string!(
    NoticeText,
    NOT_BLANK.to_owned(),
    1,
    Some(5000),
    "1–5,000 characters, trimmed.",
    "春节期间（2 月 9 日至 2 月 17 日）客服暂停，急事请拨打 400-000-0000。",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_direction_overrides_are_refused_and_other_text_is_not() {
        for bad in [
            "a\u{0}b",
            "tab\tname",
            "\u{202E}gpj.exe",
            "x\u{2066}y\u{2069}",
            "\u{202A}",
        ] {
            assert!(has_disallowed(bad), "{bad:?}");
        }
        for good in ["好味小馆", "Café № 5", "مطعم", "emoji 🍜", "a\u{200D}b"] {
            assert!(!has_disallowed(good), "{good:?}");
        }
    }

    /// Whatever a stated schema accepts, parsing accepts: a generated client never sends
    /// something the document allows and the server refuses.
    #[test]
    fn what_the_stated_schemas_accept_parsing_accepts() {
        use crate::domain::contact::{Email, MobilePhone, parse_name};
        use crate::domain::username::Username;
        use utoipa::PartialSchema;
        let samples = [
            "",
            " ",
            "\t",
            "\u{3000}",
            "\u{1c}",
            "a",
            "ab",
            "abc",
            "Alice.W",
            " bob_1 ",
            "好味小馆",
            " 好 味 ",
            "a\u{202E}b",
            "a\tb",
            "\u{a0}x\u{a0}",
            "x\u{85}",
            "13812341234",
            "+8613812341234",
            " 008613812341234",
            "12812341234",
            "138 1234 1234",
            "li.na@example.cn",
            "a@b.c",
            "a@.b",
            "a@b.",
            "a@b",
            "@b.c",
            "a b@c.d",
            " x@y.z\n",
            "\u{1680}",
            "\u{2028}t",
            "t\u{205f}",
        ];
        type Parses<'a> = &'a dyn Fn(&str) -> bool;
        let checks: [(
            &str,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
            Parses,
        ); 7] = [
            ("username", Username::schema(), &|s| {
                Username::parse(s, "f").is_ok()
            }),
            ("phone", MobilePhone::schema(), &|s| {
                MobilePhone::parse(s, "f").is_ok()
            }),
            ("email", Email::schema(), &|s| Email::parse(s, "f").is_ok()),
            ("name", PersonName::schema(), &|s| {
                parse_name(s, 100, "f").is_ok()
            }),
            ("text", NoticeText::schema(), &|s| !s.trim().is_empty()),
            ("search", SearchText::schema(), &|s| {
                let n = s.trim().chars().count();
                (1..=100).contains(&n)
            }),
            ("brand", BrandName::schema(), &|s| {
                s.trim().is_empty() || parse_name(s, 40, "f").is_ok()
            }),
        ];
        for (what, schema, parses) in checks {
            let schema = serde_json::to_value(schema).unwrap();
            let validator = jsonschema::validator_for(&schema).unwrap();
            for sample in samples {
                if validator.is_valid(&serde_json::json!(sample)) {
                    assert!(
                        parses(sample),
                        "{what}: the schema accepts {sample:?}, parsing refuses it"
                    );
                }
            }
        }
    }
}
