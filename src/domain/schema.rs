//! A compiled subset of JSON Schema (2020-12) for component props: `type`, `enum`,
//! `const`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`, `properties`,
//! `required`, `additionalProperties: false`, `items`, `minItems`, `maxItems`, `oneOf`,
//! `format` (`asset-image`, `asset-video`, `link`, `https-url`) and `x-rich-text`.
//! Annotations (`title`, `description`, …) are ignored; any other keyword is refused when
//! the schema is compiled, so a schema never silently checks less than it says.

use super::rich_text;
use crate::error::Localized;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

/// What kind of asset a prop references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetKind {
    /// An image.
    Image,
    /// A video.
    Video,
}

/// An asset id found in props, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetRef {
    /// JSON pointer of the value.
    pub pointer: String,
    /// The asset id.
    pub id: String,
    /// Expected kind.
    pub kind: AssetKind,
}

/// The first fault found: where, and why.
#[derive(Clone, Debug)]
pub struct Fault {
    /// JSON pointer into the request body.
    pub pointer: String,
    /// Why, in both languages.
    pub reason: Localized,
}

impl Fault {
    /// A fault at `pointer`.
    pub fn new(pointer: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            reason: Localized::new(zh.into(), en.into()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

impl JsonType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    fn matches(self, v: &Value) -> bool {
        match self {
            JsonType::String => v.is_string(),
            JsonType::Number => v.is_number(),
            JsonType::Integer => v.as_i64().is_some() || v.as_u64().is_some(),
            JsonType::Boolean => v.is_boolean(),
            JsonType::Object => v.is_object(),
            JsonType::Array => v.is_array(),
            JsonType::Null => v.is_null(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    AssetImage,
    AssetVideo,
    Link,
    HttpsUrl,
}

/// A compiled schema.
#[derive(Debug, Default)]
pub struct Schema {
    types: Vec<JsonType>,
    enum_values: Option<Vec<Value>>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<Regex>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    properties: BTreeMap<String, Schema>,
    required: Vec<String>,
    forbid_additional: bool,
    items: Option<Box<Schema>>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    one_of: Vec<Schema>,
    format: Option<Format>,
    rich_text: bool,
}

const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
];

/// `{"zh-CN": "…", "en": "…"}`, both non-empty.
fn two_languages(v: &Value) -> Result<(), String> {
    let ok = |lang: &str| {
        v.get(lang)
            .and_then(Value::as_str)
            .is_some_and(|t| !t.trim().is_empty())
    };
    if ok("zh-CN") && ok("en") && v.as_object().is_some_and(|o| o.len() == 2) {
        Ok(())
    } else {
        Err("must be {\"zh-CN\": …, \"en\": …}, both non-empty".into())
    }
}

fn usize_of(v: &Value, key: &str) -> Result<usize, String> {
    v.as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| format!("`{key}` must be a non-negative integer"))
}

impl Schema {
    /// Compiles a schema document; refuses keywords this validator does not implement.
    pub fn compile(doc: &Value) -> Result<Self, String> {
        let obj = doc.as_object().ok_or("a schema must be an object")?;
        let mut s = Schema::default();
        for (key, v) in obj {
            match key.as_str() {
                "type" => {
                    let names: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    for n in names {
                        let t = n.as_str().and_then(JsonType::parse).ok_or("bad `type`")?;
                        s.types.push(t);
                    }
                }
                "enum" => {
                    s.enum_values = Some(v.as_array().ok_or("`enum` must be an array")?.clone())
                }
                "const" => s.enum_values = Some(vec![v.clone()]),
                "minLength" => s.min_length = Some(usize_of(v, key)?),
                "maxLength" => s.max_length = Some(usize_of(v, key)?),
                "pattern" => {
                    let p = v.as_str().ok_or("`pattern` must be a string")?;
                    s.pattern = Some(Regex::new(p).map_err(|e| format!("bad pattern: {e}"))?);
                }
                "minimum" => s.minimum = Some(v.as_f64().ok_or("`minimum` must be a number")?),
                "maximum" => s.maximum = Some(v.as_f64().ok_or("`maximum` must be a number")?),
                "properties" => {
                    for (name, sub) in v.as_object().ok_or("`properties` must be an object")? {
                        s.properties.insert(
                            name.clone(),
                            Schema::compile(sub).map_err(|e| format!("{name}: {e}"))?,
                        );
                    }
                }
                "required" => {
                    for r in v.as_array().ok_or("`required` must be an array")? {
                        s.required
                            .push(r.as_str().ok_or("`required` holds names")?.to_owned());
                    }
                }
                "additionalProperties" => match v {
                    Value::Bool(false) => s.forbid_additional = true,
                    Value::Bool(true) => {}
                    _ => return Err("only `additionalProperties: false|true` is supported".into()),
                },
                "items" => {
                    s.items = Some(Box::new(
                        Schema::compile(v).map_err(|e| format!("items: {e}"))?,
                    ))
                }
                "minItems" => s.min_items = Some(usize_of(v, key)?),
                "maxItems" => s.max_items = Some(usize_of(v, key)?),
                "oneOf" => {
                    for sub in v.as_array().ok_or("`oneOf` must be an array")? {
                        s.one_of.push(Schema::compile(sub)?);
                    }
                }
                "format" => {
                    s.format = Some(match v.as_str() {
                        Some("asset-image") => Format::AssetImage,
                        Some("asset-video") => Format::AssetVideo,
                        Some("link") => Format::Link,
                        Some("https-url") => Format::HttpsUrl,
                        other => return Err(format!("unsupported format {other:?}")),
                    })
                }
                "x-rich-text" => s.rich_text = v.as_bool().unwrap_or(false),
                // The builder's labels: they do not validate, but a wrong shape would
                // show as a blank label, so it stops the start like a bad keyword.
                "x-label" | "x-help" => two_languages(v).map_err(|e| format!("`{key}`: {e}"))?,
                "x-enum-labels" => {
                    for (value, label) in
                        v.as_object().ok_or("`x-enum-labels` must be an object")?
                    {
                        two_languages(label)
                            .map_err(|e| format!("`x-enum-labels` of {value}: {e}"))?;
                    }
                }
                "x-widget" => {
                    if !matches!(v.as_str(), Some("textarea" | "color")) {
                        return Err("`x-widget` is `textarea` or `color`".into());
                    }
                }
                k if ANNOTATIONS.contains(&k) => {}
                other => return Err(format!("unsupported keyword `{other}`")),
            }
        }
        Ok(s)
    }

    /// Checks `value` (found at `pointer`), collecting asset references into `refs`;
    /// the first fault in document order.
    pub fn validate(
        &self,
        value: &Value,
        pointer: &str,
        refs: &mut Vec<AssetRef>,
    ) -> Result<(), Fault> {
        let mut faults = Vec::new();
        self.validate_all(value, pointer, refs, &mut faults);
        match faults.into_iter().next() {
            Some(first) => Err(first),
            None => Ok(()),
        }
    }

    /// Checks `value` like [`Schema::validate`] but goes on past a fault: one fault per
    /// value at most, every property and item visited, so an editor can mark them all.
    pub fn validate_all(
        &self,
        value: &Value,
        pointer: &str,
        refs: &mut Vec<AssetRef>,
        faults: &mut Vec<Fault>,
    ) {
        if let Err(fault) = self.check_value(value, pointer, refs) {
            faults.push(fault);
            return;
        }
        if let Some(obj) = value.as_object() {
            for name in &self.required {
                if !obj.contains_key(name) {
                    faults.push(Fault::new(
                        &format!("{pointer}/{}", escape(name)),
                        "必填",
                        "is required",
                    ));
                }
            }
            for (name, v) in obj {
                let child = format!("{pointer}/{}", escape(name));
                match self.properties.get(name) {
                    Some(sub) => sub.validate_all(v, &child, refs, faults),
                    None if self.forbid_additional => faults.push(Fault::new(
                        &child,
                        "不支持的属性",
                        "is not a known property",
                    )),
                    None => {}
                }
            }
            if !self.one_of.is_empty() {
                let matching = self
                    .one_of
                    .iter()
                    .filter(|s| s.validate(value, pointer, &mut Vec::new()).is_ok())
                    .count();
                if matching != 1 {
                    let options: Vec<String> =
                        self.one_of.iter().map(|s| s.required.join("+")).collect();
                    faults.push(Fault::new(
                        pointer,
                        format!("须且只能提供其一：{}", options.join(" / ")),
                        format!("must have exactly one of: {}", options.join(" / ")),
                    ));
                }
            }
        }
        if let Some(items) = value.as_array() {
            if self.min_items.is_some_and(|m| items.len() < m) {
                faults.push(Fault::new(
                    pointer,
                    format!("至少 {} 项", self.min_items.unwrap()),
                    format!("must have at least {} items", self.min_items.unwrap()),
                ));
            }
            if self.max_items.is_some_and(|m| items.len() > m) {
                faults.push(Fault::new(
                    pointer,
                    format!("最多 {} 项", self.max_items.unwrap()),
                    format!("must have at most {} items", self.max_items.unwrap()),
                ));
            }
            if let Some(sub) = &self.items {
                for (i, item) in items.iter().enumerate() {
                    sub.validate_all(item, &format!("{pointer}/{i}"), refs, faults);
                }
            }
            if self.rich_text
                && let Err(fault) = rich_text::validate_nodes(items, pointer, 0, &mut 0)
            {
                faults.push(fault);
            }
        }
    }

    /// Every link in `value` (a value this schema accepted): `format: link` strings and
    /// the `href` of rich-text nodes, with their pointers, in document order.
    pub fn links(&self, value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
        if self.format == Some(Format::Link)
            && let Some(target) = value.as_str()
        {
            out.push((pointer.to_owned(), target.to_owned()));
        }
        if let Some(obj) = value.as_object() {
            for (name, v) in obj {
                if let Some(sub) = self.properties.get(name) {
                    sub.links(v, &format!("{pointer}/{}", escape(name)), out);
                }
            }
            for sub in &self.one_of {
                if sub.validate(value, pointer, &mut Vec::new()).is_ok() {
                    sub.links(value, pointer, out);
                }
            }
        }
        if let Some(items) = value.as_array() {
            if let Some(sub) = &self.items {
                for (i, item) in items.iter().enumerate() {
                    sub.links(item, &format!("{pointer}/{i}"), out);
                }
            }
            if self.rich_text {
                rich_text_hrefs(value, pointer, out);
            }
        }
    }

    /// The checks on the value itself (type, enum, string and number bounds, format).
    fn check_value(
        &self,
        value: &Value,
        pointer: &str,
        refs: &mut Vec<AssetRef>,
    ) -> Result<(), Fault> {
        if !self.types.is_empty() && !self.types.iter().any(|t| t.matches(value)) {
            let names: Vec<&str> = self.types.iter().map(|t| t.name()).collect();
            return Err(Fault::new(
                pointer,
                format!("类型须为 {}", names.join(" 或 ")),
                format!("must be of type {}", names.join(" or ")),
            ));
        }
        if let Some(allowed) = &self.enum_values
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
            return Err(Fault::new(
                pointer,
                format!("须为以下之一：{}", list.join(", ")),
                format!("must be one of {}", list.join(", ")),
            ));
        }
        if let Some(text) = value.as_str() {
            let chars = text.chars().count();
            if self.min_length.is_some_and(|m| chars < m) {
                return Err(Fault::new(
                    pointer,
                    format!("至少 {} 个字符", self.min_length.unwrap()),
                    format!("must be at least {} characters", self.min_length.unwrap()),
                ));
            }
            if self.max_length.is_some_and(|m| chars > m) {
                return Err(Fault::new(
                    pointer,
                    format!("最多 {} 个字符", self.max_length.unwrap()),
                    format!("must be at most {} characters", self.max_length.unwrap()),
                ));
            }
            if let Some(re) = &self.pattern
                && !re.is_match(text)
            {
                return Err(Fault::new(
                    pointer,
                    "格式不正确",
                    format!("must match {}", re.as_str()),
                ));
            }
            if let Some(format) = self.format {
                check_format(format, text, pointer, refs)?;
            }
        }
        if let Some(n) = value.as_f64() {
            if self.minimum.is_some_and(|m| n < m) {
                return Err(Fault::new(
                    pointer,
                    format!("不能小于 {}", self.minimum.unwrap()),
                    format!("must be at least {}", self.minimum.unwrap()),
                ));
            }
            if self.maximum.is_some_and(|m| n > m) {
                return Err(Fault::new(
                    pointer,
                    format!("不能大于 {}", self.maximum.unwrap()),
                    format!("must be at most {}", self.maximum.unwrap()),
                ));
            }
        }
        Ok(())
    }
}

fn rich_text_hrefs(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                rich_text_hrefs(item, &format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(obj) => {
            for (name, v) in obj {
                let child = format!("{pointer}/{}", escape(name));
                match (name.as_str(), v) {
                    ("href", Value::String(target)) => out.push((child, target.clone())),
                    _ => rich_text_hrefs(v, &child, out),
                }
            }
        }
        _ => {}
    }
}

/// JSON pointer escaping of one key.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether `id` looks like an asset id: a UUID, or a system placeholder `sys-<name>`.
pub fn is_asset_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
        || id.strip_prefix("sys-").is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 60
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A link a merchant can give, by its prefix (the mini-program reads the kind from it):
/// - `pages/<slug>[?query]` — a page of this mini-program;
/// - `https://host/…` — a web address (no credentials);
/// - `tel:<number>` — a call: 3–20 of digits, `+`, `-` and spaces, at least 3 digits;
/// - `geo:<lat>,<lng>[?name=…&address=…]` — a map point (latitude −90…90, longitude
///   −180…180; name and address up to 100 characters each, percent-encoded);
/// - `miniprogram:<appid>[/<path>]` — another mini-program (`wx` + 16 hex digits; a path
///   of up to 200 characters without spaces).
pub fn is_link(text: &str) -> bool {
    if let Some(route) = text.strip_prefix("pages/") {
        let slug = route.split('?').next().unwrap_or("");
        return !slug.is_empty()
            && slug.len() <= 64
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    }
    if let Some(number) = text.strip_prefix("tel:") {
        return (3..=20).contains(&number.len())
            && number.chars().filter(char::is_ascii_digit).count() >= 3
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
    }
    if let Some(point) = text.strip_prefix("geo:") {
        return is_map_point(point);
    }
    if let Some(target) = text.strip_prefix("miniprogram:") {
        let (appid, path) = target.split_once('/').unwrap_or((target, ""));
        return appid.len() == 18
            && appid.starts_with("wx")
            && appid[2..].chars().all(|c| c.is_ascii_hexdigit())
            && path.chars().count() <= 200
            && !path.chars().any(|c| c.is_whitespace() || c.is_control());
    }
    is_https_url(text)
}

/// `<lat>,<lng>[?name=…&address=…]`.
fn is_map_point(point: &str) -> bool {
    let (coordinates, query) = point.split_once('?').unwrap_or((point, ""));
    let Some((lat, lng)) = coordinates.split_once(',') else {
        return false;
    };
    let in_range = |v: &str, limit: f64| {
        v.parse::<f64>()
            .is_ok_and(|x| x.is_finite() && (-limit..=limit).contains(&x))
    };
    if !in_range(lat, 90.0) || !in_range(lng, 180.0) {
        return false;
    }
    url::form_urlencoded::parse(query.as_bytes()).all(|(key, value)| {
        matches!(key.as_ref(), "name" | "address")
            && value.chars().count() <= 100
            && !value.chars().any(char::is_control)
    })
}

/// An absolute `https` URL with a host and no user info.
pub fn is_https_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.username().is_empty()
            && u.password().is_none()
    })
}

fn check_format(
    format: Format,
    text: &str,
    pointer: &str,
    refs: &mut Vec<AssetRef>,
) -> Result<(), Fault> {
    match format {
        Format::AssetImage | Format::AssetVideo => {
            if !is_asset_id(text) {
                return Err(Fault::new(
                    pointer,
                    "不是有效的素材 ID",
                    "is not an asset id",
                ));
            }
            refs.push(AssetRef {
                pointer: pointer.to_owned(),
                id: text.to_owned(),
                kind: if format == Format::AssetImage {
                    AssetKind::Image
                } else {
                    AssetKind::Video
                },
            });
        }
        Format::Link if !is_link(text) => {
            return Err(Fault::new(
                pointer,
                "链接须为小程序页面 pages/…、https:// 网址、电话 tel:…、地图位置 geo:纬度,经度 或其他小程序 miniprogram:AppID",
                "must be a page (pages/<slug>), an https:// URL, a phone number (tel:…), a map point (geo:<lat>,<lng>) or another mini-program (miniprogram:<appid>[/<path>])",
            ));
        }
        Format::HttpsUrl if !is_https_url(text) => {
            return Err(Fault::new(
                pointer,
                "须为 https:// 地址",
                "must be an https:// URL",
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_keywords_are_refused_at_compile_time() {
        assert!(Schema::compile(&json!({"type": "object", "patternProperties": {}})).is_err());
        assert!(Schema::compile(&json!({"format": "email"})).is_err());
        assert!(Schema::compile(&json!({"title": "x", "type": "string"})).is_ok());
    }

    #[test]
    fn faults_carry_exact_pointers_and_assets_are_collected() {
        let s = Schema::compile(&json!({
            "type": "object", "additionalProperties": false, "required": ["slides"],
            "properties": {
                "slides": {"type": "array", "maxItems": 2, "items": {
                    "type": "object", "additionalProperties": false, "required": ["asset_id"],
                    "properties": {"asset_id": {"type": "string", "format": "asset-image"}, "link": {"type": "string", "format": "link"}}
                }},
                "n": {"type": "integer", "minimum": 1}
            }
        }))
        .unwrap();
        let id = uuid::Uuid::now_v7().to_string();
        let mut refs = Vec::new();
        s.validate(
            &json!({"slides": [{"asset_id": id, "link": "pages/menu"}], "n": 3}),
            "/p",
            &mut refs,
        )
        .unwrap();
        assert_eq!(
            refs,
            vec![AssetRef {
                pointer: "/p/slides/0/asset_id".into(),
                id: id.clone(),
                kind: AssetKind::Image
            }]
        );
        let fault = |v: Value| s.validate(&v, "/p", &mut Vec::new()).unwrap_err().pointer;
        assert_eq!(fault(json!({})), "/p/slides");
        assert_eq!(
            fault(json!({"slides": [{"asset_id": id, "link": "javascript:alert(1)"}]})),
            "/p/slides/0/link"
        );
        assert_eq!(
            fault(json!({"slides": [{"asset_id": "x"}]})),
            "/p/slides/0/asset_id"
        );
        assert_eq!(
            fault(json!({"slides": [{"asset_id": id, "x": 1}]})),
            "/p/slides/0/x"
        );
        assert_eq!(fault(json!({"slides": [], "n": 1.5})), "/p/n");
        assert_eq!(
            fault(json!({"slides": [{"asset_id": id}, {"asset_id": id}, {"asset_id": id}]})),
            "/p/slides"
        );
    }

    #[test]
    fn one_of_needs_exactly_one() {
        let s = Schema::compile(
            &json!({"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}),
        )
        .unwrap();
        assert!(s.validate(&json!({"a": 1}), "", &mut Vec::new()).is_ok());
        assert!(
            s.validate(&json!({"a": 1, "b": 2}), "", &mut Vec::new())
                .is_err()
        );
        assert!(s.validate(&json!({}), "", &mut Vec::new()).is_err());
    }

    #[test]
    fn links() {
        assert!(is_link("https://shop.example.cn/a?b=1"));
        assert!(is_link("pages/about-us"));
        assert!(is_link("pages/menu?tab=2"));
        assert!(is_link("tel:021-6234 5678"));
        assert!(is_link("tel:+8613800000000"));
        assert!(is_link("geo:31.2304,121.4737"));
        assert!(is_link(
            "geo:-33.86,151.2?name=%E5%A5%BD%E5%91%B3%E5%B0%8F%E9%A6%86&address=Main+St"
        ));
        assert!(is_link("miniprogram:wx0123456789abcdef"));
        assert!(is_link(
            "miniprogram:wx0123456789abcdef/pages/index/index?id=7"
        ));
        for bad in [
            "http://x.cn",
            "javascript:alert(1)",
            "pages/",
            "pages/Menu",
            "https://user:pw@x.cn",
            "//x.cn",
            "tel:",
            "tel:12",
            "tel:call-me",
            "tel:1234567890123456789012",
            "geo:91,0",
            "geo:0,181",
            "geo:31.2",
            "geo:NaN,1",
            "geo:31.2,121.4?zoom=3",
            "miniprogram:wx123",
            "miniprogram:wx0123456789abcdeg",
            "miniprogram:wx0123456789abcdef/a b",
        ] {
            assert!(!is_link(bad), "{bad}");
        }
    }
}
