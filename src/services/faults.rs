//! Named fault points for tests of atomicity ("fail right here"). Nothing arms them in
//! production; an unarmed check is one uncontended lock.

use crate::error::AppError;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Armed fault points.
#[derive(Default)]
pub struct FaultPoints {
    armed: Mutex<HashSet<&'static str>>,
    pauses: Mutex<HashMap<&'static str, PausePoint>>,
}

/// A pause armed at a point: the code signals `reached` and waits for `release`.
#[derive(Clone, Default)]
pub struct PausePoint {
    /// Notified when the code gets there.
    pub reached: Arc<Notify>,
    /// Notify to let it go on.
    pub release: Arc<Notify>,
}

impl FaultPoints {
    /// Makes the next `check(point)` fail (tests only).
    pub fn arm(&self, point: &'static str) {
        self.armed.lock().expect("fault lock").insert(point);
    }

    /// Makes the next `pause(point)` stop until released (tests stage races with it).
    pub fn arm_pause(&self, point: &'static str) -> PausePoint {
        let pause = PausePoint::default();
        self.pauses
            .lock()
            .expect("fault lock")
            .insert(point, pause.clone());
        pause
    }

    /// Waits here once if a pause is armed at `point`.
    pub async fn pause(&self, point: &'static str) {
        let armed = self.pauses.lock().expect("fault lock").remove(point);
        if let Some(p) = armed {
            p.reached.notify_one();
            p.release.notified().await;
        }
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
