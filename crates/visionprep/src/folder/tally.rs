//! A cost report filled one file at a time, for files that are not in a folder the library
//! walks: uploads, a browser's picked files, bytes from a queue. The rows and totals are those
//! of `visionprep cost --format json` with the same settings.

use super::{Assessor, Outcome, error_report};
use crate::Resolved;
use crate::probe::{ByteRange, Pieces};
use crate::report::{CostTotals, model_status};
use serde::Serialize;
use visionprep_core::{FileReport, ModelMap, ModelStatus, PathText, Totals};

/// The heading of a JSON cost report: the token rule, the model data's date and each
/// model's lifecycle.
#[derive(Debug, Clone, Serialize)]
pub struct CostHeader {
    /// The token rule the estimates use.
    pub token_rule: &'static str,
    /// The date of the model data.
    pub prices_as_of: String,
    /// Each chosen model's lifecycle.
    pub model_status: ModelMap<ModelStatus>,
}

/// A cost report being filled file by file.
///
/// ```
/// let run = visionprep::Settings::default().resolve()?;
/// let mut tally = visionprep::folder::CostTally::new(&run);
/// let row = tally.add_bytes("notes.txt", b"hello", true);
/// assert!(row.is_none()); // a found file that is not an image is passed over
/// assert_eq!(tally.totals().skipped, 1);
/// # Ok::<(), visionprep::SettingsError>(())
/// ```
#[derive(Debug)]
pub struct CostTally {
    assessor: Assessor,
    totals: Totals,
    skipped: u64,
    header: CostHeader,
}

impl CostTally {
    /// An empty report for the settings `run`.
    pub fn new(run: &Resolved) -> CostTally {
        let assessor = run.assessor();
        let header = CostHeader {
            token_rule: assessor.estimator.rule.as_str(),
            prices_as_of: run.table.as_of().to_owned(),
            model_status: model_status(&assessor.estimator),
        };
        CostTally {
            totals: Totals::new(&run.models),
            assessor,
            skipped: 0,
            header,
        }
    }

    /// The report's heading.
    pub fn header(&self) -> &CostHeader {
        &self.header
    }

    /// Adds one file from the pieces read so far: its row, `None` for a non-image `found`
    /// in a folder (counted as skipped), or the byte range to read next (nothing is counted
    /// then).
    pub fn add_pieces(
        &mut self,
        name: &str,
        pieces: &Pieces,
        found: bool,
    ) -> Result<Option<FileReport>, ByteRange> {
        let outcome = self.assessor.assess_pieces(name, pieces, found)?;
        Ok(self.count(outcome))
    }

    /// [`CostTally::add_pieces`] for a whole file's bytes.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8], found: bool) -> Option<FileReport> {
        let outcome = if found {
            self.assessor.assess_found_bytes(name, bytes)
        } else {
            Outcome::Report(self.assessor.assess_bytes(name, bytes))
        };
        self.count(outcome)
    }

    /// Adds a file that could not be read at all (refused by the browser, vanished): an
    /// `unreadable` row of `bytes` bytes, counted as an error as `cost` counts one.
    pub fn unreadable(&mut self, name: &str, bytes: u64, message: &str) -> FileReport {
        // The library's own read error, so the row's code and words are `cost`'s.
        let e = crate::Error::Io(std::io::Error::other(message.to_owned()));
        let path = PathText {
            text: name.to_owned(),
            escaped: false,
        };
        let row = error_report(path, bytes, None, e.code(), e.to_string());
        self.totals.add(&row);
        row
    }

    /// The totals so far, as the JSON report's `totals`.
    pub fn totals(&self) -> CostTotals<'_> {
        CostTotals {
            totals: &self.totals,
            skipped: self.skipped,
        }
    }

    fn count(&mut self, outcome: Outcome) -> Option<FileReport> {
        match outcome {
            Outcome::NotAnImage => {
                self.skipped += 1;
                None
            }
            Outcome::Report(row) => {
                self.totals.add(&row);
                Some(row)
            }
        }
    }
}
