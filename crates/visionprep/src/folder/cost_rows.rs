//! The cost report as an iterator: for callers that pull rows (a Python `for` loop, a
//! generator) rather than take them in a callback. The walk runs on a thread of its own,
//! [`assess_folder`] exactly, and hands the rows over a bounded channel, in input order.

use super::assess::Assessor;
use super::run::{RunError, RunOptions, Step, assess_folder};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use visionprep_core::{FileReport, Totals};

/// Rows held ahead of the reader at most: memory stays flat however slow the reader is.
const AHEAD: usize = 256;

enum Message {
    Row(Box<FileReport>),
    Done(Box<Totals>, u64),
    Failed(RunError),
}

/// The rows of a cost report over files and folders, in input order, as they are ready.
/// After the last row, [`CostRows::totals`] gives the report's totals. Dropping it before the
/// end stops the walk.
///
/// ```no_run
/// use visionprep::folder::{Assessor, CostRows, RunOptions};
/// use visionprep::Settings;
///
/// let run = Settings::default().resolve()?;
/// let mut rows = CostRows::start(vec!["photos".into()], run.assessor(), RunOptions::default())?;
/// for row in rows.by_ref() {
///     let row = row?;
/// println!("{}: {:?}", row.path, row.models.0.first().map(|(_, m)| m.tokens));
/// }
/// let (totals, skipped) = rows.totals().expect("read to the end");
/// println!("{} images, {skipped} passed over", totals.images);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CostRows {
    rows: Receiver<Message>,
    totals: Option<(Totals, u64)>,
    finished: bool,
}

impl std::fmt::Debug for CostRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CostRows")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl CostRows {
    /// Starts the walk of `paths` on a thread of its own.
    pub fn start(
        paths: Vec<PathBuf>,
        assessor: Assessor,
        run: RunOptions,
    ) -> Result<CostRows, RunError> {
        let (tx, rx) = sync_channel::<Message>(AHEAD);
        std::thread::Builder::new()
            .name("visionprep-cost".into())
            .spawn(move || walk(&paths, &assessor, &run, &tx))
            .map_err(RunError::Thread)?;
        Ok(CostRows {
            rows: rx,
            totals: None,
            finished: false,
        })
    }

    /// The totals and the count of folder entries passed over, once every row was read;
    /// `None` before.
    pub fn totals(&self) -> Option<(&Totals, u64)> {
        self.totals.as_ref().map(|(t, s)| (t, *s))
    }
}

/// Why the walk stopped early: the reader went away, or the run itself failed.
enum Stop {
    Gone,
    Run(RunError),
}

impl From<RunError> for Stop {
    fn from(e: RunError) -> Self {
        Stop::Run(e)
    }
}

fn walk(paths: &[PathBuf], assessor: &Assessor, run: &RunOptions, tx: &SyncSender<Message>) {
    let result = assess_folder::<Stop>(paths, assessor, run, |step| match step {
        // A send fails only when the reader has gone: the walk ends there.
        Step::Row(report) => tx
            .send(Message::Row(Box::new(report.clone())))
            .map_err(|_| Stop::Gone),
        Step::Skipped => Ok(()),
    });
    let last = match result {
        Ok((totals, skipped)) => Message::Done(Box::new(totals), skipped),
        Err(Stop::Run(e)) => Message::Failed(e),
        Err(Stop::Gone) => return,
    };
    // The reader may have gone meanwhile: nobody is left to tell.
    let _ = tx.send(last);
}

impl Iterator for CostRows {
    type Item = Result<FileReport, RunError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.rows.recv() {
            Ok(Message::Row(row)) => Some(Ok(*row)),
            Ok(Message::Done(totals, skipped)) => {
                self.finished = true;
                self.totals = Some((*totals, skipped));
                None
            }
            Ok(Message::Failed(e)) => {
                self.finished = true;
                Some(Err(e))
            }
            Err(_) => {
                self.finished = true;
                Some(Err(RunError::Stopped))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    fn examples() -> Vec<PathBuf> {
        vec![PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/images"
        ))]
    }

    #[test]
    fn the_rows_and_totals_are_the_callback_runs() {
        let run = Settings::default().resolve().unwrap();
        let options = RunOptions::default();
        let mut expected = Vec::new();
        let (totals, skipped) =
            assess_folder::<RunError>(&examples(), &run.assessor(), &options, |step| {
                if let Step::Row(r) = step {
                    expected.push(r.clone());
                }
                Ok(())
            })
            .unwrap();
        let mut rows = CostRows::start(examples(), run.assessor(), options).unwrap();
        assert!(rows.totals().is_none());
        let got: Vec<FileReport> = rows.by_ref().map(Result::unwrap).collect();
        assert_eq!(got, expected);
        assert!(!got.is_empty());
        assert_eq!(rows.totals(), Some((&totals, skipped)));
        assert!(rows.next().is_none());
    }

    #[test]
    fn dropping_the_rows_stops_the_walk() {
        let run = Settings::default().resolve().unwrap();
        let mut rows = CostRows::start(examples(), run.assessor(), RunOptions::default()).unwrap();
        assert!(rows.next().is_some());
        drop(rows);
    }
}
