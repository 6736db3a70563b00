//! The mainland-China working-day calendar (SPEC §2.8): weekends, the State Council's
//! holiday blocks and their weekend make-up working days (调休). The arrangement is known
//! only year by year, so every question about a date outside the covered years is an
//! error — never a Monday-to-Friday guess.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The arrangement shipped in the binary (built from the State Council notices).
pub const EMBEDDED_ARRANGEMENT: &str = include_str!("../../calendar/cn-workdays.json");

/// What kind of day a date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// Monday to Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not a make-up day or holiday.
    Weekend,
    /// Inside a statutory holiday block (weekend or not).
    Holiday,
    /// A weekend day that is a working day (调休).
    Makeup,
}

impl DayKind {
    /// Whether people work that day.
    pub fn is_workday(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::Makeup)
    }

    /// Spelling used by the `calendar days` command.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::Makeup => "makeup",
        }
    }
}

/// A date the calendar does not cover.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{date} is outside the working-day calendar (covered: {covered}); add the State Council arrangement for {year}"
)]
pub struct OutsideCoverage {
    /// The date asked about.
    pub date: NaiveDate,
    /// Its year, the one to add.
    pub year: i32,
    /// The covered span, for the message.
    pub covered: String,
}

/// Why one year's arrangement cannot be used, at the field (`holidays[3]`).
#[derive(Clone, Debug)]
pub struct YearFault {
    /// The offending entry.
    pub field: String,
    /// Why, in both languages.
    pub reason: crate::error::Localized,
}

impl YearFault {
    fn new(field: String, zh: String, en: String) -> Self {
        Self {
            field,
            reason: crate::error::Localized::new(zh, en),
        }
    }
}

/// A calendar file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CalendarFileError {
    /// Not JSON of the expected shape.
    #[error("calendar file is not valid: {0}")]
    Syntax(#[from] serde_json::Error),
    /// A fact that cannot be true.
    #[error("calendar file: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct ArrangementFile {
    years: BTreeMap<String, YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    holidays: Vec<NaiveDate>,
    workdays: Vec<NaiveDate>,
}

#[derive(Clone, Debug, Default)]
struct YearArrangement {
    holidays: BTreeSet<NaiveDate>,
    makeup: BTreeSet<NaiveDate>,
}

/// The covered years' arrangements. Coverage is the contiguous run of years starting at
/// the earliest one; a gap ends it.
#[derive(Clone, Debug, Default)]
pub struct WorkdayCalendar {
    years: BTreeMap<i32, YearArrangement>,
}

impl WorkdayCalendar {
    /// The arrangement shipped in the binary.
    pub fn embedded() -> Self {
        Self::parse(EMBEDDED_ARRANGEMENT).expect("the embedded calendar is valid")
    }

    /// Parses a file in the `cn-workdays.json` format: `{"years": {"2027": {"holidays":
    /// [...], "workdays": [...]}}}`, where `workdays` are the weekend make-up days.
    pub fn parse(text: &str) -> Result<Self, CalendarFileError> {
        let file: ArrangementFile = serde_json::from_str(text)?;
        let mut calendar = Self::default();
        for (year, facts) in file.years {
            let year: i32 = year
                .parse()
                .map_err(|_| CalendarFileError::Invalid(format!("`{year}` is not a year")))?;
            let one = Self::year(year, &facts.holidays, &facts.workdays).map_err(|f| {
                CalendarFileError::Invalid(format!("{year}: {}: {}", f.field, f.reason.en))
            })?;
            calendar.years.extend(one.years);
        }
        Ok(calendar)
    }

    /// One year's arrangement from its holidays and weekend make-up working days: every
    /// date inside `year`, make-up days on a Saturday or Sunday, no date in both lists.
    pub fn year(
        year: i32,
        holidays: &[NaiveDate],
        workdays: &[NaiveDate],
    ) -> Result<Self, YearFault> {
        let mut arrangement = YearArrangement::default();
        for (i, d) in holidays.iter().enumerate() {
            if d.year() != year {
                return Err(YearFault::new(
                    format!("holidays[{i}]"),
                    format!("{d} 不在 {year} 年内"),
                    format!("{d} is not in {year}"),
                ));
            }
            arrangement.holidays.insert(*d);
        }
        for (i, d) in workdays.iter().enumerate() {
            if d.year() != year {
                return Err(YearFault::new(
                    format!("workdays[{i}]"),
                    format!("{d} 不在 {year} 年内"),
                    format!("{d} is not in {year}"),
                ));
            }
            if !is_weekend(*d) {
                return Err(YearFault::new(
                    format!("workdays[{i}]"),
                    format!("调休上班日 {d} 须为周六或周日"),
                    format!("make-up day {d} is not a Saturday or Sunday"),
                ));
            }
            if arrangement.holidays.contains(d) {
                return Err(YearFault::new(
                    format!("workdays[{i}]"),
                    format!("{d} 同时列为假日和调休上班日"),
                    format!("{d} is both a holiday and a make-up day"),
                ));
            }
            arrangement.makeup.insert(*d);
        }
        Ok(Self {
            years: BTreeMap::from([(year, arrangement)]),
        })
    }

    /// The years this calendar has an arrangement for.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether it has `year`'s arrangement.
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// A year's holidays and make-up working days, sorted.
    pub fn year_lists(&self, year: i32) -> Option<(Vec<NaiveDate>, Vec<NaiveDate>)> {
        self.years.get(&year).map(|a| {
            (
                a.holidays.iter().copied().collect(),
                a.makeup.iter().copied().collect(),
            )
        })
    }

    /// This calendar with `other`'s years added; a year in both is taken from `other`
    /// (an operator file may correct a shipped year).
    pub fn merged_with(mut self, other: WorkdayCalendar) -> Self {
        self.years.extend(other.years);
        self
    }

    /// First and last covered date, or `None` for an empty calendar.
    pub fn coverage(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = *self.years.keys().next()?;
        let mut last = first;
        while self.years.contains_key(&(last + 1)) {
            last += 1;
        }
        Some((
            NaiveDate::from_ymd_opt(first, 1, 1)?,
            NaiveDate::from_ymd_opt(last, 12, 31)?,
        ))
    }

    /// The last covered date.
    pub fn coverage_until(&self) -> Option<NaiveDate> {
        self.coverage().map(|(_, until)| until)
    }

    fn covered_text(&self) -> String {
        match self.coverage() {
            Some((from, until)) => format!("{from} to {until}"),
            None => "nothing".into(),
        }
    }

    /// What kind of day `date` is.
    pub fn kind(&self, date: NaiveDate) -> Result<DayKind, OutsideCoverage> {
        let covered = self
            .coverage()
            .is_some_and(|(from, until)| from <= date && date <= until);
        let arrangement = self.years.get(&date.year()).filter(|_| covered);
        let Some(arrangement) = arrangement else {
            return Err(OutsideCoverage {
                date,
                year: date.year(),
                covered: self.covered_text(),
            });
        };
        Ok(if arrangement.holidays.contains(&date) {
            DayKind::Holiday
        } else if arrangement.makeup.contains(&date) {
            DayKind::Makeup
        } else if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        })
    }

    /// Whether `date` is a working day.
    pub fn is_workday(&self, date: NaiveDate) -> Result<bool, OutsideCoverage> {
        Ok(self.kind(date)?.is_workday())
    }

    /// The `n`-th working day strictly after `date` (`n` ≥ 1; 0 answers `date`).
    pub fn add_workdays(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, OutsideCoverage> {
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            day = day.succ_opt().ok_or_else(|| OutsideCoverage {
                date: day,
                year: day.year(),
                covered: self.covered_text(),
            })?;
            if self.is_workday(day)? {
                counted += 1;
            }
        }
        Ok(day)
    }

    /// Working days in `year`, or an error if the year is not covered.
    pub fn workdays_in_year(&self, year: i32) -> Result<u32, OutsideCoverage> {
        let mut day = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        let mut count = 0;
        while day.year() == year {
            if self.is_workday(day)? {
                count += 1;
            }
            day = day.succ_opt().expect("not the end of time");
        }
        Ok(count)
    }
}

impl fmt::Display for WorkdayCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "working-day calendar covering {}", self.covered_text())
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ten_working_days_after_known_dates() {
        let cal = WorkdayCalendar::embedded();
        for (from, expected) in [
            ("2025-09-26", "2025-10-16"),
            ("2026-02-13", "2026-03-05"),
            ("2025-12-31", "2026-01-15"),
            ("2025-10-01", "2025-10-21"),
            ("2026-02-14", "2026-03-06"),
        ] {
            assert_eq!(
                cal.add_workdays(d(from), 10).unwrap(),
                d(expected),
                "{from}"
            );
        }
    }

    #[test]
    fn working_days_per_year_match_the_notices() {
        let cal = WorkdayCalendar::embedded();
        for (year, expected) in [
            (2020, 249),
            (2021, 250),
            (2022, 249),
            (2023, 249),
            (2024, 251),
            (2025, 248),
            (2026, 248),
        ] {
            assert_eq!(cal.workdays_in_year(year).unwrap(), expected, "{year}");
        }
    }

    #[test]
    fn an_uncovered_year_is_an_error_not_a_guess() {
        let cal = WorkdayCalendar::embedded();
        let err = cal.add_workdays(d("2026-12-25"), 10).unwrap_err();
        assert_eq!(err.year, 2027);
        assert!(cal.is_workday(d("2019-12-31")).is_err());
        assert_eq!(cal.coverage_until(), Some(d("2026-12-31")));
    }

    #[test]
    fn day_kinds_and_operator_years() {
        let cal = WorkdayCalendar::embedded();
        assert_eq!(cal.kind(d("2026-02-15")).unwrap(), DayKind::Holiday); // Sunday in the block
        assert_eq!(cal.kind(d("2026-02-14")).unwrap(), DayKind::Makeup);
        assert_eq!(cal.kind(d("2026-03-07")).unwrap(), DayKind::Weekend);
        assert_eq!(cal.kind(d("2026-03-06")).unwrap(), DayKind::Workday);
        let extra = WorkdayCalendar::parse(
            r#"{"years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}}"#,
        )
        .unwrap();
        let cal = cal.merged_with(extra);
        assert_eq!(cal.coverage_until(), Some(d("2027-12-31")));
        assert_eq!(
            cal.add_workdays(d("2026-12-25"), 10).unwrap(),
            d("2027-01-11")
        );
        // A make-up day on a weekday is a wrong file, refused.
        assert!(
            WorkdayCalendar::parse(
                r#"{"years": {"2027": {"holidays": [], "workdays": ["2027-01-04"]}}}"#
            )
            .is_err()
        );
    }
}
