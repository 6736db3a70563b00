//! The agency's money by month, tenant and account manager: payments received (by the
//! day they were paid) and amounts outstanding (unpaid milestones, by their due month).
//! Payments cover a contract's milestones in order, as on the contract screen.

use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Localized};
use crate::services::contracts::{LoadedContract, load_contracts_of};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{Datelike, NaiveDate};
use entity::{tenants, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The longest report: three years of months.
const MAX_MONTHS: i32 = 36;

/// A calendar month, written `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Parses `YYYY-MM`; `field` names the request field in the error.
    pub fn parse(raw: &str, field: &str) -> AppResult<Self> {
        let parsed = raw
            .split_once('-')
            .filter(|(y, m)| y.len() == 4 && m.len() == 2)
            .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
            .filter(|(y, m)| (2000..=2999).contains(y) && (1..=12).contains(m));
        match parsed {
            Some((year, month)) => Ok(Self { year, month }),
            None => Err(AppError::invalid_field(
                field,
                Localized::new(
                    "须为 YYYY-MM 格式的月份（如 2026-11）",
                    "must be a month written YYYY-MM (e.g. 2026-11)",
                ),
            )),
        }
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    fn index(self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }

    fn next(self) -> Self {
        let i = self.index() + 1;
        Self {
            year: i.div_euclid(12),
            month: i.rem_euclid(12) as u32 + 1,
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A checked report range: `from` ≤ `to`, at most 36 months.
#[derive(Clone, Copy, Debug)]
pub struct MonthRange {
    from: Month,
    to: Month,
}

impl MonthRange {
    /// Checks the range (fields `from`, `to`); without them, the current calendar year.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> AppResult<Self> {
        let year = today.year();
        let from = match from {
            Some(raw) => Month::parse(raw, "from")?,
            None => Month { year, month: 1 },
        };
        let to = match to {
            Some(raw) => Month::parse(raw, "to")?,
            None => Month { year, month: 12 },
        };
        if to < from {
            return Err(AppError::invalid_field(
                "to",
                Localized::new("不能早于开始月份", "must not be before `from`"),
            ));
        }
        if to.index() - from.index() >= MAX_MONTHS {
            return Err(AppError::invalid_field(
                "to",
                Localized::new("报表最长 36 个月", "a report covers at most 36 months"),
            ));
        }
        Ok(Self { from, to })
    }

    fn contains(&self, date: NaiveDate) -> bool {
        (self.from..=self.to).contains(&Month::of(date))
    }

    fn months(&self) -> Vec<Month> {
        let mut out = vec![self.from];
        while *out.last().expect("one month") < self.to {
            let next = out.last().expect("one month").next();
            out.push(next);
        }
        out
    }
}

/// One month's money.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct FinanceMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Payments received in the month (by payment date).
    pub received_fen: i64,
    /// Milestones due in the month.
    pub due_fen: i64,
    /// What is still unpaid of the milestones due in the month.
    pub outstanding_fen: i64,
}

/// One tenant's money in the range.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FinanceTenant {
    /// Tenant id.
    pub tenant_id: Uuid,
    /// Business name.
    pub business_name: String,
    /// Its account manager.
    pub account_manager_id: Option<Uuid>,
    /// The account manager's name.
    pub account_manager_name: Option<String>,
    /// Received in the range.
    pub received_fen: i64,
    /// Unpaid of the milestones due in the range.
    pub outstanding_fen: i64,
}

/// One account manager's money in the range (their tenants summed).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FinanceAccountManager {
    /// Account id (`null`: tenants without an account manager).
    pub account_manager_id: Option<Uuid>,
    /// Name.
    pub display_name: Option<String>,
    /// Tenants with money in the range.
    pub tenants: i64,
    /// Received in the range.
    pub received_fen: i64,
    /// Unpaid of the milestones due in the range.
    pub outstanding_fen: i64,
}

/// Money received and outstanding in a range of months.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FinanceReport {
    /// First month (`YYYY-MM`).
    pub from: String,
    /// Last month (`YYYY-MM`).
    pub to: String,
    /// Received in the range.
    pub total_received_fen: i64,
    /// Unpaid of the milestones due in the range.
    pub total_outstanding_fen: i64,
    /// Every month of the range, in order.
    pub months: Vec<FinanceMonth>,
    /// Tenants with money in the range, by business name.
    pub tenants: Vec<FinanceTenant>,
    /// Account managers with money in the range, by name.
    pub account_managers: Vec<FinanceAccountManager>,
}

/// One payment as the CSV lists it.
#[derive(Clone, Debug)]
pub struct PaymentLine {
    /// Paid on.
    pub paid_on: NaiveDate,
    /// Business name.
    pub business_name: String,
    /// Account manager's name.
    pub account_manager_name: String,
    /// Contract number within the tenant.
    pub contract_sequence: i32,
    /// Amount.
    pub amount_fen: i64,
    /// Payment method.
    pub method: String,
    /// Bank or receipt reference.
    pub reference: String,
}

struct Scope {
    tenants: Vec<tenants::Model>,
    managers: BTreeMap<Uuid, String>,
    contracts: BTreeMap<Uuid, Vec<LoadedContract>>,
}

/// The tenants `actor` may see (an account manager: their own) with their contracts.
async fn scope(state: &AppState, actor: &CachedUser) -> AppResult<Scope> {
    let mut query = tenants::Entity::find()
        .filter(tenants::Column::Status.ne("deleted"))
        .order_by_asc(tenants::Column::BusinessName)
        .order_by_asc(tenants::Column::Id);
    if actor.role == Role::AccountManager {
        query = query.filter(tenants::Column::AccountManagerId.eq(actor.id.0));
    }
    let rows = query.all(&state.read_db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let manager_ids: Vec<Uuid> = rows.iter().filter_map(|t| t.account_manager_id).collect();
    let managers = users::Entity::find()
        .filter(users::Column::Id.is_in(manager_ids))
        .all(&state.read_db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let contracts = load_contracts_of(&state.read_db, &ids).await?;
    Ok(Scope {
        tenants: rows,
        managers,
        contracts,
    })
}

/// Unpaid remainder of each milestone of a live contract, with its due date.
fn unpaid_milestones(c: &LoadedContract) -> Vec<(NaiveDate, i64, i64)> {
    if c.is_cancelled() {
        return Vec::new();
    }
    let terms = c.terms();
    let mut left = c.payments().iter().map(|p| p.amount_fen).sum::<i64>();
    terms
        .milestones
        .iter()
        .map(|m| {
            let covered = left.clamp(0, m.amount_fen);
            left -= covered;
            (m.due_date, m.amount_fen, m.amount_fen - covered)
        })
        .collect()
}

/// The report for `range` as `actor` may see it.
pub async fn report(
    state: &AppState,
    actor: &CachedUser,
    range: MonthRange,
) -> AppResult<FinanceReport> {
    let scope = scope(state, actor).await?;
    let mut months: BTreeMap<Month, FinanceMonth> = range
        .months()
        .into_iter()
        .map(|m| {
            let row = FinanceMonth {
                month: m.to_string(),
                ..Default::default()
            };
            (m, row)
        })
        .collect();
    let mut tenant_rows = Vec::new();
    let mut by_manager: BTreeMap<Option<Uuid>, FinanceAccountManager> = BTreeMap::new();
    for t in &scope.tenants {
        let (mut received, mut outstanding) = (0, 0);
        for c in scope.contracts.get(&t.id).into_iter().flatten() {
            for p in c.payments().iter().filter(|p| range.contains(p.paid_on)) {
                received += p.amount_fen;
                if let Some(m) = months.get_mut(&Month::of(p.paid_on)) {
                    m.received_fen += p.amount_fen;
                }
            }
            for (due, amount, unpaid) in unpaid_milestones(c) {
                if let Some(m) = months.get_mut(&Month::of(due)) {
                    m.due_fen += amount;
                    m.outstanding_fen += unpaid;
                    outstanding += unpaid;
                }
            }
        }
        if received == 0 && outstanding == 0 {
            continue;
        }
        let manager_name = t
            .account_manager_id
            .and_then(|m| scope.managers.get(&m).cloned());
        let manager =
            by_manager
                .entry(t.account_manager_id)
                .or_insert_with(|| FinanceAccountManager {
                    account_manager_id: t.account_manager_id,
                    display_name: manager_name.clone(),
                    tenants: 0,
                    received_fen: 0,
                    outstanding_fen: 0,
                });
        manager.tenants += 1;
        manager.received_fen += received;
        manager.outstanding_fen += outstanding;
        tenant_rows.push(FinanceTenant {
            tenant_id: t.id,
            business_name: t.business_name.clone(),
            account_manager_id: t.account_manager_id,
            account_manager_name: manager_name,
            received_fen: received,
            outstanding_fen: outstanding,
        });
    }
    let months: Vec<FinanceMonth> = months.into_values().collect();
    let mut account_managers: Vec<FinanceAccountManager> = by_manager.into_values().collect();
    account_managers.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(FinanceReport {
        from: range.from.to_string(),
        to: range.to.to_string(),
        total_received_fen: months.iter().map(|m| m.received_fen).sum(),
        total_outstanding_fen: months.iter().map(|m| m.outstanding_fen).sum(),
        months,
        tenants: tenant_rows,
        account_managers,
    })
}

/// Every payment in `range` that `actor` may see, by payment date.
pub async fn payments(
    state: &AppState,
    actor: &CachedUser,
    range: MonthRange,
) -> AppResult<Vec<PaymentLine>> {
    let scope = scope(state, actor).await?;
    let mut lines = Vec::new();
    for t in &scope.tenants {
        let manager = t
            .account_manager_id
            .and_then(|m| scope.managers.get(&m).cloned())
            .unwrap_or_default();
        for c in scope.contracts.get(&t.id).into_iter().flatten() {
            for p in c.payments.iter().filter(|p| range.contains(p.paid_on)) {
                lines.push(PaymentLine {
                    paid_on: p.paid_on,
                    business_name: t.business_name.clone(),
                    account_manager_name: manager.clone(),
                    contract_sequence: c.row.sequence,
                    amount_fen: p.amount_fen,
                    method: p.method.clone(),
                    reference: p.reference.clone(),
                });
            }
        }
    }
    lines.sort_by(|a, b| (a.paid_on, &a.business_name).cmp(&(b.paid_on, &b.business_name)));
    Ok(lines)
}

/// A CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so a spreadsheet never runs it as a formula.
pub fn csv_field(raw: &str) -> String {
    let guarded = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_ranges_are_bounded() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let r = MonthRange::parse(Some("2025-11"), Some("2026-02"), today).unwrap();
        let names: Vec<String> = r.months().iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        let year = MonthRange::parse(None, None, today).unwrap();
        assert_eq!(year.months().len(), 12);
        for bad in [
            "2026-13", "2026-1", "26-01", "2026/01", "abcd-ef", "2026-00",
        ] {
            assert!(Month::parse(bad, "from").is_err(), "{bad}");
        }
        assert!(MonthRange::parse(Some("2026-03"), Some("2026-02"), today).is_err());
        assert!(MonthRange::parse(Some("2024-01"), Some("2026-12"), today).is_ok());
        assert!(MonthRange::parse(Some("2024-01"), Some("2027-01"), today).is_err());
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("好味小馆"), "好味小馆");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
