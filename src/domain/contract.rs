//! Contract money rules, all in integer fen: the list price of a term, how payments cover
//! milestones over time, the next due milestone, overdue status, late fees and activation.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The largest amount of money the service accepts anywhere (a yearly price, a milestone, a
/// payment): ¥100,000,000.00. Bounded inputs keep every computation on them far from
/// `i64`'s range; the arithmetic is checked anyway.
pub const MAX_FEN: i64 = 10_000_000_000;

/// How a payment was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// 现金
    Cash,
    /// 支票
    Cheque,
    /// 银行转账
    BankTransfer,
    /// Anything else, described in the reference.
    Other,
}

impl PaymentMethod {
    /// Wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Other => "other",
        }
    }
}

impl FromStr for PaymentMethod {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "cash" => PaymentMethod::Cash,
            "cheque" => PaymentMethod::Cheque,
            "bank_transfer" => PaymentMethod::BankTransfer,
            "other" => PaymentMethod::Other,
            _ => return Err(()),
        })
    }
}

/// When a contract counts as paid enough to start (or renew) service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivationRule {
    /// The whole amount is paid (default).
    #[default]
    FullPayment,
    /// The first milestone is paid.
    FirstMilestone,
}

impl ActivationRule {
    /// Wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivationRule::FullPayment => "full_payment",
            ActivationRule::FirstMilestone => "first_milestone",
        }
    }
}

impl FromStr for ActivationRule {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "full_payment" => ActivationRule::FullPayment,
            "first_milestone" => ActivationRule::FirstMilestone,
            _ => return Err(()),
        })
    }
}

/// The list price of the term `start..=end` at `yearly_fen` a year: the yearly price for
/// each whole year from `start`, plus the remaining days at `yearly_fen × days / 365`,
/// rounded half up to the fen. `None` when `end` is before `start`.
pub fn list_price(yearly_fen: i64, start: NaiveDate, end: NaiveDate) -> Option<i64> {
    if end < start {
        return None;
    }
    let mut whole_years: u32 = 0;
    while let Some(next) = start.checked_add_months(Months::new(12 * (whole_years + 1))) {
        if next.pred_opt()? <= end {
            whole_years += 1;
        } else {
            break;
        }
    }
    let remainder_start = start.checked_add_months(Months::new(12 * whole_years))?;
    let remainder_days = (end - remainder_start).num_days() + 1;
    let prorated = if remainder_days > 0 {
        (i128::from(yearly_fen) * i128::from(remainder_days) * 2 + 365) / (365 * 2)
    } else {
        0
    };
    yearly_fen
        .checked_mul(i64::from(whole_years))?
        .checked_add(i64::try_from(prorated).ok()?)
}

/// One instalment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    /// Amount due.
    pub amount_fen: i64,
    /// Due date (Asia/Shanghai).
    pub due_date: NaiveDate,
}

/// One recorded payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Amount paid.
    pub amount_fen: i64,
    /// Date paid (Asia/Shanghai).
    pub paid_on: NaiveDate,
}

/// The money terms of a contract.
#[derive(Clone, Debug)]
pub struct ContractTerms {
    /// Total amount.
    pub amount_fen: i64,
    /// Instalments in payment order; they sum to `amount_fen`. A contract without
    /// milestones has one: the whole amount, due on the start date.
    pub milestones: Vec<Milestone>,
    /// Late fee in basis points per day on the overdue amount.
    pub late_fee_bp_per_day: i64,
    /// Days a milestone may stay unpaid after its due date before the overdue hold.
    pub overdue_tolerance_days: i64,
    /// What activates the contract.
    pub activation_rule: ActivationRule,
}

/// The first milestone not yet fully paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NextDue {
    /// Position in the schedule (0-based).
    pub index: usize,
    /// What is still owed on it.
    pub remaining_fen: i64,
    /// Its due date.
    pub due_date: NaiveDate,
}

impl ContractTerms {
    /// A sum of amounts that saturates instead of wrapping (inputs are bounded by
    /// [`MAX_FEN`]; a wrapped total would turn a debt into a credit).
    fn sum(amounts: impl Iterator<Item = i64>) -> i64 {
        amounts.fold(0i64, i64::saturating_add)
    }

    fn paid_by(payments: &[Payment], day: NaiveDate) -> i64 {
        Self::sum(
            payments
                .iter()
                .filter(|p| p.paid_on <= day)
                .map(|p| p.amount_fen),
        )
    }

    /// Total paid (any date).
    pub fn paid_total(payments: &[Payment]) -> i64 {
        Self::sum(payments.iter().map(|p| p.amount_fen))
    }

    /// Still owed.
    pub fn outstanding(&self, payments: &[Payment]) -> i64 {
        self.amount_fen
            .saturating_sub(Self::paid_total(payments))
            .max(0)
    }

    /// Unpaid part of milestone `index` at the end of `day`; payments cover milestones in
    /// schedule order.
    fn unpaid_on(&self, index: usize, paid: i64) -> i64 {
        let before = Self::sum(self.milestones[..index].iter().map(|m| m.amount_fen));
        let covered = paid
            .saturating_sub(before)
            .clamp(0, self.milestones[index].amount_fen);
        self.milestones[index].amount_fen - covered
    }

    /// Whether the activation rule is met by `payments`.
    pub fn activation_met(&self, payments: &[Payment]) -> bool {
        let paid = Self::paid_total(payments);
        match self.activation_rule {
            ActivationRule::FullPayment => paid >= self.amount_fen,
            ActivationRule::FirstMilestone => {
                paid >= self
                    .milestones
                    .first()
                    .map_or(self.amount_fen, |m| m.amount_fen)
            }
        }
    }

    /// The first milestone not fully paid, if any.
    pub fn next_due(&self, payments: &[Payment]) -> Option<NextDue> {
        let paid = Self::paid_total(payments);
        (0..self.milestones.len()).find_map(|i| {
            let remaining = self.unpaid_on(i, paid);
            (remaining > 0).then(|| NextDue {
                index: i,
                remaining_fen: remaining,
                due_date: self.milestones[i].due_date,
            })
        })
    }

    /// Whether some milestone is unpaid more than the tolerance after its due date.
    pub fn is_overdue(&self, payments: &[Payment], today: NaiveDate) -> bool {
        let paid = Self::paid_by(payments, today);
        self.milestones.iter().enumerate().any(|(i, m)| {
            (today - m.due_date).num_days() > self.overdue_tolerance_days
                && self.unpaid_on(i, paid) > 0
        })
    }

    /// Late fee accrued up to and including `today`: for every day after a milestone's due
    /// date, its unpaid amount at the end of that day × the daily rate; the sum is rounded
    /// down to the fen once.
    pub fn late_fee(&self, payments: &[Payment], today: NaiveDate) -> i64 {
        if self.late_fee_bp_per_day <= 0 {
            return 0;
        }
        let mut fen_basis_points: i128 = 0;
        for (i, m) in self.milestones.iter().enumerate() {
            let mut day = match m.due_date.succ_opt() {
                Some(d) => d,
                None => continue,
            };
            while day <= today {
                let unpaid = self.unpaid_on(i, Self::paid_by(payments, day));
                if unpaid == 0 {
                    break;
                }
                fen_basis_points = fen_basis_points
                    .saturating_add(i128::from(unpaid) * i128::from(self.late_fee_bp_per_day));
                day = match day.succ_opt() {
                    Some(d) => d,
                    None => break,
                };
            }
        }
        i64::try_from(fen_basis_points / 10_000).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn list_price_whole_years_and_proration() {
        assert_eq!(
            list_price(298_000, d("2026-01-01"), d("2026-12-31")),
            Some(298_000)
        );
        assert_eq!(
            list_price(298_000, d("2026-03-15"), d("2028-03-14")),
            Some(596_000)
        );
        // One year and 30 days: 298,000 + 298,000 × 30 / 365 = 298,000 + 24,493.15… → 24,493.
        assert_eq!(
            list_price(298_000, d("2026-01-01"), d("2027-01-30")),
            Some(322_493)
        );
        // Half up: 1,000 × 73 / 365 = 200 exactly; 1,000 × 1 / 365 = 2.74 → 3.
        assert_eq!(
            list_price(1_000, d("2026-01-01"), d("2026-03-14")),
            Some(200)
        );
        assert_eq!(list_price(1_000, d("2026-01-01"), d("2026-01-01")), Some(3));
        // Leap day start: Feb 29 + 12 months = Feb 28 of the next year.
        assert_eq!(
            list_price(365_000, d("2028-02-29"), d("2029-02-27")),
            Some(365_000)
        );
        assert_eq!(list_price(1_000, d("2026-02-01"), d("2026-01-31")), None);
    }

    fn terms() -> ContractTerms {
        ContractTerms {
            amount_fen: 100_000,
            milestones: vec![
                Milestone {
                    amount_fen: 50_000,
                    due_date: d("2026-01-10"),
                },
                Milestone {
                    amount_fen: 40_000,
                    due_date: d("2026-02-10"),
                },
                Milestone {
                    amount_fen: 10_000,
                    due_date: d("2026-03-10"),
                },
            ],
            late_fee_bp_per_day: 5,
            overdue_tolerance_days: 7,
            activation_rule: ActivationRule::FirstMilestone,
        }
    }

    #[test]
    fn payments_cover_milestones_in_order() {
        let t = terms();
        let pays = vec![Payment {
            amount_fen: 60_000,
            paid_on: d("2026-01-05"),
        }];
        assert!(t.activation_met(&pays));
        assert_eq!(t.outstanding(&pays), 40_000);
        assert_eq!(
            t.next_due(&pays),
            Some(NextDue {
                index: 1,
                remaining_fen: 30_000,
                due_date: d("2026-02-10")
            })
        );
        let full = ContractTerms {
            activation_rule: ActivationRule::FullPayment,
            ..terms()
        };
        assert!(!full.activation_met(&pays));
        assert!(!t.activation_met(&[Payment {
            amount_fen: 49_999,
            paid_on: d("2026-01-05")
        }]));
    }

    #[test]
    fn overdue_only_beyond_the_tolerance() {
        let t = terms();
        assert!(
            !t.is_overdue(&[], d("2026-01-17")),
            "7 days late is within tolerance"
        );
        assert!(t.is_overdue(&[], d("2026-01-18")), "8 days late is overdue");
        let paid_late = vec![Payment {
            amount_fen: 50_000,
            paid_on: d("2026-01-20"),
        }];
        assert!(t.is_overdue(&paid_late, d("2026-01-19")));
        assert!(!t.is_overdue(&paid_late, d("2026-01-20")));
    }

    #[test]
    fn late_fee_worked_example_rounds_down_once() {
        // Milestone 1 (50,000 due 01-10): 4 days (01-11..01-14) at 50,000, then 20,000 paid
        // on 01-15 leaves 30,000 for 6 days (01-15..01-20).
        // (4 × 50,000 + 6 × 30,000) × 5 bp = 1,900,000 fen·bp → 190 fen.
        let t = terms();
        let pays = vec![Payment {
            amount_fen: 20_000,
            paid_on: d("2026-01-15"),
        }];
        assert_eq!(t.late_fee(&pays, d("2026-01-20")), 190);
        // 3 bp/day on 33,333 fen for 7 days = 699,993 fen·bp → 69.9993 → 69 fen.
        let odd = ContractTerms {
            amount_fen: 33_333,
            milestones: vec![Milestone {
                amount_fen: 33_333,
                due_date: d("2026-05-01"),
            }],
            late_fee_bp_per_day: 3,
            overdue_tolerance_days: 0,
            activation_rule: ActivationRule::FullPayment,
        };
        assert_eq!(odd.late_fee(&[], d("2026-05-08")), 69);
        assert_eq!(
            odd.late_fee(&[], d("2026-05-01")),
            0,
            "nothing accrues on the due date"
        );
        let paid = vec![Payment {
            amount_fen: 33_333,
            paid_on: d("2026-05-03"),
        }];
        // Unpaid on 05-02 only: 33,333 × 3 = 99,999 → 9 fen.
        assert_eq!(odd.late_fee(&paid, d("2026-05-20")), 9);
    }

    #[test]
    fn amounts_far_beyond_the_bounds_saturate_instead_of_wrapping() {
        // Inputs are refused above MAX_FEN; stored rows from before the bound, or a bug,
        // must still never turn a debt into a credit.
        let huge = ContractTerms {
            amount_fen: i64::MAX / 2,
            milestones: vec![Milestone {
                amount_fen: i64::MAX / 2,
                due_date: d("2026-01-01"),
            }],
            late_fee_bp_per_day: 10_000,
            overdue_tolerance_days: 0,
            activation_rule: ActivationRule::FullPayment,
        };
        assert_eq!(huge.late_fee(&[], d("2036-01-01")), i64::MAX);
        let pays = vec![
            Payment {
                amount_fen: i64::MAX,
                paid_on: d("2026-01-01"),
            };
            3
        ];
        assert_eq!(huge.outstanding(&pays), 0);
        assert_eq!(list_price(i64::MAX, d("2026-01-01"), d("2035-12-31")), None);
        // At the bound, ten years at 10,000 bp a day stay well inside i64.
        let bounded = ContractTerms {
            amount_fen: MAX_FEN,
            milestones: vec![Milestone {
                amount_fen: MAX_FEN,
                due_date: d("2026-01-01"),
            }],
            ..huge
        };
        assert_eq!(
            bounded.late_fee(&[], d("2026-01-11")),
            10 * MAX_FEN,
            "10 days at 100 % a day"
        );
        assert!(list_price(MAX_FEN, d("2026-01-01"), d("2035-12-31")).is_some());
    }
}
