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
}
