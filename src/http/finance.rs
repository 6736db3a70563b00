//! Finance (staff; account managers see their own tenants): money received and
//! outstanding by month, tenant and account manager, and the payments as CSV.

use super::extract::{Query, Staff};
use crate::domain::time::shanghai_date;
use crate::error::{AppResult, ErrorBody, Lang, current_lang};
use crate::services::contracts::yuan_plain;
use crate::services::finance::{self, FinanceReport, MonthRange, csv_field};
use crate::state::AppState;
use actix_web::{HttpResponse, get, http::header, web};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the finance routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(finance_report).service(finance_payments_csv);
}

/// The months of a finance report.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FinanceQuery {
    /// First month, `YYYY-MM` (default: January of the current year, Asia/Shanghai).
    #[param(example = "2026-01", pattern = r"^2\d{3}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// Last month, `YYYY-MM`, at most 36 months after `from` (default: December).
    #[param(example = "2026-12", pattern = r"^2\d{3}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
}

fn range(state: &AppState, q: &FinanceQuery) -> AppResult<MonthRange> {
    MonthRange::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        shanghai_date(state.clock.now()),
    )
}

/// Payments received (by payment date) and amounts outstanding (unpaid milestones, by due
/// month) by month, tenant and account manager.
#[utoipa::path(tag = "finance", params(FinanceQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = FinanceReport),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 422, description = "`from` or `to` is not a month, or the range is reversed or over 36 months", body = ErrorBody)))]
#[get("/finance")]
async fn finance_report(
    state: web::Data<AppState>,
    staff: Staff,
    query: Query<FinanceQuery>,
) -> AppResult<web::Json<FinanceReport>> {
    let range = range(&state, &query.0)?;
    Ok(web::Json(
        finance::report(&state, &staff.0.user, range).await?,
    ))
}

/// The payments of the range as CSV (UTF-8 with a byte-order mark, so spreadsheets read
/// the Chinese names); column names in the caller's language.
#[utoipa::path(tag = "finance", params(FinanceQuery), security(("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 422, description = "`from` or `to` is not a month, or the range is reversed or over 36 months", body = ErrorBody)))]
#[get("/finance/payments.csv")]
async fn finance_payments_csv(
    state: web::Data<AppState>,
    staff: Staff,
    query: Query<FinanceQuery>,
) -> AppResult<HttpResponse> {
    let range = range(&state, &query.0)?;
    let lines = finance::payments(&state, &staff.0.user, range).await?;
    let header_row = match current_lang() {
        Lang::Zh => "付款日期,商户,客户经理,合同序号,金额（元）,付款方式,凭证号",
        Lang::En => "paid_on,tenant,account_manager,contract,amount_yuan,method,reference",
    };
    let mut csv = String::from("\u{feff}");
    csv.push_str(header_row);
    csv.push_str("\r\n");
    for l in lines {
        let fields = [
            l.paid_on.to_string(),
            csv_field(&l.business_name),
            csv_field(&l.account_manager_name),
            l.contract_sequence.to_string(),
            yuan_plain(l.amount_fen),
            csv_field(&l.method),
            csv_field(&l.reference),
        ];
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    let name = format!(
        "payments-{}-{}.csv",
        query.0.from.as_deref().unwrap_or("year"),
        query.0.to.as_deref().unwrap_or("end")
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(csv))
}
