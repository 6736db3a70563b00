//! Pages: a draft that every save replaces under a conflict check (the revision is the
//! ETag), immutable published versions, restore, unpublish, delete, starter-template
//! copies, and the agency's takedown of a single page.

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::layout::check_layout;
use crate::domain::schema::Schema;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::assets::{
    check_refs, layout_faults, plan_apps, quota_exceeded, record_refs, tenant_plan,
};
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::services::tenant_state::lock_snapshot;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::{page_asset_refs, page_versions, pages, tenant_settings};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;
use uuid::Uuid;

/// A page as the builder sends it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageInput {
    /// `[a-z0-9-]{1,64}`, unique in the tenant; the client route is `pages/<slug>`.
    #[schema(
        example = "about-us",
        pattern = "^[ \\t\\n\\r]*[a-z0-9-]{1,64}[ \\t\\n\\r]*$"
    )]
    pub slug: String,
    /// Title (1–64 characters).
    #[schema(value_type = crate::domain::text::PageTitle)]
    pub title: String,
    /// Navigation bar: `{title?, background_color?, text_style?: black|white}`.
    #[serde(default)]
    #[schema(value_type = Option<NavigationBar>)]
    pub navigation_bar: Option<Value>,
    /// The components.
    #[schema(value_type = crate::domain::layout::Layout)]
    pub layout: Value,
}

/// A page with its draft.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PageView {
    /// Page id.
    pub id: Uuid,
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Navigation bar settings.
    #[schema(value_type = NavigationBar)]
    pub navigation_bar: Value,
    /// The draft layout (omitted in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::layout::Layout>)]
    pub layout: Option<Value>,
    /// Draft revision; the ETag of the page.
    pub revision: i32,
    /// Latest published version.
    pub published_version: Option<i32>,
    /// Served to clients.
    pub is_published: bool,
    /// Taken down by the agency (never served).
    pub taken_down: bool,
    /// Why it was taken down.
    pub takedown_reason: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn view(p: pages::Model, with_layout: bool) -> PageView {
    PageView {
        id: p.id,
        slug: p.slug,
        title: p.title,
        navigation_bar: p.navigation_bar,
        layout: with_layout.then_some(p.draft_layout),
        revision: p.revision,
        published_version: p.published_version,
        is_published: p.is_published,
        taken_down: p.taken_down_at.is_some(),
        takedown_reason: p.takedown_reason,
        updated_at: p.updated_at,
    }
}

/// A published version.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    /// 1, 2, …
    pub version: i32,
    /// Title at publish time.
    pub title: String,
    /// Navigation bar at publish time.
    #[schema(value_type = NavigationBar)]
    pub navigation_bar: Value,
    /// Layout (omitted in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::layout::Layout>)]
    pub layout: Option<Value>,
    /// Published at.
    pub published_at: DateTime<Utc>,
    /// Published by (account id).
    pub published_by: Option<Uuid>,
}

fn version_view(v: page_versions::Model, with_layout: bool) -> VersionView {
    VersionView {
        version: v.version,
        title: v.title,
        navigation_bar: v.navigation_bar,
        layout: with_layout.then_some(v.layout),
        published_at: v.published_at,
        published_by: v.published_by,
    }
}

fn nav_schema_json() -> Value {
    serde_json::json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "title": {"type": "string", "maxLength": 32},
            "background_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "text_style": {"type": "string", "enum": ["black", "white"]}
        }
    })
}

fn nav_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::compile(&nav_schema_json()).expect("the navigation-bar schema compiles")
    })
}

/// A page's navigation bar as the OpenAPI document states it (the schema checked).
pub struct NavigationBar;

impl utoipa::PartialSchema for NavigationBar {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut schema = nav_schema_json();
        schema["description"] =
            serde_json::json!("The page's navigation bar; what is left out follows the theme.");
        serde_json::from_value(schema).expect("the navigation-bar schema is an OpenAPI schema")
    }
}

impl utoipa::ToSchema for NavigationBar {}

pub(crate) struct CheckedPage {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) navigation_bar: Value,
    pub(crate) layout: Value,
    pub(crate) refs: Vec<crate::domain::schema::AssetRef>,
}

pub(crate) async fn check_input(
    state: &AppState,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    input: PageInput,
) -> AppResult<CheckedPage> {
    let slug = input.slug.trim().to_owned();
    if slug.is_empty()
        || slug.len() > 64
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(AppError::invalid_field(
            "slug",
            Localized::new(
                "须为 1–64 个小写字母、数字或 -",
                "must be 1–64 of a-z, 0-9 and -",
            ),
        ));
    }
    let title = input.title.trim().to_owned();
    let n = title.chars().count();
    if n == 0 || n > 64 || crate::domain::text::has_disallowed(&title) {
        return Err(AppError::invalid_field(
            "title",
            Localized::new(
                "须为 1–64 个字符，且不含控制字符或文字方向控制符",
                "must be 1–64 characters without control or text-direction characters",
            ),
        ));
    }
    let navigation_bar = input
        .navigation_bar
        .unwrap_or_else(|| serde_json::json!({}));
    nav_schema()
        .validate(&navigation_bar, "", &mut Vec::new())
        .map_err(|f| {
            AppError::invalid_field(
                format!("navigation_bar{}", f.pointer.replace('/', ".")),
                f.reason,
            )
        })?;
    let apps = plan_apps(conn, tenant).await?;
    let checked = check_layout(&input.layout, state.catalog.specs(), &apps)
        .map_err(|faults| layout_faults(faults, &input.layout))?;
    let missing = check_refs(state, conn, tenant, &checked.assets).await?;
    if !missing.is_empty() {
        return Err(layout_faults(missing, &input.layout));
    }
    Ok(CheckedPage {
        slug,
        title,
        navigation_bar,
        layout: checked.layout,
        refs: checked.assets,
    })
}

pub(crate) async fn find_page(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<pages::Model> {
    pages::Entity::find_by_id(id)
        .filter(pages::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

fn slug_taken() -> AppError {
    AppError::new(ErrorCode::AlreadyExists)
        .with_message(Localized::new(
            "该页面路径已被使用。",
            "Another page already uses this slug.",
        ))
        .with_details(serde_json::json!({ "field": "slug" }))
}

fn audit_record(
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    action: &'static str,
    page: Uuid,
    summary: Value,
) -> AuditRecord {
    AuditRecord {
        actor: actor.actor(),
        tenant_id: Some(tenant),
        action,
        subject_type: "page",
        subject_id: Some(page.to_string()),
        summary,
        request_id: meta.request_id.clone(),
    }
}

/// Creates a page (revision 1) within the plan's page quota.
pub async fn create(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    input: PageInput,
) -> AppResult<PageView> {
    let txn = db::begin_write(&state.db).await?;
    lock_snapshot(&txn, tenant).await?;
    let page = check_input(state, &txn, tenant, input).await?;
    let quota = tenant_plan(&txn, tenant).await?.page_quota as i64;
    let used = pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .count(&txn)
        .await? as i64;
    if used >= quota {
        return Err(quota_exceeded("pages", used, quota, 1));
    }
    if pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .filter(pages::Column::Slug.eq(page.slug.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(slug_taken());
    }
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let row = pages::Model {
        id,
        tenant_id: tenant.0,
        slug: page.slug,
        title: page.title,
        navigation_bar: page.navigation_bar,
        draft_layout: page.layout,
        revision: 1,
        published_version: None,
        is_published: false,
        taken_down_at: None,
        takedown_reason: None,
        created_at: now,
        updated_at: now,
        updated_by: Some(actor.id.0),
    };
    pages::Entity::insert(pages::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    record_refs(&txn, tenant, id, 0, &page.refs).await?;
    audit::record(
        &txn,
        now,
        audit_record(
            actor,
            meta,
            tenant,
            "page.created",
            id,
            serde_json::json!({ "slug": row.slug }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(row, true))
}

/// Replaces the draft if `if_match` is the current revision (else 412 with the current
/// one); the revision goes up by one. Exactly one of two racing saves wins.
pub async fn replace(
    state: &AppState,
    actor: &CachedUser,
    tenant: TenantId,
    id: Uuid,
    if_match: i32,
    input: PageInput,
) -> AppResult<PageView> {
    let txn = db::begin_write(&state.db).await?;
    let current = find_page(&txn, tenant, id).await?;
    if current.revision != if_match {
        return Err(mismatch(current.revision));
    }
    let page = check_input(state, &txn, tenant, input).await?;
    if page.slug != current.slug
        && pages::Entity::find()
            .filter(pages::Column::TenantId.eq(tenant.0))
            .filter(pages::Column::Slug.eq(page.slug.as_str()))
            .one(&txn)
            .await?
            .is_some()
    {
        return Err(slug_taken());
    }
    let now = state.clock.now();
    // The revision condition makes the check and the write one step: a concurrent save
    // that committed first leaves nothing to update here.
    let updated = pages::Entity::update_many()
        .col_expr(pages::Column::Slug, Expr::value(page.slug.clone()))
        .col_expr(pages::Column::Title, Expr::value(page.title.clone()))
        .col_expr(
            pages::Column::NavigationBar,
            Expr::value(page.navigation_bar.clone()),
        )
        .col_expr(pages::Column::DraftLayout, Expr::value(page.layout.clone()))
        .col_expr(pages::Column::Revision, Expr::value(if_match + 1))
        .col_expr(pages::Column::UpdatedAt, Expr::value(now))
        .col_expr(pages::Column::UpdatedBy, Expr::value(Some(actor.id.0)))
        .filter(pages::Column::Id.eq(id))
        .filter(pages::Column::Revision.eq(if_match))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        let latest = find_page(&txn, tenant, id).await?.revision;
        return Err(mismatch(latest));
    }
    record_refs(&txn, tenant, id, 0, &page.refs).await?;
    // Answer with the row as this transaction wrote it: read after the commit, a save
    // that committed in between would be reported as ours (its revision, its draft).
    let written = find_page(&txn, tenant, id).await?;
    txn.commit().await?;
    state.faults.pause("pages.replace_committed").await;
    Ok(view(written, true))
}

fn mismatch(current: i32) -> AppError {
    AppError::new(ErrorCode::RevisionMismatch)
        .with_details(serde_json::json!({ "current_revision": current }))
}

/// One page with its draft.
pub async fn get(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<PageView> {
    Ok(view(find_page(&state.db, tenant, id).await?, true))
}

/// Every page of the tenant (without layouts), by slug.
pub async fn list(state: &AppState, tenant: TenantId) -> AppResult<Vec<PageView>> {
    Ok(pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .order_by_asc(pages::Column::Slug)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| view(p, false))
        .collect())
}

/// Publishes the draft as a new immutable version; the revision does not change.
pub async fn publish(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<VersionView> {
    let txn = db::begin_write(&state.db).await?;
    lock_snapshot(&txn, tenant).await?;
    let page = find_page(&txn, tenant, id).await?;
    if page.taken_down_at.is_some() {
        return Err(AppError::new(ErrorCode::PageTakenDown)
            .with_details(serde_json::json!({ "reason": page.takedown_reason })));
    }
    // Plan, assets or linked pages may have changed since the draft was saved.
    let errors = crate::services::page_checks::errors(state, &txn, tenant, &page).await?;
    if !errors.is_empty() {
        return Err(crate::services::page_checks::blocked(errors));
    }
    let apps = plan_apps(&txn, tenant).await?;
    let checked = check_layout(&page.draft_layout, state.catalog.specs(), &apps)
        .map_err(|faults| layout_faults(faults, &page.draft_layout))?;
    let version = page.published_version.unwrap_or(0).max(
        page_versions::Entity::find()
            .filter(page_versions::Column::PageId.eq(id))
            .order_by_desc(page_versions::Column::Version)
            .one(&txn)
            .await?
            .map(|v| v.version)
            .unwrap_or(0),
    ) + 1;
    let now = state.clock.now();
    let appid = entity::tenants::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?
        .and_then(|t| t.appid);
    let rendered = state
        .renderer
        .render_page(
            &page.slug,
            &page.title,
            version,
            &page.navigation_bar,
            &page.draft_layout,
            &crate::services::client_content::asset_base(state, appid.as_deref()),
        )
        .map_err(|fault| {
            tracing::warn!(page.id = %id, error = %fault.message, "page render failed");
            AppError::new(ErrorCode::RenderFailed).with_details(serde_json::json!({
                "component_id": fault.component_id,
            }))
        })?;
    let row = page_versions::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.0,
        page_id: id,
        version,
        title: page.title.clone(),
        navigation_bar: page.navigation_bar.clone(),
        layout: page.draft_layout.clone(),
        published_at: now,
        published_by: Some(actor.id.0),
        rendered: Some(String::from_utf8_lossy(&rendered.bytes).into_owned()),
        rendered_etag: Some(rendered.etag),
    };

    page_versions::Entity::insert(page_versions::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    record_refs(&txn, tenant, id, version, &checked.assets).await?;
    pages::Entity::update_many()
        .col_expr(pages::Column::PublishedVersion, Expr::value(Some(version)))
        .col_expr(pages::Column::IsPublished, Expr::value(true))
        .col_expr(pages::Column::UpdatedAt, Expr::value(now))
        .filter(pages::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    crate::services::client_content::refresh_here(&txn, state, tenant).await?;
    audit::record(
        &txn,
        now,
        audit_record(
            actor,
            meta,
            tenant,
            "page.published",
            id,
            serde_json::json!({ "slug": page.slug, "version": version, "revision": page.revision }),
        ),
    )
    .await?;
    txn.commit().await?;
    state.refresh_tenant(tenant).await;
    Ok(version_view(row, false))
}

/// Removes the page from the client API (its versions stay). Idempotent.
pub async fn unpublish(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<PageView> {
    let mut views = unpublish_many(state, actor, meta, tenant, &[id]).await?;
    Ok(views.remove(0))
}

/// Removes several pages from the client API together, or none: refused while the tab
/// bar shows one of them, or while a published page outside the set links to one
/// (`page_linked`, naming every such link) — pages that only link to each other go
/// together. Idempotent per page.
pub async fn unpublish_many(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    ids: &[Uuid],
) -> AppResult<Vec<PageView>> {
    let txn = db::begin_write(&state.db).await?;
    let mut rows = Vec::new();
    for id in ids {
        rows.push(find_page(&txn, tenant, *id).await?);
    }
    let tab_bar = tab_bar_pages(&txn, tenant).await?;
    if rows
        .iter()
        .any(|p| p.is_published && tab_bar.contains(&p.id))
    {
        return Err(
            AppError::new(ErrorCode::InUse).with_details(serde_json::json!({ "tab_bar": true }))
        );
    }
    let leaving: Vec<&pages::Model> = rows.iter().filter(|p| p.is_published).collect();
    let links = crate::services::page_checks::links_into(
        state,
        &txn,
        tenant,
        &leaving.iter().map(|p| p.slug.clone()).collect::<Vec<_>>(),
        ids,
    )
    .await?;
    if !links.is_empty() {
        return Err(crate::services::page_checks::linked(links));
    }
    let now = state.clock.now();
    for page in &leaving {
        pages::Entity::update_many()
            .col_expr(pages::Column::IsPublished, Expr::value(false))
            .col_expr(pages::Column::UpdatedAt, Expr::value(now))
            .filter(pages::Column::Id.eq(page.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            audit_record(
                actor,
                meta,
                tenant,
                "page.unpublished",
                page.id,
                serde_json::json!({ "slug": page.slug }),
            ),
        )
        .await?;
    }
    if !leaving.is_empty() {
        crate::services::client_content::refresh_here(&txn, state, tenant).await?;
    }
    let mut written = Vec::new();
    for id in ids {
        written.push(view(find_page(&txn, tenant, *id).await?, true));
    }
    txn.commit().await?;
    state.refresh_tenant(tenant).await;
    Ok(written)
}

/// Versions of a page, newest first.
pub async fn versions(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<Vec<VersionView>> {
    find_page(&state.db, tenant, id).await?;
    Ok(page_versions::Entity::find()
        .filter(page_versions::Column::PageId.eq(id))
        .order_by_desc(page_versions::Column::Version)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|v| version_view(v, false))
        .collect())
}

/// One version with its layout.
pub async fn version(
    state: &AppState,
    tenant: TenantId,
    id: Uuid,
    n: i32,
) -> AppResult<VersionView> {
    find_page(&state.db, tenant, id).await?;
    let v = page_versions::Entity::find()
        .filter(page_versions::Column::PageId.eq(id))
        .filter(page_versions::Column::Version.eq(n))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(version_view(v, true))
}

/// Copies version `n` into the draft as a new revision (checked against `if_match` when
/// given).
pub async fn restore(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
    n: i32,
    if_match: Option<i32>,
) -> AppResult<PageView> {
    let txn = db::begin_write(&state.db).await?;
    let page = find_page(&txn, tenant, id).await?;
    if if_match.is_some_and(|r| r != page.revision) {
        return Err(mismatch(page.revision));
    }
    let v = page_versions::Entity::find()
        .filter(page_versions::Column::PageId.eq(id))
        .filter(page_versions::Column::Version.eq(n))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let now = state.clock.now();
    let updated = pages::Entity::update_many()
        .col_expr(pages::Column::Title, Expr::value(v.title.clone()))
        .col_expr(
            pages::Column::NavigationBar,
            Expr::value(v.navigation_bar.clone()),
        )
        .col_expr(pages::Column::DraftLayout, Expr::value(v.layout.clone()))
        .col_expr(pages::Column::Revision, Expr::value(page.revision + 1))
        .col_expr(pages::Column::UpdatedAt, Expr::value(now))
        .col_expr(pages::Column::UpdatedBy, Expr::value(Some(actor.id.0)))
        .filter(pages::Column::Id.eq(id))
        .filter(pages::Column::Revision.eq(page.revision))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(mismatch(find_page(&txn, tenant, id).await?.revision));
    }
    let refs: Vec<page_asset_refs::Model> = page_asset_refs::Entity::find()
        .filter(page_asset_refs::Column::PageId.eq(id))
        .filter(page_asset_refs::Column::Version.eq(n))
        .all(&txn)
        .await?;
    page_asset_refs::Entity::delete_many()
        .filter(page_asset_refs::Column::PageId.eq(id))
        .filter(page_asset_refs::Column::Version.eq(0))
        .exec(&txn)
        .await?;
    for r in refs {
        page_asset_refs::Entity::insert(page_asset_refs::ActiveModel {
            page_id: Set(id),
            version: Set(0),
            asset_id: Set(r.asset_id),
            tenant_id: Set(tenant.0),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        audit_record(
            actor,
            meta,
            tenant,
            "page.restored",
            id,
            serde_json::json!({ "slug": page.slug, "version": n, "revision": page.revision + 1 }),
        ),
    )
    .await?;
    let written = find_page(&txn, tenant, id).await?;
    txn.commit().await?;
    Ok(view(written, true))
}

/// Page ids the tab bar points at.
pub async fn tab_bar_pages(conn: &impl ConnectionTrait, tenant: TenantId) -> AppResult<Vec<Uuid>> {
    let Some(settings) = tenant_settings::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    Ok(settings.tab_bar["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["page_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()))
                .collect()
        })
        .unwrap_or_default())
}

/// Deletes a page and its versions; 409 `in_use` while the tab bar points at it.
pub async fn delete(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    lock_snapshot(&txn, tenant).await?;
    let page = find_page(&txn, tenant, id).await?;
    if tab_bar_pages(&txn, tenant).await?.contains(&id) {
        return Err(
            AppError::new(ErrorCode::InUse).with_details(serde_json::json!({ "tab_bar": true }))
        );
    }
    if page.is_published {
        let links = crate::services::page_checks::links_into(
            state,
            &txn,
            tenant,
            std::slice::from_ref(&page.slug),
            &[id],
        )
        .await?;
        if !links.is_empty() {
            return Err(crate::services::page_checks::linked(links));
        }
    }
    page_asset_refs::Entity::delete_many()
        .filter(page_asset_refs::Column::PageId.eq(id))
        .exec(&txn)
        .await?;
    page_versions::Entity::delete_many()
        .filter(page_versions::Column::PageId.eq(id))
        .exec(&txn)
        .await?;
    pages::Entity::delete_by_id(id).exec(&txn).await?;
    if page.is_published {
        crate::services::client_content::refresh_here(&txn, state, tenant).await?;
    }
    audit::record(
        &txn,
        state.clock.now(),
        audit_record(
            actor,
            meta,
            tenant,
            "page.deleted",
            id,
            serde_json::json!({ "slug": page.slug }),
        ),
    )
    .await?;
    txn.commit().await?;
    state.refresh_tenant(tenant).await;
    Ok(())
}

/// Copies a starter template into the tenant as a draft.
pub async fn create_from_template(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    key: &str,
    slug: Option<String>,
    title: Option<String>,
) -> AppResult<PageView> {
    let starter = state
        .catalog
        .starter_pages()
        .iter()
        .find(|p| p.key == key)
        .ok_or_else(|| {
            AppError::invalid_field(
                "template",
                Localized::new("没有这个模板", "no such template"),
            )
        })?;
    let input = PageInput {
        slug: slug.unwrap_or_else(|| starter.slug.clone()),
        title: title.unwrap_or_else(|| starter.title.zh_cn.clone()),
        navigation_bar: Some(starter.navigation_bar.clone()),
        layout: starter.layout.clone(),
    };
    create(state, actor, meta, tenant, input).await
}

/// Sets or lifts the agency's takedown of one page (with a reason); audited, idempotent.
pub async fn set_takedown(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
    taken_down: bool,
    reason: &str,
) -> AppResult<PageView> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "reason",
            Localized::new("须为 1–500 个字符", "must be 1–500 characters"),
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    let page = find_page(&txn, tenant, id).await?;
    if page.taken_down_at.is_some() != taken_down {
        let now = state.clock.now();
        pages::Entity::update_many()
            .col_expr(
                pages::Column::TakenDownAt,
                Expr::value(taken_down.then_some(now)),
            )
            .col_expr(
                pages::Column::TakedownReason,
                Expr::value(taken_down.then(|| reason.to_owned())),
            )
            .col_expr(pages::Column::UpdatedAt, Expr::value(now))
            .filter(pages::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        crate::services::client_content::refresh_here(&txn, state, tenant).await?;
        let action = if taken_down {
            "page.taken_down"
        } else {
            "page.takedown_lifted"
        };
        audit::record(
            &txn,
            now,
            audit_record(
                actor,
                meta,
                tenant,
                action,
                id,
                serde_json::json!({ "slug": page.slug, "reason": reason }),
            ),
        )
        .await?;
    }
    let written = find_page(&txn, tenant, id).await?;
    txn.commit().await?;
    state.refresh_tenant(tenant).await;
    Ok(view(written, true))
}

/// Exactly what the client API would serve for version `n`, or for the draft rendered now
/// (as if published as the next version).
pub async fn preview(
    state: &AppState,
    tenant: TenantId,
    id: Uuid,
    version: Option<i32>,
) -> AppResult<crate::render::renderer::Rendered> {
    let page = find_page(&state.db, tenant, id).await?;
    if let Some(n) = version {
        let v = page_versions::Entity::find()
            .filter(page_versions::Column::PageId.eq(id))
            .filter(page_versions::Column::Version.eq(n))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
        if let (Some(bytes), Some(etag)) = (v.rendered, v.rendered_etag) {
            return Ok(crate::render::renderer::Rendered {
                bytes: bytes.into_bytes(),
                etag,
            });
        }
    }
    let appid = entity::tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .and_then(|t| t.appid);
    state
        .renderer
        .render_page(
            &page.slug,
            &page.title,
            page.published_version.unwrap_or(0) + 1,
            &page.navigation_bar,
            &page.draft_layout,
            &crate::services::client_content::asset_base(state, appid.as_deref()),
        )
        .map_err(|fault| {
            AppError::new(ErrorCode::RenderFailed)
                .with_details(serde_json::json!({ "component_id": fault.component_id }))
        })
}

/// Re-renders the live version of every published page with the tenant's asset base for
/// `appid` and this instance's public base URL, in the caller's transaction: pages
/// published before the appid was known, or before the base URL changed, carry other
/// asset URLs. A version that no longer renders keeps its stored bytes.
pub async fn rerender_published(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    appid: Option<&str>,
) -> AppResult<u32> {
    let base = crate::services::client_content::asset_base(state, appid);
    let live = pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .filter(pages::Column::PublishedVersion.is_not_null())
        .all(conn)
        .await?;
    let mut count = 0;
    for page in live {
        let Some(number) = page.published_version else {
            continue;
        };
        let Some(version) = page_versions::Entity::find()
            .filter(page_versions::Column::PageId.eq(page.id))
            .filter(page_versions::Column::Version.eq(number))
            .one(conn)
            .await?
        else {
            continue;
        };
        let rendered = match state.renderer.render_page(
            &page.slug,
            &version.title,
            number,
            &version.navigation_bar,
            &version.layout,
            &base,
        ) {
            Ok(r) => r,
            Err(fault) => {
                tracing::warn!(page.id = %page.id, error = %fault.message, "re-render failed; stored bytes kept");
                continue;
            }
        };
        page_versions::Entity::update_many()
            .col_expr(
                page_versions::Column::Rendered,
                Expr::value(Some(String::from_utf8_lossy(&rendered.bytes).into_owned())),
            )
            .col_expr(
                page_versions::Column::RenderedEtag,
                Expr::value(Some(rendered.etag)),
            )
            .filter(page_versions::Column::Id.eq(version.id))
            .exec(conn)
            .await?;
        count += 1;
    }
    Ok(count)
}
