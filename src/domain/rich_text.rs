//! The mini-program `rich-text` node tree with an allowlist: known tags and attributes
//! only, no scripts or event handlers, links only `https` or in-app `pages/...`.

use super::schema::{Fault, is_https_url, is_link};
use serde_json::Value;

const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];
const ATTRS: &[&str] = &[
    "class", "style", "title", "alt", "src", "href", "width", "height", "colspan", "rowspan",
];
const MAX_DEPTH: usize = 16;
const MAX_NODES: usize = 2000;

/// Checks a node list found at `pointer`.
pub fn validate_nodes(
    nodes: &[Value],
    pointer: &str,
    depth: usize,
    count: &mut usize,
) -> Result<(), Fault> {
    if depth > MAX_DEPTH {
        return Err(Fault::new(
            pointer,
            "富文本嵌套过深",
            format!("rich text nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    for (i, node) in nodes.iter().enumerate() {
        let p = format!("{pointer}/{i}");
        *count += 1;
        if *count > MAX_NODES {
            return Err(Fault::new(
                &p,
                "富文本节点过多",
                format!("rich text has more than {MAX_NODES} nodes"),
            ));
        }
        let obj = node
            .as_object()
            .ok_or_else(|| Fault::new(&p, "节点须为对象", "a node must be an object"))?;
        if obj.get("type").and_then(Value::as_str) == Some("text") {
            for key in obj.keys() {
                if key != "type" && key != "text" {
                    return Err(Fault::new(
                        &format!("{p}/{key}"),
                        "文本节点只有 type 和 text",
                        "a text node has only type and text",
                    ));
                }
            }
            let text = obj
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| Fault::new(&format!("{p}/text"), "必填文本", "is required text"))?;
            if text.chars().count() > 5000 {
                return Err(Fault::new(
                    &format!("{p}/text"),
                    "最多 5000 个字符",
                    "must be at most 5000 characters",
                ));
            }
            continue;
        }
        for key in obj.keys() {
            if !matches!(key.as_str(), "name" | "attrs" | "children" | "type") {
                return Err(Fault::new(
                    &format!("{p}/{key}"),
                    "不支持的节点字段",
                    "is not a node field",
                ));
            }
        }
        if obj.get("type").is_some_and(|t| t != "node") {
            return Err(Fault::new(
                &format!("{p}/type"),
                "须为 node 或 text",
                "must be node or text",
            ));
        }
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Fault::new(&format!("{p}/name"), "必填标签名", "is required"))?;
        if !TAGS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Fault::new(
                &format!("{p}/name"),
                format!("不允许的标签 {name}"),
                format!("tag `{name}` is not allowed"),
            ));
        }
        if let Some(attrs) = obj.get("attrs") {
            let attrs = attrs.as_object().ok_or_else(|| {
                Fault::new(&format!("{p}/attrs"), "须为对象", "must be an object")
            })?;
            for (key, value) in attrs {
                let ap = format!("{p}/attrs/{key}");
                let lower = key.to_ascii_lowercase();
                if lower.starts_with("on") {
                    return Err(Fault::new(
                        &ap,
                        "不允许事件属性",
                        "event attributes are not allowed",
                    ));
                }
                if !ATTRS.contains(&lower.as_str()) {
                    return Err(Fault::new(
                        &ap,
                        format!("不允许的属性 {key}"),
                        format!("attribute `{key}` is not allowed"),
                    ));
                }
                let value = value
                    .as_str()
                    .ok_or_else(|| Fault::new(&ap, "须为字符串", "must be a string"))?;
                if value.chars().count() > 2000 {
                    return Err(Fault::new(&ap, "过长", "is too long"));
                }
                let v = value.to_ascii_lowercase();
                match lower.as_str() {
                    "href" if !is_link(value) => {
                        return Err(Fault::new(
                            &ap,
                            "链接须为 https:// 地址或 pages/…",
                            "links must be https:// or pages/<slug>",
                        ));
                    }
                    "src" if !is_https_url(value) => {
                        return Err(Fault::new(
                            &ap,
                            "图片地址须为 https://",
                            "image sources must be https://",
                        ));
                    }
                    "style" => {
                        if let Err(refused) = check_style(&v) {
                            return Err(Fault::new(
                                &ap,
                                format!("样式不允许：{refused}"),
                                format!("style not allowed: {refused}"),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(children) = obj.get("children") {
            let children = children.as_array().ok_or_else(|| {
                Fault::new(&format!("{p}/children"), "须为数组", "must be an array")
            })?;
            validate_nodes(children, &format!("{p}/children"), depth + 1, count)?;
        }
    }
    Ok(())
}

/// CSS properties a rich-text `style` may set: text, colour, box and layout — nothing
/// that takes an image or another resource.
const STYLE_PROPERTIES: &[&str] = &[
    "color",
    "background-color",
    "font-size",
    "font-weight",
    "font-style",
    "font-family",
    "text-align",
    "text-decoration",
    "text-indent",
    "line-height",
    "letter-spacing",
    "white-space",
    "word-break",
    "vertical-align",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-width",
    "border-style",
    "border-radius",
    "width",
    "height",
    "max-width",
    "min-width",
    "max-height",
    "min-height",
    "display",
    "opacity",
];

/// Functions a value may call: colours and arithmetic, none of which loads anything.
const STYLE_FUNCTIONS: &[&str] = &["rgb", "rgba", "hsl", "hsla", "calc"];

/// Checks a (lower-cased) `style` attribute declaration by declaration: each property on
/// the allowlist, each value made only of words, numbers, `#` colours, quoted font names
/// and allowlisted functions. CSS escapes (`u\72l(`), comments, at-rules, `url()`,
/// `image-set()`, `expression()` and every other function are refused, so nothing can
/// load a resource or hide one from the check. The refusal names what was refused.
fn check_style(style: &str) -> Result<(), String> {
    for forbidden in ["\\", "/*", "@", "<", ">", "{", "}"] {
        if style.contains(forbidden) {
            return Err(format!("`{forbidden}`"));
        }
    }
    for declaration in style.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let (property, value) = declaration
            .split_once(':')
            .ok_or_else(|| format!("`{declaration}`"))?;
        let property = property.trim();
        if !STYLE_PROPERTIES.contains(&property) {
            return Err(format!("`{property}`"));
        }
        let value = value.trim().trim_end_matches("!important").trim();
        if value.is_empty() {
            return Err(format!("`{property}` without a value"));
        }
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || " #%.,()-+*/'\"".contains(c) || !c.is_ascii();
        if let Some(c) = value.chars().find(|c| !allowed(*c)) {
            return Err(format!("`{c}`"));
        }
        // Every `(` must follow an allowlisted function name.
        let mut rest = value;
        while let Some(open) = rest.find('(') {
            let name: String = rest[..open]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !STYLE_FUNCTIONS.contains(&name.as_str()) {
                return Err(format!("`{name}()`"));
            }
            rest = &rest[open + 1..];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<(), String> {
        validate_nodes(v.as_array().unwrap(), "/n", 0, &mut 0).map_err(|f| f.pointer)
    }

    #[test]
    fn allowlist() {
        assert!(check(json!([{"name": "p", "attrs": {"style": "color:red"}, "children": [
            {"type": "text", "text": "你好"},
            {"name": "a", "attrs": {"href": "pages/menu"}, "children": [{"type": "text", "text": "菜单"}]}
        ]}])).is_ok());
        assert_eq!(
            check(json!([{"name": "script", "children": []}])).unwrap_err(),
            "/n/0/name"
        );
        assert_eq!(
            check(json!([{"name": "p", "attrs": {"onclick": "x()"}}])).unwrap_err(),
            "/n/0/attrs/onclick"
        );
        assert_eq!(
            check(json!([{"name": "a", "attrs": {"href": "javascript:alert(1)"}}])).unwrap_err(),
            "/n/0/attrs/href"
        );
        assert_eq!(check(json!([{"name": "p", "children": [{"name": "img", "attrs": {"src": "http://x.cn/a.png"}}]}])).unwrap_err(), "/n/0/children/0/attrs/src");
        assert_eq!(
            check(json!([{"name": "p", "attrs": {"style": "background:url(x)"}}])).unwrap_err(),
            "/n/0/attrs/style"
        );
        assert_eq!(check(json!([{"name": "iframe"}])).unwrap_err(), "/n/0/name");
    }

    #[test]
    fn styles_are_parsed_and_only_allowlisted_properties_and_values_pass() {
        for ok in [
            "color:red",
            "color: #ff0000; font-size: 14px;",
            "background-color: rgba(0, 0, 0, .5); text-align: center",
            "margin: 0 auto; padding: 4px 8px; border: 1px solid #eee",
            "font-family: 'PingFang SC', sans-serif; font-weight: bold !important",
            "width: calc(100% - 16px)",
        ] {
            assert_eq!(check_style(ok), Ok(()), "{ok}");
        }
        for bad in [
            "background:url(x)",
            "background:u\\72l(x)",
            "background-image: image-set(\"a.png\" 1x)",
            "@import 'x.css'",
            "color: red; behavior: url(x.htc)",
            "color: expression(alert(1))",
            "col/**/or: red",
            "background: red",
            "color: var(--x)",
            "color: red; content: 'x'",
            "color",
            "width: 10px</style><script>",
            "list-style: url(x)",
            "color: attr(title)",
        ] {
            assert!(check_style(bad).is_err(), "{bad}");
        }
    }
}
