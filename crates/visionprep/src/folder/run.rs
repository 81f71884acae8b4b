//! Whole runs over files and folders: the cost report ([`assess_folder`]) and the folder
//! budget, streaming their rows in input order to the caller, which renders them (the CLI as
//! a table, JSON or CSV; a binding as objects); and what every run shares: its options, its
//! errors and its steps.

use super::assess::{Assessor, Outcome};
use super::output::OutputFolderError;
use super::parallel::{PoolError, WorkerPanicked, in_order, pool};
use super::walk::walk;
use crate::report::FolderBudgetReport;
use std::ops::ControlFlow::Continue;
use std::path::PathBuf;
use visionprep_core::ErrorCode;
use visionprep_core::{Allowance, FileReport, SizeSet, Totals};

/// Files assessed per parallel batch by [`assess_folder`]: large enough to keep every core
/// busy, small enough that memory stays flat whatever the folder size.
const ASSESS_BATCH: usize = 2048;

/// Files in flight per worker thread in [`prepare_folder`](super::prepare_folder): outputs wait in temporary files
/// until every earlier file's is in place.
pub const WINDOW_PER_THREAD: usize = 4;

/// How a run walks and works. Plain data with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Worker threads. Default: one per core.
    pub jobs: Option<usize>,
    /// Also walk hidden files and folders. Default: no.
    pub hidden: bool,
    /// Prepare again even when the manifest records an up-to-date output. Default: no.
    pub force: bool,
    /// Delete outputs whose input is gone. Default: no (they are listed as orphaned).
    pub prune: bool,
}

/// Why a run could not start or went on no further.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The output folder overlaps an input or cannot be created.
    #[error(transparent)]
    OutputFolder(#[from] OutputFolderError),
    /// The worker threads could not be started.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A worker panicked (a bug).
    #[error(transparent)]
    Panicked(#[from] WorkerPanicked),
    /// The thread a run streams from could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The thread a run streams from ended without finishing (a bug).
    #[error("the run stopped before its end (an internal error)")]
    Stopped,
}

impl RunError {
    /// Its stable code: the output folder's, or `internal` (a worker pool or panic).
    pub fn code(&self) -> ErrorCode {
        match self {
            RunError::OutputFolder(e) => e.code(),
            _ => ErrorCode::Internal,
        }
    }
}

/// One step of a run, handed to the caller in input order.
#[derive(Debug)]
pub enum Step<'a, R> {
    /// A file's row.
    Row(&'a R),
    /// A file found in a folder that is not an image: passed over.
    Skipped,
}

/// Runs the cost report over `paths`: every file's header probed in parallel, each
/// [`FileReport`] handed to `on_step` in input order (memory stays flat on any folder size).
/// Returns the totals and how many folder entries were skipped as not images. `on_step`'s
/// error ends the run and is returned.
pub fn assess_folder<E: From<RunError>>(
    paths: &[PathBuf],
    assessor: &Assessor,
    run: &RunOptions,
    mut on_step: impl FnMut(Step<'_, FileReport>) -> Result<(), E>,
) -> Result<(Totals, u64), E> {
    let pool = pool(run.jobs).map_err(RunError::from)?;
    let mut totals = Totals::new(assessor.estimator.models());
    let mut skipped = 0u64;
    in_order::<_, _, E>(
        walk(paths, run.hidden),
        &pool,
        ASSESS_BATCH,
        || (),
        |(), item| assessor.assess(item),
        |_, outcome| {
            match outcome {
                Outcome::Report(report) => {
                    totals.add(&report);
                    on_step(Step::Row(&report))?;
                }
                Outcome::NotAnImage => {
                    skipped += 1;
                    on_step(Step::Skipped)?;
                }
            }
            Ok(Continue(()))
        },
    )?;
    Ok((totals, skipped))
}

/// The folder budget of the images under `paths` ([`FolderBudgetReport`]): their headers
/// probed as [`assess_folder`] does, only their sizes kept (8 bytes an image), the largest
/// per-image cap within `allowance` found per model. Files that cannot be read are left out.
pub fn budget_folder<E: From<RunError>>(
    paths: &[PathBuf],
    assessor: &Assessor,
    run: &RunOptions,
    allowance: Allowance,
) -> Result<FolderBudgetReport, E> {
    let mut sizes = Vec::new();
    assess_folder::<E>(paths, assessor, run, |step| {
        if let Step::Row(report) = step {
            sizes.extend(report.size());
        }
        Ok(())
    })?;
    Ok(FolderBudgetReport::new(
        &assessor.estimator,
        &SizeSet::new(sizes),
        allowance,
    ))
}
