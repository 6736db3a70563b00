//! The one source of "now". Every time-dependent rule takes it from a [`Clock`], so tests
//! can move time without sleeping.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Wall-clock time, optionally shifted by a settable offset (tests only).
///
/// A settable clock keeps flowing with real time after it is set: leases, backoff and
/// timeouts keep working while a test jumps to a given instant.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Offset from the system clock in microseconds; `None` for the production clock.
    offset_micros: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock; `set` and `advance` panic on it.
    pub fn system() -> Self {
        Self {
            offset_micros: None,
        }
    }

    /// A clock that starts at system time and can be set or advanced.
    pub fn settable() -> Self {
        Self {
            offset_micros: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        let real = Utc::now();
        match &self.offset_micros {
            None => real,
            Some(offset) => real + Duration::microseconds(offset.load(Ordering::Relaxed)),
        }
    }

    /// Makes `now()` return `at` from this moment on (time keeps flowing from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = self.settable_offset();
        let delta = at - Utc::now();
        offset.store(
            delta.num_microseconds().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Moves the clock forward (or backward, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let offset = self.settable_offset();
        offset.fetch_add(by.num_microseconds().unwrap_or(0), Ordering::Relaxed);
    }

    fn settable_offset(&self) -> &AtomicI64 {
        self.offset_micros
            .as_deref()
            .expect("the system clock cannot be set; build the app with Clock::settable()")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn settable_clock_jumps_and_keeps_flowing() {
        let clock = Clock::settable();
        let target = Utc.with_ymd_and_hms(2026, 2, 13, 16, 0, 0).unwrap();
        clock.set(target);
        let now = clock.now();
        assert!(now >= target && now - target < Duration::seconds(1));
        clock.advance(Duration::days(1));
        assert!(clock.now() - target >= Duration::days(1));
    }
}
