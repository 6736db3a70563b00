//! The renderer: one Handlebars registry built at start from `page-templates/` in strict
//! mode. Strings are escaped for JSON (not HTML) by the escape function; numbers, booleans,
//! arrays and nullable values go through the `json` helper; asset ids become stable URLs
//! through the `asset` helper; children render through the recursive `children` partial.
//! Every output is parsed back and stored compact, so a page served to phones is always
//! valid JSON.

use super::catalog::Catalog;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Rendered JSON: compact bytes and their ETag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The JSON document.
    pub bytes: Vec<u8>,
    /// Strong ETag, quoted.
    pub etag: String,
}

impl Rendered {
    fn from_output(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("rendered output is not JSON: {e}"))?;
        let bytes =
            escape_line_separators(serde_json::to_vec(&value).expect("a JSON value serializes"));
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..20]);
        Ok(Self { bytes, etag })
    }
}

/// U+2028 and U+2029 are valid in JSON but end a JavaScript string literal: served
/// documents carry them as `\u2028` / `\u2029` (serde_json writes them raw). In valid
/// JSON they can only occur inside strings, so the bytes are replaced as they are.
pub fn escape_line_separators(bytes: Vec<u8>) -> Vec<u8> {
    const LS: [u8; 3] = [0xE2, 0x80, 0xA8];
    const PS: [u8; 3] = [0xE2, 0x80, 0xA9];
    if !bytes.windows(3).any(|w| w == LS || w == PS) {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i..i + 3) {
            Some(w) if w == LS => {
                out.extend_from_slice(b"\\u2028");
                i += 3;
            }
            Some(w) if w == PS => {
                out.extend_from_slice(b"\\u2029");
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// A page could not be rendered; `component_id` names the failing component.
#[derive(Clone, Debug)]
pub struct RenderFault {
    /// The deepest component whose own rendering fails, if one does.
    pub component_id: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// The registry.
pub struct Renderer {
    registry: Handlebars<'static>,
    schemas: std::collections::BTreeMap<String, Value>,
}

/// Key in the render context that carries the asset URL prefix.
const ASSET_BASE: &str = "_asset_base";

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("strings serialize");
    // U+2028/U+2029 are valid JSON but break JavaScript string literals.
    quoted[1..quoted.len() - 1]
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn json_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("json", 0))?
        .value();
    out.write(&serde_json::to_string(value).expect("values serialize"))?;
    Ok(())
}

fn asset_helper(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("asset", 0))?
        .value();
    match value.as_str() {
        None => out.write("null")?,
        Some(id) => {
            let base = ctx
                .data()
                .get(ASSET_BASE)
                .and_then(Value::as_str)
                .unwrap_or("");
            out.write(&serde_json::to_string(&format!("{base}{id}")).expect("strings serialize"))?;
        }
    }
    Ok(())
}

/// Fills every property the schema declares: the given value, else its `default`, else
/// null — so strict-mode templates find every prop.
pub fn fill_defaults(schema: &Value, value: &mut Value) {
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object_mut(),
    ) {
        for (name, sub) in props {
            let entry = obj
                .entry(name.clone())
                .or_insert_with(|| sub.get("default").cloned().unwrap_or(Value::Null));
            fill_defaults(sub, entry);
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array_mut()) {
        for item in list {
            fill_defaults(items, item);
        }
    }
}

impl Renderer {
    /// Compiles every template of the catalogue; a template that does not parse stops the
    /// start with its file and line.
    pub fn new(catalog: &Catalog) -> anyhow::Result<Self> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(json_escape);
        registry.register_helper("json", Box::new(json_helper));
        registry.register_helper("asset", Box::new(asset_helper));
        let mut schemas = std::collections::BTreeMap::new();
        for (name, (file, source)) in catalog.templates() {
            let partial = name.strip_prefix("app/").unwrap_or(name);
            registry
                .register_template_string(name, source.trim_end())
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
            registry
                .register_partial(partial, source.trim_end())
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
            if let Some(schema) = catalog.schema_doc(name) {
                schemas.insert(name.clone(), schema.clone());
            }
        }
        for required in [
            "app/page.json",
            "app/app.json",
            "app/ext.json",
            "app/children",
        ] {
            anyhow::ensure!(
                registry.has_template(required),
                "page-templates/{required}.hbs is missing"
            );
        }
        Ok(Self { registry, schemas })
    }

    /// Normalizes a layout's components for rendering: defaults filled, `children` present.
    fn normalize(&self, components: &Value) -> Value {
        let list = components.as_array().cloned().unwrap_or_default();
        Value::Array(
            list.into_iter()
                .map(|mut c| {
                    let ty = c
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    let mut props = c
                        .get("props")
                        .cloned()
                        .unwrap_or_else(|| Value::Object(Map::new()));
                    if let Some(schema) = self.schemas.get(&ty) {
                        fill_defaults(schema, &mut props);
                    }
                    let children =
                        self.normalize(c.get("children").unwrap_or(&Value::Array(Vec::new())));
                    let obj = c.as_object_mut().expect("validated components are objects");
                    obj.insert("props".into(), props);
                    obj.insert("children".into(), children);
                    c
                })
                .collect(),
        )
    }

    /// Renders a page version to the client's view JSON.
    pub fn render_page(
        &self,
        slug: &str,
        title: &str,
        version: i32,
        navigation_bar: &Value,
        layout: &Value,
        asset_base: &str,
    ) -> Result<Rendered, RenderFault> {
        let components = self.normalize(
            layout
                .get("components")
                .unwrap_or(&Value::Array(Vec::new())),
        );
        let doc = serde_json::json!({
            "slug": slug,
            "title": title,
            "version": version,
            "navigation_bar": navigation_bar,
            "components": components,
            ASSET_BASE: asset_base,
        });
        let attempt = self
            .registry
            .render("app/page.json", &doc)
            .map_err(|e| e.to_string())
            .and_then(|text| Rendered::from_output(&text));
        attempt.map_err(|message| RenderFault {
            component_id: self.failing_component(&components, asset_base),
            message,
        })
    }

    /// The deepest component whose own template fails (or renders invalid JSON).
    fn failing_component(&self, components: &Value, asset_base: &str) -> Option<String> {
        for c in components.as_array()? {
            if let Some(deeper) = self.failing_component(&c["children"], asset_base) {
                return Some(deeper);
            }
            let ty = c["type"].as_str().unwrap_or("");
            let mut ctx = c.clone();
            ctx[ASSET_BASE] = Value::String(asset_base.to_owned());
            let ok = self
                .registry
                .render(ty, &ctx)
                .ok()
                .is_some_and(|text| serde_json::from_str::<Value>(&text).is_ok());
            if !ok {
                return c["id"].as_str().map(str::to_owned);
            }
        }
        None
    }

    /// Renders the app config: `{appid, name, content_version, theme, window, tab_bar, pages}`.
    pub fn render_app_config(&self, doc: &Value, asset_base: &str) -> anyhow::Result<Rendered> {
        let mut doc = doc.clone();
        doc[ASSET_BASE] = Value::String(asset_base.to_owned());
        let text = self.registry.render("app/app.json", &doc)?;
        Rendered::from_output(&text).map_err(|e| anyhow::anyhow!(e))
    }

    /// Renders `ext.json` and returns it as the JSON string WeChat's `commit` expects in its
    /// `ext_json` field. It carries no `tabBar`: the code template declares its fixed tab
    /// pages and the merchant's tabs are data, so a tab change never needs an audit.
    pub fn render_ext_json(
        &self,
        appid: &str,
        api_base: &str,
        tenant_name: &str,
    ) -> anyhow::Result<String> {
        let text = self.registry.render(
            "app/ext.json",
            &serde_json::json!({
                "appid": appid,
                "api_base": api_base,
                "tenant_name": tenant_name,
            }),
        )?;
        let value: Value = serde_json::from_str(&text)?;
        Ok(serde_json::to_string(&value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn renderer() -> Renderer {
        Renderer::new(&Catalog::load(None).unwrap()).unwrap()
    }

    #[test]
    fn every_starter_page_renders_to_json() {
        let catalog = Catalog::load(None).unwrap();
        let r = Renderer::new(&catalog).unwrap();
        for p in catalog.starter_pages() {
            let out = r
                .render_page(
                    &p.slug,
                    &p.title.zh_cn,
                    1,
                    &p.navigation_bar,
                    &p.layout,
                    "https://x.cn/a/",
                )
                .unwrap();
            let v: Value = serde_json::from_slice(&out.bytes).unwrap();
            assert_eq!(v["route"], format!("pages/{}", p.slug));
            assert!(!v["components"].as_array().unwrap().is_empty());
        }
    }

    #[test]
    fn hostile_strings_round_trip_exactly() {
        let nasty = "quote \" backslash \\ </script><script>alert(1)</script> emoji 🎉 ctrl \u{1} \u{7} tab\t nl\n ls\u{2028} {{x}}";
        let layout = json!({"components": [{"id": "t", "type": "text", "props": {"text": nasty}}]});
        let out = renderer()
            .render_page("p", nasty, 3, &json!({}), &layout, "https://x.cn/")
            .unwrap();
        let v: Value = serde_json::from_slice(&out.bytes).unwrap();
        assert_eq!(v["components"][0]["text"], nasty);
        assert_eq!(v["title"], nasty);
        // Served as escapes: a raw U+2028 would end a JavaScript string literal.
        let text = String::from_utf8(out.bytes.clone()).unwrap();
        assert!(
            !text.contains('\u{2028}') && text.contains("\\u2028"),
            "{text}"
        );
    }

    #[test]
    fn nested_children_render_through_the_partial() {
        let layout = json!({"components": [{"id": "a", "type": "container", "children": [
            {"id": "b", "type": "container", "children": [{"id": "c", "type": "image", "props": {"asset_id": "sys-placeholder-logo"}}]}
        ]}]});
        let out = renderer()
            .render_page("p", "t", 1, &json!({}), &layout, "https://cdn.x/assets/")
            .unwrap();
        let v: Value = serde_json::from_slice(&out.bytes).unwrap();
        assert_eq!(
            v["components"][0]["children"][0]["children"][0]["src"],
            "https://cdn.x/assets/sys-placeholder-logo"
        );
        assert_eq!(
            v["components"][0]["direction"], "column",
            "defaults come from the schema"
        );
    }

    #[test]
    fn ext_json_is_a_string_with_the_appid() {
        let s = renderer()
            .render_ext_json("wxba5fad812f8e6fb9", "https://api.x.cn", "好味")
            .unwrap();
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["extAppid"], "wxba5fad812f8e6fb9");
        assert_eq!(v["ext"]["appid"], "wxba5fad812f8e6fb9");
        assert_eq!(v["extEnable"], true);
        assert!(v.get("tabBar").is_none(), "tabs are data, not code");
    }
}
