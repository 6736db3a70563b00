//! Named fault points for tests of atomicity ("fail right here"). Nothing arms them in
//! production; an unarmed check is one uncontended lock.

use crate::error::AppError;
use std::collections::HashSet;
use std::sync::Mutex;

/// Armed fault points.
#[derive(Default)]
pub struct FaultPoints {
    armed: Mutex<HashSet<&'static str>>,
}

impl FaultPoints {
    /// Makes the next `check(point)` fail (tests only).
    pub fn arm(&self, point: &'static str) {
        self.armed.lock().expect("fault lock").insert(point);
    }

    /// Fails with a 500 once if `point` is armed.
    pub fn check(&self, point: &'static str) -> Result<(), AppError> {
        if self.armed.lock().expect("fault lock").remove(point) {
            return Err(AppError::internal(anyhow::anyhow!(
                "injected fault at {point}"
            )));
        }
        Ok(())
    }
}
