//! Loads `page-templates/`: embedded in the binary at build time, or read from an override
//! folder. A component whose schema uses an unsupported keyword, or a starter page that does
//! not validate, stops the start with the file named.

use crate::domain::layout::{ComponentSpec, check_layout};
use crate::domain::media::{MediaKind, sniff};
use crate::domain::schema::Schema;
use anyhow::{Context, bail};
use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/page-templates");

/// Display names in both languages.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DisplayName {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    /// English.
    pub en: String,
}

/// `component.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentFile {
    #[serde(rename = "type")]
    type_name: String,
    app: String,
    display_name: DisplayName,
    icon: String,
    children: bool,
}

/// A component type as the builder UI sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ComponentInfo {
    /// Type name used in layouts.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Plan app it belongs to.
    pub app: String,
    /// Names in both languages.
    pub display_name: DisplayName,
    /// Icon name of the builder UI.
    pub icon: String,
    /// Whether it takes child components.
    pub children: bool,
    /// JSON Schema of its props.
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// A starter page.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StarterPage {
    /// Template key (`home`, `catalogue`, `about`, `contact`).
    pub key: String,
    /// Default slug of the copy.
    pub slug: String,
    /// Title in both languages.
    pub title: DisplayName,
    /// What it shows.
    pub description: DisplayName,
    /// Navigation-bar settings of the copy.
    #[schema(value_type = Object)]
    pub navigation_bar: Value,
    /// The layout (placeholder images only).
    #[schema(value_type = Object)]
    pub layout: Value,
}

/// A system placeholder image, readable by every tenant and owned by none.
#[derive(Clone, Debug)]
pub struct SystemAsset {
    /// `sys-<name>`.
    pub id: String,
    /// Detected type.
    pub content_type: &'static str,
    /// Image kind.
    pub kind: MediaKind,
    /// Pixel size.
    pub width: Option<u32>,
    /// Pixel size.
    pub height: Option<u32>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Everything loaded from `page-templates/`.
pub struct Catalog {
    templates: BTreeMap<String, (String, String)>,
    notices: BTreeMap<String, (String, String)>,
    specs: BTreeMap<String, ComponentSpec>,
    infos: BTreeMap<String, ComponentInfo>,
    starters: Vec<StarterPage>,
    system_assets: BTreeMap<String, SystemAsset>,
    source: PathBuf,
}

enum Source<'a> {
    Embedded(&'a Dir<'static>),
    Folder(&'a Path),
}

impl Source<'_> {
    fn subdirs(&self, sub: &str) -> anyhow::Result<Vec<String>> {
        let mut out = match self {
            Source::Embedded(d) => d
                .get_dir(sub)
                .map(|s| {
                    s.dirs()
                        .map(|d| d.path().file_name().unwrap().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
            Source::Folder(p) => {
                let mut v = Vec::new();
                for e in std::fs::read_dir(p.join(sub))
                    .with_context(|| format!("reading {}", p.join(sub).display()))?
                {
                    let e = e?;
                    if e.file_type()?.is_dir() {
                        v.push(e.file_name().to_string_lossy().into_owned());
                    }
                }
                v
            }
        };
        out.sort();
        Ok(out)
    }

    fn files(&self, sub: &str) -> anyhow::Result<Vec<String>> {
        let mut out = match self {
            Source::Embedded(d) => d
                .get_dir(sub)
                .map(|s| {
                    s.files()
                        .map(|f| f.path().file_name().unwrap().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
            Source::Folder(p) => {
                let mut v = Vec::new();
                if p.join(sub).is_dir() {
                    for e in std::fs::read_dir(p.join(sub))? {
                        let e = e?;
                        if e.file_type()?.is_file() {
                            v.push(e.file_name().to_string_lossy().into_owned());
                        }
                    }
                }
                v
            }
        };
        out.sort();
        Ok(out)
    }

    fn read(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        match self {
            Source::Embedded(d) => d
                .get_file(path)
                .map(|f| f.contents().to_vec())
                .with_context(|| format!("page-templates/{path} is missing")),
            Source::Folder(p) => std::fs::read(p.join(path))
                .with_context(|| format!("reading {}", p.join(path).display())),
        }
    }
}

impl Catalog {
    /// Loads the embedded templates, or those in `dir`.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let source = match dir {
            Some(d) => Source::Folder(d),
            None => Source::Embedded(&EMBEDDED),
        };
        let mut specs = BTreeMap::new();
        let mut infos = BTreeMap::new();
        let mut templates = BTreeMap::new();
        for name in source.subdirs("components")? {
            let meta_path = format!("components/{name}/component.json");
            let meta: ComponentFile = serde_json::from_slice(&source.read(&meta_path)?)
                .with_context(|| format!("page-templates/{meta_path}"))?;
            if meta.type_name != name {
                bail!(
                    "page-templates/{meta_path}: type `{}` differs from its folder",
                    meta.type_name
                );
            }
            if !crate::domain::apps::is_known(&meta.app) {
                bail!("page-templates/{meta_path}: unknown app `{}`", meta.app);
            }
            let schema_path = format!("components/{name}/schema.json");
            let schema_doc: Value = serde_json::from_slice(&source.read(&schema_path)?)
                .with_context(|| format!("page-templates/{schema_path}"))?;
            let schema = Schema::compile(&schema_doc)
                .map_err(|e| anyhow::anyhow!("page-templates/{schema_path}: {e}"))?;
            let template_path = format!("components/{name}/template.hbs");
            let template = String::from_utf8(source.read(&template_path)?)
                .with_context(|| format!("page-templates/{template_path} is not UTF-8"))?;
            templates.insert(
                name.clone(),
                (format!("page-templates/{template_path}"), template),
            );
            specs.insert(
                name.clone(),
                ComponentSpec {
                    app: meta.app.clone(),
                    children: meta.children,
                    schema,
                },
            );
            infos.insert(
                name.clone(),
                ComponentInfo {
                    type_name: name,
                    app: meta.app,
                    display_name: meta.display_name,
                    icon: meta.icon,
                    children: meta.children,
                    schema: schema_doc,
                },
            );
        }
        if specs.is_empty() {
            bail!("page-templates/components holds no component type");
        }
        for file in source.files("app")? {
            if let Some(stem) = file.strip_suffix(".hbs") {
                let path = format!("app/{file}");
                let text = String::from_utf8(source.read(&path)?)
                    .with_context(|| format!("page-templates/{path} is not UTF-8"))?;
                templates.insert(
                    format!("app/{stem}"),
                    (format!("page-templates/{path}"), text),
                );
            }
        }
        let mut notices = BTreeMap::new();
        for file in source.files("notifications")? {
            if let Some(kind) = file.strip_suffix(".hbs") {
                let path = format!("notifications/{file}");
                let text = String::from_utf8(source.read(&path)?)
                    .with_context(|| format!("page-templates/{path} is not UTF-8"))?;
                notices.insert(kind.to_owned(), (format!("page-templates/{path}"), text));
            }
        }
        let mut system_assets = BTreeMap::new();
        for file in source.files("assets")? {
            let bytes = source.read(&format!("assets/{file}"))?;
            let media = sniff(&bytes).with_context(|| {
                format!("page-templates/assets/{file} is not a supported image")
            })?;
            let stem = file.rsplit_once('.').map(|(s, _)| s).unwrap_or(&file);
            let id = format!("sys-{stem}");
            system_assets.insert(
                id.clone(),
                SystemAsset {
                    id,
                    content_type: media.content_type,
                    kind: media.kind,
                    width: media.width,
                    height: media.height,
                    bytes,
                },
            );
        }
        let all_apps: Vec<String> = crate::domain::apps::APPS
            .iter()
            .map(|(a, _)| (*a).to_owned())
            .collect();
        let mut starters = Vec::new();
        for file in source.files("pages")? {
            let path = format!("pages/{file}");
            let page: StarterPage = serde_json::from_slice(&source.read(&path)?)
                .with_context(|| format!("page-templates/{path}"))?;
            let checked = check_layout(&page.layout, &specs, &all_apps).map_err(|faults| {
                let all: Vec<String> = faults
                    .iter()
                    .map(|f| format!("layout{}: {}", f.pointer, f.reason.en))
                    .collect();
                anyhow::anyhow!("page-templates/{path}: {}", all.join("; "))
            })?;
            for asset in &checked.assets {
                if !system_assets.contains_key(&asset.id) {
                    bail!(
                        "page-templates/{path}: {} uses {}, which is not a system asset",
                        asset.pointer,
                        asset.id
                    );
                }
            }
            starters.push(page);
        }
        // Copied together, the starters link only to each other: none ships a dead link.
        for page in &starters {
            for (pointer, target) in crate::domain::layout::layout_links(&page.layout, &specs) {
                if let Some(slug) = crate::domain::layout::linked_slug(&target)
                    && !starters.iter().any(|p| p.slug == slug)
                {
                    bail!(
                        "page-templates/pages/{}.json: layout{pointer} links to `{slug}`, which no starter page is",
                        page.key
                    );
                }
            }
        }
        Ok(Self {
            templates,
            notices,
            specs,
            infos,
            starters,
            system_assets,
            source: dir
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("<embedded>")),
        })
    }

    /// Template sources by name (`<component type>` or `app/<name>`), with their file.
    pub fn templates(&self) -> &BTreeMap<String, (String, String)> {
        &self.templates
    }

    /// Notice templates by kind (`page-templates/notifications/<kind>.hbs`), with their
    /// file: the first line is the title, the rest after a blank line the text.
    pub fn notices(&self) -> &BTreeMap<String, (String, String)> {
        &self.notices
    }

    /// The JSON Schema document of a component type.
    pub fn schema_doc(&self, type_name: &str) -> Option<&Value> {
        self.infos.get(type_name).map(|i| &i.schema)
    }

    /// Validation specs by type.
    pub fn specs(&self) -> &BTreeMap<String, ComponentSpec> {
        &self.specs
    }

    /// Component types of the given apps, for the builder UI.
    pub fn components_for(&self, apps: &[String]) -> Vec<ComponentInfo> {
        self.infos
            .values()
            .filter(|c| apps.contains(&c.app))
            .cloned()
            .collect()
    }

    /// Starter pages.
    pub fn starter_pages(&self) -> &[StarterPage] {
        &self.starters
    }

    /// A system placeholder asset.
    pub fn system_asset(&self, id: &str) -> Option<&SystemAsset> {
        self.system_assets.get(id)
    }

    /// Where the templates came from.
    pub fn source(&self) -> &Path {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_load_and_every_starter_page_validates() {
        let c = Catalog::load(None).unwrap();
        assert_eq!(c.specs().len(), 14);
        assert_eq!(c.starter_pages().len(), 4);
        assert!(c.system_asset("sys-placeholder-banner").is_some());
        let pages_only = c.components_for(&["pages".into()]);
        assert!(pages_only.iter().all(|i| i.app == "pages"));
        assert!(
            pages_only
                .iter()
                .any(|i| i.type_name == "container" && i.children)
        );
    }

    /// Every property of every shipped component has a label in both languages, every
    /// enum value a name: the builder generates its panels from them.
    #[test]
    fn every_property_and_enum_value_has_a_label_in_both_languages() {
        fn walk(schema: &Value, at: &str, missing: &mut Vec<String>) {
            let labelled = |v: &Value| {
                ["zh-CN", "en"].iter().all(|l| {
                    v.get(l)
                        .and_then(Value::as_str)
                        .is_some_and(|t| !t.is_empty())
                })
            };
            if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                for v in values {
                    let key = v
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string());
                    if !schema
                        .get("x-enum-labels")
                        .and_then(|l| l.get(&key))
                        .is_some_and(labelled)
                    {
                        missing.push(format!("{at}: enum value {key}"));
                    }
                }
            }
            for (name, sub) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let here = format!("{at}/{name}");
                if !sub.get("x-label").is_some_and(labelled) {
                    missing.push(format!("{here}: x-label"));
                }
                walk(sub, &here, missing);
            }
            if let Some(items) = schema.get("items") {
                walk(items, &format!("{at}[]"), missing);
            }
            for (i, sub) in schema
                .get("oneOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                walk(sub, &format!("{at}|{i}"), missing);
            }
        }
        let c = Catalog::load(None).unwrap();
        let mut missing = Vec::new();
        for ty in c.specs().keys() {
            walk(c.schema_doc(ty).unwrap(), ty, &mut missing);
        }
        assert!(
            missing.is_empty(),
            "labels missing:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn a_starter_page_linking_outside_the_starter_set_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["components", "pages", "assets", "app", "notifications"] {
            let from = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("page-templates")
                .join(sub);
            let to = dir.path().join(sub);
            std::fs::create_dir_all(&to).unwrap();
            copy_tree(&from, &to);
        }
        let home = dir.path().join("pages/home.json");
        let text = std::fs::read_to_string(&home).unwrap();
        assert!(text.contains("\"pages/catalogue\""));
        std::fs::write(
            &home,
            text.replacen("\"pages/catalogue\"", "\"pages/menu\"", 1),
        )
        .unwrap();
        let err = Catalog::load(Some(dir.path())).err().unwrap().to_string();
        assert!(
            err.contains("links to `menu`, which no starter page is"),
            "{err}"
        );
    }

    fn copy_tree(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    #[test]
    fn a_folder_with_a_bad_schema_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("components/x")).unwrap();
        std::fs::write(
            dir.path().join("components/x/component.json"),
            r#"{"type":"x","app":"pages","display_name":{"zh-CN":"x","en":"x"},"icon":"x","children":false}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("components/x/schema.json"),
            r#"{"type":"object","if":{}}"#,
        )
        .unwrap();
        let err = Catalog::load(Some(dir.path())).err().unwrap().to_string();
        assert!(
            err.contains("components/x/schema.json") && err.contains("`if`"),
            "{err}"
        );
    }
}
