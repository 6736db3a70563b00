//! The subscription term's instants (SPEC §2.6–§2.8), all in Asia/Shanghai: reminders at
//! 10:00, 30 and 7 days before the end date; freeze at 00:00 after it; deletion at 00:00
//! after the 10th working day following the closure date.

use super::calendar::{OutsideCoverage, WorkdayCalendar};
use super::time::shanghai_midnight;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Working days of the grace period between freeze and deletion.
pub const GRACE_WORKDAYS: u32 = 10;

/// Days before the end date on which the renewal reminders go out, latest last.
pub const REMINDER_OFFSETS: [i32; 2] = [30, 7];

/// Hour of the day (Asia/Shanghai) at which reminders go out.
pub const REMINDER_HOUR: i64 = 10;

/// The closure date C: the first day of the freeze, the day after the end date.
pub fn closure_date(end_date: NaiveDate) -> NaiveDate {
    end_date + Duration::days(1)
}

/// `frozen_at`: 00:00 Asia/Shanghai of the closure date.
pub fn freeze_instant(end_date: NaiveDate) -> DateTime<Utc> {
    shanghai_midnight(closure_date(end_date))
}

/// `delete_after`: 00:00 Asia/Shanghai of the day after the 10th working day after C (the
/// first day is not counted; the period ends at the end of its last day).
pub fn delete_after(
    calendar: &WorkdayCalendar,
    end_date: NaiveDate,
) -> Result<DateTime<Utc>, OutsideCoverage> {
    let last = calendar.add_workdays(closure_date(end_date), GRACE_WORKDAYS)?;
    Ok(shanghai_midnight(last + Duration::days(1)))
}

/// When the reminder `offset` days before `end_date` is due.
pub fn reminder_instant(end_date: NaiveDate, offset: i32) -> DateTime<Utc> {
    shanghai_midnight(end_date - Duration::days(offset as i64)) + Duration::hours(REMINDER_HOUR)
}

/// The reminder due at `now` for a term ending on `end_date`, if any: the latest offset
/// whose instant has passed while the term has not ended. An offset superseded by a later
/// one (the scheduler was down for weeks) is not sent late.
pub fn due_reminder(end_date: NaiveDate, now: DateTime<Utc>) -> Option<i32> {
    if now >= freeze_instant(end_date) {
        return None;
    }
    REMINDER_OFFSETS
        .into_iter()
        .rev()
        .find(|&offset| reminder_instant(end_date, offset) <= now)
}

/// The reminder to send for a contract made at `made_at`: [`due_reminder`], except an
/// offset whose instant had already passed when the contract was made (a tenant
/// provisioned 13 days before its end is not told "30 days"; it gets the 7-day one).
pub fn reminder_for_contract(
    end_date: NaiveDate,
    made_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<i32> {
    due_reminder(end_date, now).filter(|&offset| reminder_instant(end_date, offset) >= made_at)
}

/// Days from `today` to the end date (the term's last day), as a reminder states them.
pub fn days_left(end_date: NaiveDate, today: NaiveDate) -> i64 {
    (end_date - today).num_days()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_offset_passed_before_the_contract_was_made_is_skipped() {
        use super::*;
        let end: NaiveDate = "2026-12-26".parse().unwrap();
        let made = shanghai_midnight("2026-12-13".parse().unwrap());
        let at = |d: &str| shanghai_midnight(d.parse().unwrap()) + Duration::hours(12);
        assert_eq!(due_reminder(end, at("2026-12-14")), Some(30));
        assert_eq!(reminder_for_contract(end, made, at("2026-12-14")), None);
        assert_eq!(reminder_for_contract(end, made, at("2026-12-19")), Some(7));
        let long_ago = shanghai_midnight("2026-01-01".parse().unwrap());
        assert_eq!(
            reminder_for_contract(end, long_ago, at("2026-11-27")),
            Some(30)
        );
        assert_eq!(days_left(end, "2026-12-07".parse().unwrap()), 19);
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_spec_example() {
        let cal = WorkdayCalendar::embedded();
        let end = d("2026-02-13");
        assert_eq!(
            freeze_instant(end).to_rfc3339(),
            "2026-02-13T16:00:00+00:00"
        );
        assert_eq!(
            delete_after(&cal, end).unwrap().to_rfc3339(),
            "2026-03-06T16:00:00+00:00"
        );
        assert_eq!(
            reminder_instant(end, 30).to_rfc3339(),
            "2026-01-14T02:00:00+00:00"
        );
    }

    #[test]
    fn reminders_fall_due_in_order_and_stop_at_the_freeze() {
        let end = d("2026-02-13");
        assert_eq!(
            due_reminder(end, reminder_instant(end, 30) - Duration::minutes(1)),
            None
        );
        assert_eq!(due_reminder(end, reminder_instant(end, 30)), Some(30));
        assert_eq!(due_reminder(end, reminder_instant(end, 7)), Some(7));
        assert_eq!(due_reminder(end, freeze_instant(end)), None);
    }
}
