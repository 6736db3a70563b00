//! What stands between a draft and the phone: the checks publishing runs (layout, assets,
//! links to pages that are not live), the warnings it gives (types the released code
//! template does not draw), and the builder's rendering of an unsaved layout.

use crate::domain::ids::TenantId;
use crate::domain::layout::{check_layout, component_at, layout_links, linked_slug};
use crate::domain::schema::Fault;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::render::renderer::Rendered;
use crate::services::assets::{check_refs, plan_apps};
use crate::services::pages::PageInput;
use crate::state::AppState;
use entity::{code_templates, deploy_runs, page_versions, pages};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// A reason in both languages, as the console shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    /// English.
    pub en: String,
}

/// One thing wrong with (or worth knowing about) a page before it goes live.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `invalid` (a property breaks its schema), `missing_asset`, `dead_link` (a page that
    /// does not exist or is not published), `unsupported_component` (warning).
    pub kind: &'static str,
    /// JSON pointer into the layout.
    pub pointer: Option<String>,
    /// The component it lies in.
    pub component_id: Option<String>,
    /// For a dead link: the slug it points to.
    pub target: Option<String>,
    /// For an unsupported component: its type.
    #[serde(rename = "type")]
    pub component_type: Option<String>,
    /// What is wrong.
    pub reason: Reason,
}

impl Problem {
    fn at(kind: &'static str, fault: &Fault, layout: &Value) -> Self {
        Self {
            kind,
            pointer: Some(fault.pointer.clone()),
            component_id: component_at(layout, &fault.pointer),
            target: None,
            component_type: None,
            reason: Reason {
                zh_cn: fault.reason.zh.to_string(),
                en: fault.reason.en.to_string(),
            },
        }
    }
}

/// The answer of `GET /pages/{id}/publish-check`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishCheck {
    /// No errors: publishing would go through.
    pub ok: bool,
    /// What refuses the publish, all of it.
    pub errors: Vec<Problem>,
    /// What the merchant should know (the page still publishes).
    pub warnings: Vec<Problem>,
}

/// The errors that refuse publishing `page`'s draft: every fault of the layout, else every
/// missing asset and every link to a page of this tenant that is not live (a link to
/// the page itself is fine: it goes live with it).
pub async fn errors(
    state: &AppState,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    page: &pages::Model,
) -> AppResult<Vec<Problem>> {
    let layout = &page.draft_layout;
    let apps = plan_apps(conn, tenant).await?;
    let checked = match check_layout(layout, state.catalog.specs(), &apps) {
        Ok(checked) => checked,
        Err(faults) => {
            return Ok(faults
                .iter()
                .map(|f| Problem::at("invalid", f, layout))
                .collect());
        }
    };
    let mut errors: Vec<Problem> = check_refs(state, conn, tenant, &checked.assets)
        .await?
        .iter()
        .map(|f| Problem::at("missing_asset", f, layout))
        .collect();
    let links = layout_links(layout, state.catalog.specs());
    if links.iter().any(|(_, t)| linked_slug(t).is_some()) {
        let live: Vec<String> = pages::Entity::find()
            .filter(pages::Column::TenantId.eq(tenant.0))
            .filter(pages::Column::IsPublished.eq(true))
            .filter(pages::Column::TakenDownAt.is_null())
            .all(conn)
            .await?
            .into_iter()
            .map(|p| p.slug)
            .collect();
        for (pointer, target) in &links {
            let Some(slug) = linked_slug(target) else {
                continue;
            };
            if slug == page.slug || live.iter().any(|s| s == slug) {
                continue;
            }
            errors.push(Problem {
                kind: "dead_link",
                pointer: Some(pointer.clone()),
                component_id: component_at(layout, pointer),
                target: Some(slug.to_owned()),
                component_type: None,
                reason: Reason {
                    zh_cn: format!("链接的页面 {slug} 不存在或尚未发布"),
                    en: format!("links to page `{slug}`, which does not exist or is not published"),
                },
            });
        }
    }
    Ok(errors)
}

/// Warnings: component types the tenant's released code template does not draw (the
/// phone shows nothing in their place until a code template that draws them is
/// released). Nothing released yet: no warning.
pub async fn warnings(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    layout: &Value,
) -> AppResult<Vec<Problem>> {
    let Some(run) = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::TenantId.eq(tenant.0))
        .filter(deploy_runs::Column::Status.is_in([
            crate::services::wechat::deploy::status::RELEASED,
            crate::services::wechat::deploy::status::GRAY,
        ]))
        .order_by_desc(deploy_runs::Column::FinishedAt)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let Some(template) = code_templates::Entity::find()
        .filter(code_templates::Column::TemplateId.eq(run.template_id))
        .order_by_desc(code_templates::Column::CreatedAt)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let supported: Vec<String> = template
        .supported_types
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(crate::services::wechat::templates::shipped_manifest);
    let mut out = Vec::new();
    walk_types(
        layout.get("components"),
        "/components",
        &mut |pointer, id, ty| {
            if !supported.iter().any(|s| s == ty) {
                out.push(Problem {
                kind: "unsupported_component",
                pointer: Some(pointer.to_owned()),
                component_id: id.map(str::to_owned),
                target: None,
                component_type: Some(ty.to_owned()),
                reason: Reason {
                    zh_cn: format!(
                        "线上小程序版本（{}）还不能显示组件 {ty}，需发布新版本后才会显示",
                        run.user_version
                    ),
                    en: format!(
                        "the released mini-program ({}) does not draw `{ty}`; it shows once a code template that does is released",
                        run.user_version
                    ),
                },
            });
            }
        },
    );
    Ok(out)
}

fn walk_types(list: Option<&Value>, pointer: &str, f: &mut impl FnMut(&str, Option<&str>, &str)) {
    for (i, c) in list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = format!("{pointer}/{i}");
        if let Some(ty) = c.get("type").and_then(Value::as_str) {
            f(&p, c.get("id").and_then(Value::as_str), ty);
        }
        walk_types(c.get("children"), &format!("{p}/children"), f);
    }
}

/// The publish check of a page, for the console to show before publishing.
pub async fn check(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<PublishCheck> {
    let page = crate::services::pages::find_page(&state.db, tenant, id).await?;
    let errors = errors(state, &state.db, tenant, &page).await?;
    let warnings = warnings(&state.db, tenant, &page.draft_layout).await?;
    Ok(PublishCheck {
        ok: errors.is_empty(),
        errors,
        warnings,
    })
}

/// The refusal of a publish, naming every error.
pub fn blocked(errors: Vec<Problem>) -> AppError {
    let dead: Vec<&str> = errors.iter().filter_map(|p| p.target.as_deref()).collect();
    let mut err = AppError::new(ErrorCode::PublishBlocked);
    if !dead.is_empty() {
        err = err.with_message(crate::error::Localized::new(
            format!(
                "页面有 {} 处问题，暂不能发布；链接到未发布的页面：{}",
                errors.len(),
                dead.join("、")
            ),
            format!(
                "The page has {} problem(s) and cannot be published; it links to pages that are not published: {}",
                errors.len(),
                dead.join(", ")
            ),
        ));
    }
    err.with_details(serde_json::json!({ "errors": errors }))
}

/// Renders a layout the builder has not saved, exactly as publishing would, storing
/// nothing. Images load in the console whether or not the tenant has an appid yet, and in
/// any tenant state: their URLs are the console's signed asset prefix
/// (`/api/v1/links/<token>/assets/…`, relative).
pub async fn render_unsaved(
    state: &AppState,
    tenant: TenantId,
    input: PageInput,
) -> AppResult<Rendered> {
    let page = crate::services::pages::check_input(state, &state.db, tenant, input).await?;
    state
        .renderer
        .render_page(
            &page.slug,
            &page.title,
            1,
            &page.navigation_bar,
            &page.layout,
            &crate::services::signed_links::asset_prefix(state, tenant)?.url,
        )
        .map_err(|fault| {
            AppError::new(ErrorCode::RenderFailed)
                .with_details(serde_json::json!({ "component_id": fault.component_id }))
        })
}

/// A published page's link to a page that is leaving.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IncomingLink {
    /// The page that links.
    pub page_id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Where in its published layout.
    pub pointer: String,
    /// The slug it links to.
    pub target: String,
}

/// The links from published, live pages (other than `leaving_ids`) to any of `slugs`, read
/// from what those pages serve (their published versions).
pub async fn links_into(
    state: &AppState,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    slugs: &[String],
    leaving_ids: &[Uuid],
) -> AppResult<Vec<IncomingLink>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let live = pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .filter(pages::Column::IsPublished.eq(true))
        .filter(pages::Column::TakenDownAt.is_null())
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for page in live.into_iter().filter(|p| !leaving_ids.contains(&p.id)) {
        let Some(version) = page.published_version else {
            continue;
        };
        let Some(served) = page_versions::Entity::find()
            .filter(page_versions::Column::PageId.eq(page.id))
            .filter(page_versions::Column::Version.eq(version))
            .one(conn)
            .await?
        else {
            continue;
        };
        for (pointer, target) in layout_links(&served.layout, state.catalog.specs()) {
            if let Some(slug) = linked_slug(&target)
                && slugs.iter().any(|s| s == slug)
            {
                out.push(IncomingLink {
                    page_id: page.id,
                    slug: page.slug.clone(),
                    title: page.title.clone(),
                    pointer,
                    target: slug.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// The refusal of an unpublish or delete that would leave published pages with dead links.
pub fn linked(links: Vec<IncomingLink>) -> AppError {
    let from: Vec<String> = links
        .iter()
        .map(|l| l.slug.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    AppError::new(ErrorCode::PageLinked)
        .with_message(crate::error::Localized::new(
            format!(
                "已发布的页面 {} 链接到此页面，请先修改或一并下线这些页面",
                from.join("、")
            ),
            format!(
                "Published pages link here ({}): change them first, or unpublish them together",
                from.join(", ")
            ),
        ))
        .with_details(serde_json::json!({ "linked_from": links }))
}
