//! Where the working-day calendar comes from: the arrangement shipped in the binary plus
//! the operator's optional file, re-read when it changes so a new State Council notice
//! takes effect on the next tick without a release.

use crate::domain::calendar::WorkdayCalendar;
use anyhow::Context;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// The calendar in effect and its source.
pub struct CalendarSource {
    file: Option<PathBuf>,
    current: RwLock<(Arc<WorkdayCalendar>, Option<String>)>,
}

impl CalendarSource {
    /// The shipped arrangement plus `file`. A configured file that is missing or invalid
    /// stops the start: deletions must never be computed on a calendar the operator did
    /// not intend.
    pub fn load(file: Option<PathBuf>) -> anyhow::Result<Self> {
        let source = Self {
            file,
            current: RwLock::new((Arc::new(WorkdayCalendar::embedded()), None)),
        };
        source.refresh()?;
        Ok(source)
    }

    /// The calendar in effect.
    pub fn current(&self) -> Arc<WorkdayCalendar> {
        self.current.read().expect("calendar lock").0.clone()
    }

    /// Re-reads the operator file; returns whether the calendar changed. An unreadable or
    /// invalid file keeps the calendar in effect and is reported as an error.
    pub fn refresh(&self) -> anyhow::Result<bool> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the calendar file {}", path.display()))?;
        if self.current.read().expect("calendar lock").1.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        let extra = WorkdayCalendar::parse(&text)
            .with_context(|| format!("calendar file {}", path.display()))?;
        let merged = WorkdayCalendar::embedded().merged_with(extra);
        tracing::info!(calendar = %merged, file = %path.display(), "working-day calendar loaded");
        *self.current.write().expect("calendar lock") = (Arc::new(merged), Some(text));
        Ok(true)
    }

    /// The last covered date and the days from `today` to it.
    pub fn coverage(&self, today: NaiveDate) -> Option<(NaiveDate, i64)> {
        self.current()
            .coverage_until()
            .map(|until| (until, (until - today).num_days()))
    }
}
