//! Page layouts: `{"components": [{"id", "type", "props", "children"?}]}`. A layout is
//! checked as a whole and refused with every fault at its JSON pointer (relative to the
//! layout), in document order: unknown key, bad or duplicate id, unknown type, a type
//! outside the plan's apps, props that break the type's schema (each property), children
//! on a type that takes none, more than 32 levels or more than 500 components (which end
//! the walk).

use super::schema::{AssetRef, Fault, Schema};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// Most nesting levels.
pub const MAX_DEPTH: usize = 32;
/// Most components in one layout.
pub const MAX_COMPONENTS: usize = 500;

/// A component type as validation needs it.
#[derive(Debug)]
pub struct ComponentSpec {
    /// The plan app it belongs to.
    pub app: String,
    /// Whether it takes child components.
    pub children: bool,
    /// Its props schema.
    pub schema: Schema,
}

/// A layout that passed every check.
#[derive(Debug)]
pub struct CheckedLayout {
    /// The layout as given.
    pub layout: Value,
    /// Every asset it references.
    pub assets: Vec<AssetRef>,
    /// Number of components.
    pub components: usize,
}

/// A layout as the OpenAPI document states it. What each component type's `props` may
/// hold, and which types the tenant's plan allows, is the catalog's (`GET /components`).
pub struct Layout;

impl utoipa::PartialSchema for Layout {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        serde_json::from_value(serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["components"],
            "description": "The page's components, in order. Each type's props are checked \
                against its schema from `GET /components`.",
            "properties": {"components": {
                "type": "array",
                "maxItems": MAX_COMPONENTS,
                "items": {"$ref": "#/components/schemas/LayoutComponent"}
            }},
            "example": {"components": [
                {"id": "title", "type": "text", "props": {"text": "欢迎光临"}}
            ]}
        }))
        .expect("the layout schema is an OpenAPI schema")
    }
}

impl utoipa::ToSchema for Layout {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "LayoutComponent".into(),
            <LayoutComponent as utoipa::PartialSchema>::schema(),
        ));
    }
}

/// One component of a layout.
pub struct LayoutComponent;

impl utoipa::PartialSchema for LayoutComponent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        serde_json::from_value(serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "type"],
            "properties": {
                "id": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_-]{1,64}$",
                    "description": "Unique in the layout."
                },
                "type": {"type": "string", "description": "A component type of `GET /components`."},
                "props": {
                    "type": "object",
                    "additionalProperties": true,
                    "description": "As the type's schema says."
                },
                "children": {
                    "type": "array",
                    "description": "Only on types that take children.",
                    "items": {"$ref": "#/components/schemas/LayoutComponent"}
                }
            }
        }))
        .expect("the component schema is an OpenAPI schema")
    }
}

impl utoipa::ToSchema for LayoutComponent {}

struct Walk<'a> {
    catalog: &'a BTreeMap<String, ComponentSpec>,
    plan_apps: &'a [String],
    ids: HashSet<String>,
    count: usize,
    assets: Vec<AssetRef>,
    faults: Vec<Fault>,
    /// Set by a fault that ends the walk (too many components, too deep).
    ended: bool,
}

/// Checks `layout` against the catalog and the plan's apps.
pub fn check_layout(
    layout: &Value,
    catalog: &BTreeMap<String, ComponentSpec>,
    plan_apps: &[String],
) -> Result<CheckedLayout, Vec<Fault>> {
    let root = layout.as_object().ok_or_else(|| {
        vec![Fault::new(
            "",
            "布局须为对象",
            "the layout must be an object",
        )]
    })?;
    if let Some(key) = root.keys().find(|k| *k != "components") {
        return Err(vec![Fault::new(
            &format!("/{key}"),
            "不支持的字段",
            "is not a layout field",
        )]);
    }
    let components = root
        .get("components")
        .ok_or_else(|| vec![Fault::new("/components", "必填", "is required")])?;
    let mut walk = Walk {
        catalog,
        plan_apps,
        ids: HashSet::new(),
        count: 0,
        assets: Vec::new(),
        faults: Vec::new(),
        ended: false,
    };
    walk.components(components, "/components", 1);
    if !walk.faults.is_empty() {
        return Err(walk.faults);
    }
    Ok(CheckedLayout {
        layout: layout.clone(),
        assets: walk.assets,
        components: walk.count,
    })
}

impl Walk<'_> {
    /// Walks a list, collecting each component's faults.
    fn components(&mut self, value: &Value, pointer: &str, depth: usize) {
        let Some(list) = value.as_array() else {
            self.faults
                .push(Fault::new(pointer, "须为数组", "must be an array"));
            return;
        };
        for (i, component) in list.iter().enumerate() {
            if self.ended {
                return;
            }
            let p = format!("{pointer}/{i}");
            self.count += 1;
            if self.count > MAX_COMPONENTS {
                self.ended = true;
                self.faults.push(Fault::new(
                    &p,
                    format!("一个页面最多 {MAX_COMPONENTS} 个组件"),
                    format!("a page has at most {MAX_COMPONENTS} components"),
                ));
                return;
            }
            if depth > MAX_DEPTH {
                self.ended = true;
                self.faults.push(Fault::new(
                    &p,
                    format!("最多嵌套 {MAX_DEPTH} 层"),
                    format!("components nest at most {MAX_DEPTH} levels"),
                ));
                return;
            }
            if let Err(fault) = self.component(component, &p, depth) {
                self.faults.push(fault);
            }
        }
    }

    fn component(&mut self, value: &Value, p: &str, depth: usize) -> Result<(), Fault> {
        let obj = value
            .as_object()
            .ok_or_else(|| Fault::new(p, "组件须为对象", "a component must be an object"))?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "id" | "type" | "props" | "children") {
                return Err(Fault::new(
                    &format!("{p}/{key}"),
                    "不支持的组件字段",
                    "is not a component field",
                ));
            }
        }
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Fault::new(&format!("{p}/id"), "必填字符串", "is a required string"))?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Fault::new(
                &format!("{p}/id"),
                "须为 1–64 个字母、数字、- 或 _",
                "must be 1–64 of letters, digits, - and _",
            ));
        }
        if !self.ids.insert(id.to_owned()) {
            return Err(Fault::new(
                &format!("{p}/id"),
                format!("组件 ID {id} 重复"),
                format!("duplicate component id `{id}`"),
            ));
        }
        let ty = obj.get("type").and_then(Value::as_str).ok_or_else(|| {
            Fault::new(&format!("{p}/type"), "必填字符串", "is a required string")
        })?;
        let spec = self.catalog.get(ty).ok_or_else(|| {
            Fault::new(
                &format!("{p}/type"),
                format!("未知的组件类型 {ty}"),
                format!("unknown component type `{ty}`"),
            )
        })?;
        if !self.plan_apps.iter().any(|a| a == &spec.app) {
            return Err(Fault::new(
                &format!("{p}/type"),
                format!("组件 {ty} 属于功能模块 {}，不在当前套餐内", spec.app),
                format!(
                    "component `{ty}` belongs to app `{}`, which the plan does not include",
                    spec.app
                ),
            ));
        }
        let empty = Value::Object(Default::default());
        let props = obj.get("props").unwrap_or(&empty);
        spec.schema.validate_all(
            props,
            &format!("{p}/props"),
            &mut self.assets,
            &mut self.faults,
        );
        if let Some(children) = obj.get("children") {
            if !spec.children {
                return Err(Fault::new(
                    &format!("{p}/children"),
                    format!("{ty} 不能包含子组件"),
                    format!("`{ty}` takes no children"),
                ));
            }
            self.components(children, &format!("{p}/children"), depth + 1);
        }
        Ok(())
    }
}

/// Every link in a checked layout, with its pointer, in document order.
pub fn layout_links(
    layout: &Value,
    catalog: &BTreeMap<String, ComponentSpec>,
) -> Vec<(String, String)> {
    fn walk(
        list: &Value,
        pointer: &str,
        catalog: &BTreeMap<String, ComponentSpec>,
        out: &mut Vec<(String, String)>,
    ) {
        for (i, c) in list.as_array().into_iter().flatten().enumerate() {
            let p = format!("{pointer}/{i}");
            if let Some(spec) = c
                .get("type")
                .and_then(Value::as_str)
                .and_then(|t| catalog.get(t))
                && let Some(props) = c.get("props")
            {
                spec.schema.links(props, &format!("{p}/props"), out);
            }
            if let Some(children) = c.get("children") {
                walk(children, &format!("{p}/children"), catalog, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(components) = layout.get("components") {
        walk(components, "/components", catalog, &mut out);
    }
    out
}

/// The slug an in-app link goes to (`pages/<slug>[?query]`).
pub fn linked_slug(target: &str) -> Option<&str> {
    let rest = target.strip_prefix("pages/")?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// The id of the innermost component a JSON pointer (relative to the layout) lies in.
pub fn component_at(layout: &Value, pointer: &str) -> Option<String> {
    let mut node = layout;
    let mut id = None;
    let mut segments = pointer.split('/').skip(1);
    while let Some(key) = segments.next() {
        if key != "components" && key != "children" {
            break;
        }
        let index: usize = segments.next()?.parse().ok()?;
        node = node.get(key)?.get(index)?;
        id = node
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(id);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> BTreeMap<String, ComponentSpec> {
        let mut c = BTreeMap::new();
        c.insert("text".into(), ComponentSpec { app: "pages".into(), children: false, schema: Schema::compile(&json!({"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}})).unwrap() });
        c.insert(
            "container".into(),
            ComponentSpec {
                app: "pages".into(),
                children: true,
                schema: Schema::compile(&json!({"type": "object"})).unwrap(),
            },
        );
        c.insert(
            "video".into(),
            ComponentSpec {
                app: "media".into(),
                children: false,
                schema: Schema::compile(&json!({"type": "object"})).unwrap(),
            },
        );
        c
    }

    fn fault(layout: Value) -> String {
        check_layout(&layout, &catalog(), &["pages".into()]).unwrap_err()[0]
            .pointer
            .clone()
    }

    #[test]
    fn every_fault_is_reported_with_its_component() {
        let layout = json!({"components": [
            {"id": "a", "type": "text", "props": {}},
            {"id": "b", "type": "container", "children": [
                {"id": "c", "type": "text", "props": {"text": 3, "size": 1}},
                {"id": "d", "type": "nope"}
            ]},
            {"id": "e", "type": "text", "props": {"text": "fine"}}
        ]});
        let faults = check_layout(&layout, &catalog(), &["pages".into()]).unwrap_err();
        let pointers: Vec<&str> = faults.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/components/0/props/text",
                "/components/1/children/0/props/text",
                "/components/1/children/1/type"
            ]
        );
        let ids: Vec<Option<String>> = faults
            .iter()
            .map(|f| component_at(&layout, &f.pointer))
            .collect();
        assert_eq!(ids, [Some("a".into()), Some("c".into()), Some("d".into())]);
        assert_eq!(component_at(&layout, "/components/9"), None);
        assert_eq!(component_at(&layout, ""), None);
    }

    #[test]
    fn pointers_of_faults() {
        let ok = json!({"components": [{"id": "a", "type": "container", "children": [{"id": "b", "type": "text", "props": {"text": "hi"}}]}]});
        assert_eq!(
            check_layout(&ok, &catalog(), &["pages".into()])
                .unwrap()
                .components,
            2
        );
        assert_eq!(
            fault(json!({"components": [{"id": "a", "type": "nope"}]})),
            "/components/0/type"
        );
        assert_eq!(
            fault(json!({"components": [{"id": "a", "type": "video"}]})),
            "/components/0/type"
        );
        assert_eq!(
            fault(json!({"components": [{"id": "a", "type": "text", "props": {}}]})),
            "/components/0/props/text"
        );
        assert_eq!(
            fault(
                json!({"components": [{"id": "a", "type": "text", "props": {"text": "x"}}, {"id": "a", "type": "text", "props": {"text": "y"}}]})
            ),
            "/components/1/id"
        );
        assert_eq!(
            fault(
                json!({"components": [{"id": "a", "type": "text", "props": {"text": "x"}, "children": []}]})
            ),
            "/components/0/children"
        );
        assert_eq!(fault(json!({"components": [], "extra": 1})), "/extra");
    }

    #[test]
    fn depth_and_count_limits() {
        let mut node = json!({"id": "leaf", "type": "text", "props": {"text": "x"}});
        for level in (0..MAX_DEPTH).rev() {
            node = json!({"id": format!("c{level}"), "type": "container", "children": [node]});
        }
        let deep = json!({"components": [node]});
        let p = fault(deep);
        assert!(
            p.ends_with("/children/0") && p.matches("children").count() == MAX_DEPTH,
            "{p}"
        );
        let many: Vec<Value> = (0..=MAX_COMPONENTS)
            .map(|i| json!({"id": format!("t{i}"), "type": "text", "props": {"text": "x"}}))
            .collect();
        assert_eq!(
            fault(json!({"components": many})),
            format!("/components/{MAX_COMPONENTS}")
        );
    }
}
