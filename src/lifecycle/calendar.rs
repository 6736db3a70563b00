//! Where the working-day calendar comes from, highest precedence first: the arrangement
//! shipped in the binary (the official notices), years agency admins added through the API
//! (`calendar_years`, re-read every tick so every instance applies a new year at its next
//! tick), and the operator's optional file (re-read when it changes). A new State Council
//! notice takes effect without a release or a restart.

use crate::domain::calendar::WorkdayCalendar;
use anyhow::Context;
use chrono::NaiveDate;
use entity::calendar_years;
use sea_orm::{DatabaseConnection, EntityTrait};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Where a year's arrangement comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum YearSource {
    /// Shipped in the binary.
    Embedded,
    /// Added through the API.
    Database,
    /// The operator's file (`lifecycle.calendar_file`).
    File,
}

#[derive(Default)]
struct Parts {
    /// The file's text and years, when configured and loaded.
    file: Option<(String, WorkdayCalendar)>,
    /// The database's years and their (year, revision) list, to notice a change.
    database: (WorkdayCalendar, Vec<(i32, i32)>),
}

/// The calendar in effect and its sources.
pub struct CalendarSource {
    file: Option<PathBuf>,
    embedded: WorkdayCalendar,
    parts: RwLock<Parts>,
    current: RwLock<Arc<WorkdayCalendar>>,
}

impl CalendarSource {
    /// The shipped arrangement plus `file`. A configured file that is missing or invalid
    /// stops the start: deletions must never be computed on a calendar the operator did
    /// not intend. Database years join with [`CalendarSource::refresh_database`].
    pub fn load(file: Option<PathBuf>) -> anyhow::Result<Self> {
        let embedded = WorkdayCalendar::embedded();
        let source = Self {
            file,
            current: RwLock::new(Arc::new(embedded.clone())),
            embedded,
            parts: RwLock::new(Parts::default()),
        };
        source.refresh()?;
        Ok(source)
    }

    /// The calendar in effect.
    pub fn current(&self) -> Arc<WorkdayCalendar> {
        self.current.read().expect("calendar lock").clone()
    }

    /// Where `year`'s arrangement in effect comes from.
    pub fn source_of(&self, year: i32) -> Option<YearSource> {
        if self.embedded.has_year(year) {
            return Some(YearSource::Embedded);
        }
        let parts = self.parts.read().expect("calendar lock");
        if parts.database.0.has_year(year) {
            Some(YearSource::Database)
        } else if parts.file.as_ref().is_some_and(|(_, f)| f.has_year(year)) {
            Some(YearSource::File)
        } else {
            None
        }
    }

    /// Whether the binary ships `year` (such a year cannot be replaced through the API).
    pub fn ships(&self, year: i32) -> bool {
        self.embedded.has_year(year)
    }

    /// Re-reads the operator file; returns whether the calendar changed. An unreadable or
    /// invalid file keeps the calendar in effect and is reported as an error.
    pub fn refresh(&self) -> anyhow::Result<bool> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the calendar file {}", path.display()))?;
        {
            let parts = self.parts.read().expect("calendar lock");
            if parts.file.as_ref().map(|(t, _)| t.as_str()) == Some(text.as_str()) {
                return Ok(false);
            }
        }
        let extra = WorkdayCalendar::parse(&text)
            .with_context(|| format!("calendar file {}", path.display()))?;
        self.parts.write().expect("calendar lock").file = Some((text, extra));
        let merged = self.compose();
        tracing::info!(calendar = %merged, file = %path.display(), "working-day calendar loaded");
        Ok(true)
    }

    /// Re-reads the years added through the API; returns whether the calendar changed.
    pub async fn refresh_database(&self, db: &DatabaseConnection) -> anyhow::Result<bool> {
        let mut rows = calendar_years::Entity::find().all(db).await?;
        rows.sort_by_key(|r| r.year);
        let stamp: Vec<(i32, i32)> = rows.iter().map(|r| (r.year, r.revision)).collect();
        if self.parts.read().expect("calendar lock").database.1 == stamp {
            return Ok(false);
        }
        let mut years = WorkdayCalendar::default();
        for row in &rows {
            let holidays: Vec<NaiveDate> = serde_json::from_value(row.holidays.clone())
                .with_context(|| format!("calendar_years {}: holidays", row.year))?;
            let workdays: Vec<NaiveDate> = serde_json::from_value(row.workdays.clone())
                .with_context(|| format!("calendar_years {}: workdays", row.year))?;
            let year = WorkdayCalendar::year(row.year, &holidays, &workdays).map_err(|f| {
                anyhow::anyhow!("calendar_years {}: {}: {}", row.year, f.field, f.reason.en)
            })?;
            years = years.merged_with(year);
        }
        self.parts.write().expect("calendar lock").database = (years, stamp);
        let merged = self.compose();
        tracing::info!(calendar = %merged, "working-day calendar: database years loaded");
        Ok(true)
    }

    /// File years, then database years over them, then the shipped years over both.
    fn compose(&self) -> Arc<WorkdayCalendar> {
        let parts = self.parts.read().expect("calendar lock");
        let mut merged = parts
            .file
            .as_ref()
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        merged = merged.merged_with(parts.database.0.clone());
        merged = merged.merged_with(self.embedded.clone());
        let merged = Arc::new(merged);
        *self.current.write().expect("calendar lock") = merged.clone();
        merged
    }

    /// The last covered date and the days from `today` to it.
    pub fn coverage(&self, today: NaiveDate) -> Option<(NaiveDate, i64)> {
        self.current()
            .coverage_until()
            .map(|until| (until, (until - today).num_days()))
    }
}
