//! How long a (username, client IP) pair must wait after its n-th consecutive failed login.

use chrono::Duration;

/// The wait imposed after `failures` consecutive failures: none for the first two, then
/// 1 s, 5 s, and 15 minutes at the fifth; every further failure doubles it, up to a day.
/// The counter resets on a successful login or after a day without failures.
pub fn lockout_after(failures: i32) -> Option<Duration> {
    match failures {
        i32::MIN..=2 => None,
        3 => Some(Duration::seconds(1)),
        4 => Some(Duration::seconds(5)),
        n => {
            let doublings = (n - 5).min(10) as u32;
            let minutes = 15i64 << doublings;
            Some(Duration::minutes(minutes.min(24 * 60)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_grows_to_fifteen_minutes_at_five_and_caps_at_a_day() {
        assert_eq!(lockout_after(1), None);
        assert_eq!(lockout_after(2), None);
        assert_eq!(lockout_after(3), Some(Duration::seconds(1)));
        assert_eq!(lockout_after(4), Some(Duration::seconds(5)));
        assert_eq!(lockout_after(5), Some(Duration::minutes(15)));
        assert_eq!(lockout_after(6), Some(Duration::minutes(30)));
        assert_eq!(lockout_after(50), Some(Duration::hours(24)));
    }
}
