//! Calendar years through the API: agency admins list the years in force and add (or
//! correct) a year the binary does not ship, when the State Council's notice is out.

use crate::db;
use crate::domain::calendar::WorkdayCalendar;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::lifecycle::calendar::YearSource;
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use entity::calendar_years;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde::{Deserialize, Serialize};

/// Years an arrangement may be given for.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A year's arrangement as the State Council's notice gives it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearInput {
    /// Every day off of the year's holiday blocks (weekend days inside a block included),
    /// as `YYYY-MM-DD`.
    #[schema(value_type = Vec<String>, example = json!(["2027-01-01", "2027-02-06"]))]
    pub holidays: Vec<NaiveDate>,
    /// The weekend days worked in exchange (调休上班日), `YYYY-MM-DD`; each a Saturday or
    /// Sunday.
    #[schema(value_type = Vec<String>, example = json!(["2027-02-14"]))]
    pub workdays: Vec<NaiveDate>,
    /// The notice it comes from (up to 200 characters), e.g. `国办发明电〔2026〕7号`.
    #[serde(default)]
    pub source: Option<String>,
}

/// One covered year.
#[derive(Serialize, utoipa::ToSchema)]
pub struct YearView {
    /// The year.
    pub year: i32,
    /// `embedded` (shipped in the binary), `database` (added through the API) or `file`.
    pub source: YearSource,
    /// Holidays, sorted.
    #[schema(value_type = Vec<String>)]
    pub holidays: Vec<NaiveDate>,
    /// Weekend make-up working days, sorted.
    #[schema(value_type = Vec<String>)]
    pub workdays: Vec<NaiveDate>,
    /// Working days in the year (when the calendar covers it contiguously).
    pub working_days: Option<u32>,
    /// The notice it comes from (database years).
    pub notice: Option<String>,
    /// When it was last added or corrected (database years).
    pub updated_at: Option<DateTime<Utc>>,
}

/// The calendar in force.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    /// The last date deletion dates can be computed for.
    #[schema(value_type = Option<String>)]
    pub coverage_until: Option<NaiveDate>,
    /// Days from today (Asia/Shanghai) to `coverage_until`.
    pub coverage_days_left: Option<i64>,
    /// Every year with an arrangement, ascending.
    pub years: Vec<YearView>,
}

/// The years in force.
pub async fn list(state: &AppState) -> AppResult<CalendarView> {
    state
        .calendar
        .refresh_database(&state.db)
        .await
        .map_err(AppError::internal)?;
    let calendar = state.calendar.current();
    let rows = calendar_years::Entity::find().all(&state.db).await?;
    let today = crate::domain::time::shanghai_date(state.clock.now());
    let coverage = state.calendar.coverage(today);
    let years = calendar
        .years()
        .into_iter()
        .filter_map(|year| {
            let (holidays, workdays) = calendar.year_lists(year)?;
            let source = state.calendar.source_of(year)?;
            let row = rows
                .iter()
                .find(|r| r.year == year)
                .filter(|_| source == YearSource::Database);
            Some(YearView {
                year,
                source,
                holidays,
                workdays,
                working_days: calendar.workdays_in_year(year).ok(),
                notice: row.and_then(|r| r.source.clone()),
                updated_at: row.map(|r| r.updated_at),
            })
        })
        .collect();
    Ok(CalendarView {
        coverage_until: coverage.map(|(until, _)| until),
        coverage_days_left: coverage.map(|(_, days)| days),
        years,
    })
}

/// Adds `year` (or corrects it, if it was added before): validated, audited, in force on
/// this instance at once and on the others at their next tick. Deletion dates the calendar
/// now reaches are filled in, and those not yet due are computed again (never earlier than
/// announced) — each change announced to the merchant and the account manager. `true` when
/// the year is new.
pub async fn put_year(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    year: i32,
    input: YearInput,
) -> AppResult<(bool, YearView)> {
    if !YEARS.contains(&year) {
        return Err(AppError::invalid_field(
            "year",
            Localized::new("须在 2000–2100 之间", "must be between 2000 and 2100"),
        ));
    }
    if state.calendar.ships(year) {
        return Err(AppError::new(ErrorCode::CalendarYearShipped)
            .with_details(serde_json::json!({ "year": year })));
    }
    WorkdayCalendar::year(year, &input.holidays, &input.workdays)
        .map_err(|fault| AppError::invalid_field(fault.field, fault.reason))?;
    let notice = input
        .source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if notice.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(AppError::invalid_field(
            "source",
            Localized::new("最多 200 个字符", "must be at most 200 characters"),
        ));
    }
    let mut holidays = input.holidays;
    holidays.sort();
    holidays.dedup();
    let mut workdays = input.workdays;
    workdays.sort();
    workdays.dedup();
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let existing = calendar_years::Entity::find_by_id(year).one(&txn).await?;
    let created = existing.is_none();
    let row = match existing {
        Some(row) => {
            let revision = row.revision + 1;
            let mut active = row.into_active_model();
            active.holidays = Set(serde_json::json!(holidays));
            active.workdays = Set(serde_json::json!(workdays));
            active.source = Set(notice.clone());
            active.revision = Set(revision);
            active.updated_by = Set(Some(actor.id.0));
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            calendar_years::Model {
                year,
                holidays: serde_json::json!(holidays),
                workdays: serde_json::json!(workdays),
                source: notice.clone(),
                revision: 1,
                updated_by: Some(actor.id.0),
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: if created {
                "calendar.year_added"
            } else {
                "calendar.year_corrected"
            },
            subject_type: "calendar_year",
            subject_id: Some(year.to_string()),
            summary: serde_json::json!({
                "year": year,
                "holidays": holidays.len(),
                "workdays": workdays.len(),
                "source": notice,
                "revision": row.revision,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    state
        .calendar
        .refresh_database(&state.db)
        .await
        .map_err(AppError::internal)?;
    let today = crate::domain::time::shanghai_date(now);
    if let Some((_, days_left)) = state.calendar.coverage(today) {
        state.metrics.calendar_coverage_days.set(days_left);
    }
    crate::lifecycle::freeze::fill_missing_deletion_times(state, now).await?;
    crate::lifecycle::freeze::reschedule_deletions(state, now).await?;
    let calendar = state.calendar.current();
    Ok((
        created,
        YearView {
            year,
            source: YearSource::Database,
            holidays,
            workdays,
            working_days: calendar.workdays_in_year(year).ok(),
            notice,
            updated_at: Some(now),
        },
    ))
}
