//! Where a model is in its life: active, legacy, deprecated (with the date it retires) or
//! retired (with the date it did).
//!
//! The status is data as of the model table's `as_of` date, never computed from the clock
//! (SPEC section 7): a warning or a refusal never starts or stops on a date by itself, so no
//! behaviour and no test changes overnight. Updating the data is how a model retires.

use std::fmt;
use std::str::FromStr;

/// A calendar date as the model data writes it: `2026-11-30`.
///
/// ```
/// use visionprep_core::Date;
/// let d: Date = "2026-11-30".parse().unwrap();
/// assert_eq!((d.year(), d.month(), d.day()), (2026, 11, 30));
/// assert_eq!(d.to_string(), "2026-11-30");
/// assert!("2026-02-30".parse::<Date>().is_err());
/// assert!("2026-11-30".parse::<Date>().unwrap() < "2027-01-22".parse().unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// A text that is not a valid `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {0:?} (expected YYYY-MM-DD)")]
pub struct InvalidDate(pub String);

impl Date {
    /// A date, or `None` when the day does not exist (leap years included).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// The year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub const fn day(self) -> u8 {
        self.day
    }
}

impl FromStr for Date {
    type Err = InvalidDate;

    fn from_str(s: &str) -> Result<Date, InvalidDate> {
        let bad = || InvalidDate(s.to_owned());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, InvalidDate> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y, m as u8, d as u8).ok_or_else(bad)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A status and retirement date that do not make a [`Lifecycle`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidLifecycle(pub String);

/// A model's lifecycle status, as Anthropic's model pages and deprecations page give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "status", rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Lifecycle {
    /// Fully supported and recommended.
    #[default]
    Active,
    /// Still available and supported, no longer updated; a newer model is recommended.
    Legacy,
    /// Still answers requests, but retires on a set date.
    Deprecated {
        /// The day requests to it start failing.
        retires: Date,
    },
    /// Requests to it fail.
    Retired {
        /// The day it was retired.
        retired: Date,
    },
}

impl Lifecycle {
    /// `active`, `legacy`, `deprecated` or `retired`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Lifecycle::Active => "active",
            Lifecycle::Legacy => "legacy",
            Lifecycle::Deprecated { .. } => "deprecated",
            Lifecycle::Retired { .. } => "retired",
        }
    }

    /// The retirement date: to come (deprecated) or past (retired).
    pub const fn retirement(&self) -> Option<Date> {
        match *self {
            Lifecycle::Deprecated { retires } => Some(retires),
            Lifecycle::Retired { retired } => Some(retired),
            Lifecycle::Active | Lifecycle::Legacy => None,
        }
    }

    /// Whether the API still answers requests to the model (active, legacy or deprecated).
    pub const fn is_available(&self) -> bool {
        !matches!(self, Lifecycle::Retired { .. })
    }

    /// Whether the model is recommended for new work: active or legacy, not on its way out.
    pub const fn is_current(&self) -> bool {
        matches!(self, Lifecycle::Active | Lifecycle::Legacy)
    }

    /// The status from its name and, for `deprecated` and `retired`, its date.
    pub fn from_parts(
        status: &str,
        retirement: Option<Date>,
    ) -> Result<Lifecycle, InvalidLifecycle> {
        match (status, retirement) {
            ("active", None) => Ok(Lifecycle::Active),
            ("legacy", None) => Ok(Lifecycle::Legacy),
            ("deprecated", Some(retires)) => Ok(Lifecycle::Deprecated { retires }),
            ("retired", Some(retired)) => Ok(Lifecycle::Retired { retired }),
            ("active" | "legacy", Some(_)) => Err(InvalidLifecycle(format!(
                "status {status:?} takes no retirement date"
            ))),
            ("deprecated" | "retired", None) => Err(InvalidLifecycle(format!(
                "status {status:?} needs its retirement date"
            ))),
            _ => Err(InvalidLifecycle(format!(
                "unknown status {status:?} (expected active, legacy, deprecated or retired)"
            ))),
        }
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lifecycle::Deprecated { retires } => write!(f, "deprecated, retires {retires}"),
            Lifecycle::Retired { retired } => write!(f, "retired {retired}"),
            other => f.write_str(other.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2026, 2, 29).is_none());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2026, 13, 1).is_none());
        assert!(Date::new(2026, 4, 31).is_none());
        for bad in [
            "",
            "2026-1-01",
            "2026/11/30",
            "+026-11-30",
            "2026-11-3x",
            "20261130",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(
            "0999-01-09".parse::<Date>().unwrap().to_string(),
            "0999-01-09"
        );
    }

    #[test]
    fn statuses() {
        let d = Date::new(2026, 11, 30);
        assert_eq!(Lifecycle::from_parts("active", None), Ok(Lifecycle::Active));
        assert!(Lifecycle::from_parts("active", d).is_err());
        assert!(Lifecycle::from_parts("deprecated", None).is_err());
        assert!(Lifecycle::from_parts("sunset", None).is_err());
        let dep = Lifecycle::from_parts("deprecated", d).unwrap();
        assert!(dep.is_available() && !dep.is_current());
        assert_eq!(dep.to_string(), "deprecated, retires 2026-11-30");
        let ret = Lifecycle::from_parts("retired", d).unwrap();
        assert!(!ret.is_available());
        assert_eq!(ret.retirement(), d);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serialises_with_its_date() {
        let dep = Lifecycle::Deprecated {
            retires: Date::new(2026, 11, 30).unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&dep).unwrap(),
            r#"{"status":"deprecated","retires":"2026-11-30"}"#
        );
        assert_eq!(
            serde_json::to_string(&Lifecycle::Active).unwrap(),
            r#"{"status":"active"}"#
        );
    }
}
