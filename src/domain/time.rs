//! Calendar facts in Asia/Shanghai, where contract dates live.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

/// The Asia/Shanghai calendar date of an instant.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// 00:00 Asia/Shanghai of `date`, as UTC (China has no daylight saving time).
pub fn shanghai_midnight(date: NaiveDate) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("Asia/Shanghai has no DST gaps")
        .with_timezone(&Utc)
}

/// An instant as people in China read it: `2026-02-14 00:00`.
pub fn shanghai_display(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        assert_eq!(
            shanghai_midnight(d).to_rfc3339(),
            "2026-02-13T16:00:00+00:00"
        );
        assert_eq!(shanghai_date(shanghai_midnight(d)), d);
        assert_eq!(
            shanghai_date(shanghai_midnight(d) - chrono::Duration::seconds(1)),
            d.pred_opt().unwrap()
        );
    }
}
