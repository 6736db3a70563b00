//! Named fault points for tests of atomicity ("fail right here"). Nothing arms them in
//! production; an unarmed check is one uncontended lock.

use crate::error::AppError;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Armed fault points.
#[derive(Default)]
pub struct FaultPoints {
    armed: Mutex<HashSet<&'static str>>,
    pauses: Mutex<HashMap<&'static str, PausePoint>>,
    blocks: Mutex<HashMap<&'static str, BlockPoint>>,
}

/// A pause for code on a blocking thread: it stops there until the test releases it from
/// an async task, or for at most ten seconds. Whether the release came in time tells the
/// test that its task could run while the code was stopped, i.e. that the code was not on
/// the async worker the task needs.
#[derive(Clone, Default)]
pub struct BlockPoint {
    shared: Arc<(Mutex<BlockState>, Condvar)>,
}

#[derive(Default)]
struct BlockState {
    reached: bool,
    released: bool,
    released_in_time: bool,
}

impl BlockPoint {
    /// Whether the code got there.
    pub fn reached(&self) -> bool {
        self.shared.0.lock().expect("block lock").reached
    }

    /// Lets the code go on.
    pub fn release(&self) {
        self.shared.0.lock().expect("block lock").released = true;
        self.shared.1.notify_all();
    }

    /// Whether the release came while the code waited (rather than after its timeout).
    pub fn released_in_time(&self) -> bool {
        self.shared.0.lock().expect("block lock").released_in_time
    }

    fn wait(&self) {
        let (lock, condvar) = &*self.shared;
        let mut state = lock.lock().expect("block lock");
        state.reached = true;
        let (mut state, _) = condvar
            .wait_timeout_while(state, Duration::from_secs(10), |s| !s.released)
            .expect("block lock");
        state.released_in_time = state.released;
    }
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

    /// Makes the next `block(point)` stop its thread until released (tests only).
    pub fn arm_block(&self, point: &'static str) -> BlockPoint {
        let block = BlockPoint::default();
        self.blocks
            .lock()
            .expect("fault lock")
            .insert(point, block.clone());
        block
    }

    /// Blocks the calling thread here once if a block is armed at `point`.
    pub fn block(&self, point: &'static str) {
        let armed = self.blocks.lock().expect("fault lock").remove(point);
        if let Some(b) = armed {
            b.wait();
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
