//! Operations endpoints: liveness, readiness and Prometheus metrics.

use crate::db;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use entity::jobs;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, QuerySelect};
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the operations routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready).service(metrics);
}

/// Liveness answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LiveBody {
    /// Always `ok`.
    pub status: &'static str,
}

/// Readiness answer; later capabilities add facts to `checks`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadyBody {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// Each dependency's state.
    pub checks: serde_json::Map<String, serde_json::Value>,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OK", body = LiveBody)))]
#[get("/health/live")]
async fn live() -> web::Json<LiveBody> {
    web::Json(LiveBody { status: "ok" })
}

/// The instance can serve: the database answers.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = ReadyBody),
        (status = 503, description = "A dependency is down", body = ReadyBody),
    )
)]
#[get("/health/ready")]
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let mut checks = serde_json::Map::new();
    let db_ok = match db::ping(&state.db).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            false
        }
    };
    checks.insert(
        "database".into(),
        (if db_ok { "ok" } else { "unreachable" }).into(),
    );
    checks.insert(
        "database_backend".into(),
        format!("{:?}", state.db.get_database_backend())
            .to_lowercase()
            .into(),
    );
    // The calendar never makes the instance unready: freezes still happen without it;
    // operators watch the days left (also the `calendar_coverage_days` metric).
    let today = crate::domain::time::shanghai_date(state.clock.now());
    if let Some((until, days_left)) = state.calendar.coverage(today) {
        state.metrics.calendar_coverage_days.set(days_left);
        checks.insert("calendar_coverage_until".into(), until.to_string().into());
        checks.insert("calendar_coverage_days_left".into(), days_left.into());
    }
    let body = ReadyBody {
        status: if db_ok { "ready" } else { "not_ready" },
        checks,
    };
    if db_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics in the text exposition format. Open unless
/// `WEAPP__SECURITY__METRICS_TOKEN` is set; then only with that bearer token.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, description = "A metrics token is set and the request does not carry it", body = crate::error::ErrorBody))
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if let Some(expected) = &state.metrics_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Constant time: the comparison must not tell how much of a guess was right.
        if !bool::from(given.as_bytes().ct_eq(expected.expose())) {
            return Err(AppError::new(ErrorCode::Unauthenticated));
        }
    }
    match job_counts(&state).await {
        Ok(counts) => {
            state.metrics.jobs_by_status.reset();
            let mut dead = 0;
            for (status, n) in counts {
                if status == crate::jobs::queue::status::DEAD {
                    dead = n;
                }
                state
                    .metrics
                    .jobs_by_status
                    .with_label_values(&[&status])
                    .set(n);
            }
            state.metrics.jobs_dead.set(dead);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: counting jobs failed"),
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()))
}

async fn job_counts(state: &AppState) -> Result<Vec<(String, i64)>, sea_orm::DbErr> {
    jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Status)
        .column_as(
            sea_orm::sea_query::ExprTrait::count(Expr::col(jobs::Column::Id)),
            "n",
        )
        .group_by(jobs::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await
}
