//! In-system notices rendered from `page-templates/notifications/<kind>.hbs`: plain text
//! (no escaping), strict mode so a missing fact is an error rather than an empty gap.

use super::catalog::Catalog;
use crate::domain::notice::NoticeKind;
use handlebars::Handlebars;
use serde_json::Value;

/// A rendered notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedNotice {
    /// One line.
    pub title: String,
    /// The text.
    pub body: String,
}

/// The notice templates, compiled.
pub struct NoticeRenderer {
    registry: Handlebars<'static>,
}

impl NoticeRenderer {
    /// Compiles every notice template; a kind without a template, or a template without a
    /// title line and text, stops the start.
    pub fn new(catalog: &Catalog) -> anyhow::Result<Self> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (kind, (file, source)) in catalog.notices() {
            let (title, body) = source
                .split_once("\n\n")
                .ok_or_else(|| anyhow::anyhow!("{file}: a title line, a blank line, the text"))?;
            registry
                .register_template_string(&format!("{kind}.title"), title.trim())
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
            registry
                .register_template_string(&format!("{kind}.body"), body.trim())
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        }
        for kind in NoticeKind::ALL {
            anyhow::ensure!(
                registry.has_template(&format!("{}.title", kind.as_str())),
                "page-templates/notifications/{}.hbs is missing",
                kind.as_str()
            );
        }
        Ok(Self { registry })
    }

    /// Renders `kind` with `data`.
    pub fn render(&self, kind: NoticeKind, data: &Value) -> anyhow::Result<RenderedNotice> {
        let title = self
            .registry
            .render(&format!("{}.title", kind.as_str()), data)?;
        let body = self
            .registry
            .render(&format!("{}.body", kind.as_str()), data)?;
        Ok(RenderedNotice {
            title: title.trim().chars().take(200).collect(),
            body: body.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_notices_render_and_miss_nothing() {
        let catalog = Catalog::load(None).unwrap();
        let notices = NoticeRenderer::new(&catalog).unwrap();
        let frozen = notices
            .render(
                NoticeKind::Frozen,
                &serde_json::json!({
                    "business_name": "李记面馆",
                    "end_date": "2026-02-13",
                    "frozen_at": "2026-02-14 00:00",
                    "delete_after": "2026-03-07 00:00",
                }),
            )
            .unwrap();
        assert!(frozen.title.contains("李记面馆"));
        assert!(frozen.body.contains("2026-03-07 00:00"));
        assert!(frozen.body.contains("导出"));
        // Strict: a missing fact is an error, not a blank.
        assert!(
            notices
                .render(NoticeKind::Frozen, &serde_json::json!({}))
                .is_err()
        );
    }
}
