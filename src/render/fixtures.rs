//! Golden fixtures for the front-ends (`fixtures/README.md`): pages, app configs, the
//! suspended payload and an `ext.json`, rendered straight from the renderer with a fixed
//! base URL, appid and ids (no database, no clock), and for every page the expected
//! outline — what a person sees — that the mini-program's tests and the console's preview
//! must extract from what they render.

use super::catalog::Catalog;
use super::renderer::Renderer;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The appid every fixture uses.
pub const APPID: &str = "wxfixture00000001";
/// The public base URL every fixture uses.
pub const BASE_URL: &str = "https://api.example.cn";
const TENANT_NAME: &str = "好味小馆";

fn asset_base() -> String {
    format!("{BASE_URL}/client/v1/{APPID}/assets/")
}

/// Every fixture file: path relative to `fixtures/` → pretty JSON with a final newline.
pub fn generate(
    catalog: &Catalog,
    renderer: &Renderer,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let mut pages: Vec<(String, Value)> = Vec::new();
    for starter in catalog.starter_pages() {
        pages.push((
            format!("page-{}", starter.key),
            render_page(
                renderer,
                &starter.slug,
                &starter.title.zh_cn,
                &starter.navigation_bar,
                &starter.layout,
            )?,
        ));
    }
    pages.push((
        "page-every-component".into(),
        render_page(
            renderer,
            "showcase",
            "全部组件 \"showcase\" 🎉",
            &json!({"title": "全部组件"}),
            &every_component(catalog),
        )?,
    ));
    for (name, page) in &pages {
        files.insert(format!("rendered/{name}.json"), pretty(page));
        files.insert(format!("outline/{name}.json"), pretty(&page_outline(page)));
    }
    let page_list: Vec<Value> = pages
        .iter()
        .map(|(_, p)| json!({"slug": p["slug"], "title": p["title"], "version": p["version"], "etag": "fixture"}))
        .collect();
    for (name, tabs) in [
        ("app-with-tabs", tab_items(&pages)),
        ("app-without-tabs", Value::Null),
    ] {
        let doc = json!({
            "appid": APPID,
            "tenant_name": TENANT_NAME,
            "content_version": 7,
            "theme": crate::services::settings::default_theme(),
            "tab_bar": tabs,
            "pages": page_list,
        });
        let rendered = renderer.render_app_config(&doc, &asset_base())?;
        files.insert(
            format!("rendered/{name}.json"),
            pretty(&parse(&rendered.bytes)?),
        );
    }
    files.insert(
        "rendered/suspended.json".into(),
        pretty(&crate::services::client_cache::suspended_payload(
            "frozen",
            TENANT_NAME,
            &json!("400-800-1234"),
        )),
    );
    let ext = renderer.render_ext_json(APPID, &format!("{BASE_URL}/client/v1"), TENANT_NAME)?;
    files.insert(
        "rendered/ext.json".into(),
        pretty(&serde_json::from_str(&ext)?),
    );
    Ok(files)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("values serialize");
    s.push('\n');
    s
}

fn parse(bytes: &[u8]) -> anyhow::Result<Value> {
    Ok(serde_json::from_slice(bytes)?)
}

fn render_page(
    renderer: &Renderer,
    slug: &str,
    title: &str,
    navigation_bar: &Value,
    layout: &Value,
) -> anyhow::Result<Value> {
    let rendered = renderer
        .render_page(slug, title, 1, navigation_bar, layout, &asset_base())
        .map_err(|f| anyhow::anyhow!("{slug}: {} ({:?})", f.message, f.component_id))?;
    parse(&rendered.bytes)
}

fn tab_items(pages: &[(String, Value)]) -> Value {
    let items: Vec<Value> = ["home", "catalogue", "contact"]
        .iter()
        .filter_map(|slug| pages.iter().find(|(_, p)| p["slug"] == *slug))
        .map(|(_, p)| {
            json!({
                "slug": p["slug"],
                "label": p["title"].as_str().unwrap_or("").chars().take(4).collect::<String>(),
                "icon_asset_id": "sys-placeholder-icon",
                "selected_icon_asset_id": "sys-placeholder-icon-active",
            })
        })
        .collect();
    Value::Array(items)
}

/// A layout that uses every catalogue type, with edge-case props: quotes, emoji, long
/// text, empty lists, nested containers and every link kind.
fn every_component(catalog: &Catalog) -> Value {
    let long = "很长的文字 long text ".repeat(20).trim_end().to_owned();
    let mut components = vec![
        json!({"id": "text-quotes", "type": "text", "props": {"text": "He said \"你好\" & <b>not bold</b> 🎉", "size": "large", "align": "center", "color": "#FF0000", "bold": true}}),
        json!({"id": "text-long", "type": "text", "props": {"text": long}}),
        json!({"id": "image-url", "type": "image", "props": {"asset_id": "sys-placeholder-square", "mode": "aspectFit", "link": "https://shop.example.cn/menu?a=1&b=2"}}),
        json!({"id": "image-plain", "type": "image", "props": {"asset_id": "sys-placeholder-banner"}}),
        json!({"id": "button-page", "type": "button", "props": {"text": "查看菜单", "link": "pages/menu?tab=2", "style": "plain", "block": true}}),
        json!({"id": "carousel", "type": "carousel", "props": {"slides": [
            {"asset_id": "sys-placeholder-banner", "caption": "第一张 \"slide\"", "link": "pages/about"},
            {"asset_id": "sys-placeholder-banner"}
        ], "autoplay": false, "interval_ms": 2500, "height_rpx": 320}}),
        json!({"id": "grid", "type": "image_grid", "props": {"columns": 3, "tiles": [
            {"asset_id": "sys-placeholder-square", "label": "招牌菜", "link": "pages/catalogue"},
            {"asset_id": "sys-placeholder-square", "label": "", "link": "https://shop.example.cn/"},
            {"asset_id": "sys-placeholder-square", "label": "饮品"}
        ]}}),
        json!({"id": "notice", "type": "notice_bar", "props": {"text": "今日营业至 22:00 🍜", "link": "pages/contact", "scrollable": true}}),
        json!({"id": "store", "type": "store_info", "props": {"name": "好味小馆", "description": "", "logo_asset_id": "sys-placeholder-logo", "address": "上海市徐汇区 1 号", "phone": "021-1234 5678", "tags": []}}),
        json!({"id": "store-no-logo", "type": "store_info", "props": {"name": "分店", "tags": ["外卖", "堂食"]}}),
        json!({"id": "contact-map", "type": "contact_card", "props": {"name": "王老板", "phone": "13800138000", "address": "徐汇区", "latitude": 31.2, "longitude": 121.4, "show_map": true}}),
        json!({"id": "contact-plain", "type": "contact_card", "props": {"phone": "+86 21 5555"}}),
        json!({"id": "hours", "type": "business_hours", "props": {"entries": [
            {"days": "周一至周五", "open": "09:00", "close": "21:30"},
            {"days": "周末", "open": "10:00", "close": "24:00"}
        ], "note": "节假日另行通知"}}),
        json!({"id": "rich", "type": "rich_text", "props": {"nodes": [
            {"name": "h2", "children": [{"type": "text", "text": "关于我们"}]},
            {"name": "p", "attrs": {"style": "color: #666"}, "children": [
                {"type": "text", "text": "始于 1998 年，"},
                {"name": "strong", "children": [{"type": "text", "text": "手工"}]},
                {"type": "text", "text": "制作。"}
            ]},
            {"name": "img", "attrs": {"src": "https://img.example.cn/a.png", "alt": "店面"}},
            {"name": "ul", "children": []}
        ]}}),
        json!({"id": "divider", "type": "divider", "props": {"style": "dashed", "color": "#CCCCCC", "margin_rpx": 24}}),
        json!({"id": "spacer", "type": "spacer", "props": {"height_rpx": 40}}),
        json!({"id": "video-asset", "type": "video", "props": {"asset_id": "sys-placeholder-banner", "poster_asset_id": "sys-placeholder-banner", "autoplay": true, "loop": true, "muted": false}}),
        json!({"id": "video-url", "type": "video", "props": {"url": "https://video.example.cn/a.mp4"}}),
        json!({"id": "outer", "type": "container", "props": {"direction": "row", "padding_rpx": 16, "gap_rpx": 8, "background_color": "#FFFFFF"}, "children": [
            {"id": "inner", "type": "container", "children": [
                {"id": "inner-text", "type": "text", "props": {"text": "嵌套 nested"}},
                {"id": "inner-empty", "type": "container", "children": []}
            ]},
            {"id": "row-button", "type": "button", "props": {"text": "外链", "link": "https://shop.example.cn/order"}}
        ]}),
    ];
    // A type added to the catalogue shows up here with its defaults.
    let used: std::collections::BTreeSet<String> = components
        .iter()
        .map(|c| c["type"].as_str().unwrap_or("").to_owned())
        .collect();
    for ty in catalog.specs().keys() {
        if !used.contains(ty) {
            components.push(json!({"id": format!("default-{ty}"), "type": ty}));
        }
    }
    json!({ "components": components })
}

// ------------------------------------------------------------------ the outline

fn block(ty: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    m.insert("text".into(), json!([]));
    m.insert("images".into(), json!([]));
    m.insert("link".into(), Value::Null);
    m.insert("style".into(), json!({}));
    m.insert("children".into(), json!([]));
    m
}

fn texts<'a>(pieces: impl IntoIterator<Item = &'a Value>) -> Value {
    Value::Array(
        pieces
            .into_iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| json!(s))
            .collect(),
    )
}

fn image(src: &Value, mode: &str) -> Value {
    match src.as_str() {
        Some(s) if !s.is_empty() => json!([{ "src": s, "mode": mode }]),
        _ => json!([]),
    }
}

/// `{kind, target}` of a link, or null.
pub fn link_outline(link: &Value) -> Value {
    let Some(link) = link.as_str().filter(|l| !l.is_empty()) else {
        return Value::Null;
    };
    if let Some(route) = link.strip_prefix("pages/") {
        json!({"kind": "page", "target": route})
    } else if let Some(number) = link.strip_prefix("tel:") {
        json!({"kind": "phone", "target": number})
    } else if let Some(point) = link.strip_prefix("geo:") {
        json!({"kind": "map", "target": point})
    } else if let Some(app) = link.strip_prefix("miniprogram:") {
        json!({"kind": "miniprogram", "target": app})
    } else {
        json!({"kind": "url", "target": link})
    }
}

fn style(c: &Value, keys: &[&str]) -> Value {
    Value::Object(
        keys.iter()
            .map(|k| ((*k).to_owned(), c[*k].clone()))
            .collect(),
    )
}

fn rich_text(nodes: &Value, text: &mut Vec<Value>, images: &mut Vec<Value>) {
    for node in nodes.as_array().into_iter().flatten() {
        if node["type"] == "text" {
            if let Some(t) = node["text"].as_str().filter(|t| !t.is_empty()) {
                text.push(json!(t));
            }
        } else if node["name"] == "img"
            && let Some(src) = node["attrs"]["src"].as_str()
        {
            images.push(json!({"src": src, "mode": "widthFix"}));
        }
        rich_text(&node["children"], text, images);
    }
}

/// The outline of one rendered component, or `None` for a type that renders nothing.
pub fn component_outline(c: &Value) -> Option<Value> {
    let ty = c["type"].as_str()?;
    let mut b = block(ty);
    match ty {
        "text" => {
            b["text"] = texts([&c["text"]]);
            b["style"] = style(c, &["size", "align", "color", "bold"]);
        }
        "image" => {
            b["images"] = image(&c["src"], c["mode"].as_str().unwrap_or("widthFix"));
            b["link"] = link_outline(&c["link"]);
        }
        "button" => {
            b["text"] = texts([&c["text"]]);
            b["link"] = link_outline(&c["link"]);
            b["style"] = style(c, &["style", "block"]);
        }
        "carousel" => {
            b["style"] = style(c, &["height_rpx", "autoplay", "interval_ms"]);
            b["children"] = sub_items(&c["slides"], "slide", "caption");
        }
        "image_grid" => {
            b["style"] = style(c, &["columns"]);
            b["children"] = sub_items(&c["tiles"], "tile", "label");
        }
        "notice_bar" => {
            b["text"] = texts([&c["text"]]);
            b["link"] = link_outline(&c["link"]);
            b["style"] = style(c, &["color", "background_color", "scrollable"]);
        }
        "store_info" => {
            let mut pieces = vec![&c["name"], &c["description"], &c["address"], &c["phone"]];
            pieces.extend(c["tags"].as_array().into_iter().flatten());
            b["text"] = texts(pieces);
            b["images"] = image(&c["logo"], "aspectFill");
        }
        "contact_card" => {
            b["text"] = texts([&c["name"], &c["phone"], &c["address"]]);
            // A map needs both coordinates; without them the card shows none.
            let point = &c["location"];
            let map = if point["latitude"].is_number() && point["longitude"].is_number() {
                point.clone()
            } else {
                Value::Null
            };
            b["style"] = json!({ "map": map });
        }
        "business_hours" => {
            b["text"] = texts([&c["note"]]);
            b["children"] = Value::Array(
                c["entries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        let mut h = block("hours");
                        let span = format!(
                            "{}\u{2013}{}",
                            e["open"].as_str().unwrap_or(""),
                            e["close"].as_str().unwrap_or("")
                        );
                        h["text"] = texts([&e["days"], &json!(span)]);
                        Value::Object(h)
                    })
                    .collect(),
            );
        }
        "rich_text" => {
            let (mut text, mut images) = (Vec::new(), Vec::new());
            rich_text(&c["nodes"], &mut text, &mut images);
            b["text"] = Value::Array(text);
            b["images"] = Value::Array(images);
        }
        "divider" => b["style"] = style(c, &["style", "color", "margin_rpx"]),
        "spacer" => b["style"] = style(c, &["height_rpx"]),
        "video" => {
            b["images"] = image(&c["poster"], "poster");
            b["style"] = style(c, &["src", "autoplay", "loop", "muted"]);
        }
        "container" => {
            b["style"] = style(
                c,
                &["direction", "padding_rpx", "gap_rpx", "background_color"],
            );
            b["children"] = outline_list(&c["children"]);
        }
        _ => return None,
    }
    Some(Value::Object(b))
}

fn sub_items(items: &Value, ty: &str, caption: &str) -> Value {
    Value::Array(
        items
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                let mut s = block(ty);
                s["text"] = texts([&item[caption]]);
                s["images"] = image(&item["src"], "aspectFill");
                s["link"] = link_outline(&item["link"]);
                Value::Object(s)
            })
            .collect(),
    )
}

fn outline_list(components: &Value) -> Value {
    Value::Array(
        components
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(component_outline)
            .collect(),
    )
}

/// The outline of a rendered page.
pub fn page_outline(page: &Value) -> Value {
    json!({ "title": page["title"], "blocks": outline_list(&page["components"]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_fixtures_are_what_the_renderer_writes() {
        let catalog = Catalog::load(None).unwrap();
        let renderer = Renderer::new(&catalog).unwrap();
        let files = generate(&catalog, &renderer).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for (path, text) in &files {
            let committed = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            assert!(
                committed == *text,
                "fixtures/{path} is stale: run `cargo run -- fixtures`"
            );
        }
        for dir in ["rendered", "outline"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
                assert!(
                    files.contains_key(&name),
                    "fixtures/{name} is not generated"
                );
            }
        }
    }

    #[test]
    fn the_showcase_page_uses_every_type_and_link_kind() {
        let catalog = Catalog::load(None).unwrap();
        let layout = every_component(&catalog);
        let used: std::collections::BTreeSet<&str> = layout["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["type"].as_str())
            .collect();
        for ty in catalog.specs().keys() {
            assert!(used.contains(ty.as_str()), "{ty} missing from the showcase");
        }
        let text = layout.to_string();
        assert!(text.contains("\"pages/") && text.contains("\"https://"));
    }

    #[test]
    fn outlines_drop_empty_text_and_unknown_types() {
        let page = json!({"title": "t", "components": [
            {"type": "text", "text": "", "size": "small", "align": "left", "color": null, "bold": false},
            {"type": "from_the_future", "text": "x"}
        ]});
        let o = page_outline(&page);
        assert_eq!(o["blocks"].as_array().unwrap().len(), 1);
        assert_eq!(o["blocks"][0]["text"], json!([]));
    }
}
