//! Whole runs over files and folders: the cost report ([`assess_folder`]) and preparation into
//! an output folder ([`prepare_folder`]), each streaming its rows in input order to the
//! caller, which renders them (the CLI as a table, JSON or CSV; a binding as objects).

use super::assess::{Assessor, Outcome};
use super::manifest::{Entry, Freshness, Manifest, Namer, OutputKey, stamp};
use super::output::{
    OutputFolderError, is_disk_full, output_folder, remove_stale_temps, write_temp,
};
use super::parallel::{PoolError, WorkerPanicked, in_order, pool, streamed};
use super::walk::{Item, path_text, walk};
use crate::prepare::{PrepareOptions, Prepared, Preparer};
use std::ops::ControlFlow::{Break, Continue};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;
use visionprep_core::{ErrorCode, FileReport, ModelStatus, ReportError, Totals, Usd};

/// Files assessed per parallel batch by [`assess_folder`]: large enough to keep every core
/// busy, small enough that memory stays flat whatever the folder size.
const ASSESS_BATCH: usize = 2048;

/// Files in flight per worker thread in [`prepare_folder`]: outputs wait in temporary files
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

/// One line of a prepare report: the cost fields of the input and what was written. Its JSON
/// form is the `files` entries of `visionprep prepare --format json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct PrepareRow {
    /// The input's cost report (with its error when it failed).
    #[serde(flatten)]
    pub input: FileReport,
    /// The output's path (escaped when not UTF-8, see `output_path_escaped`).
    pub output_path: Option<String>,
    /// Whether `output_path` is escaped (a name that is not UTF-8, see `PathText`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub output_path_escaped: bool,
    /// The output's size in bytes.
    pub output_bytes: Option<u64>,
    /// The output's media type (unknown for an output kept from an earlier run).
    pub output_media_type: Option<&'static str>,
    /// The output's width.
    pub output_width: Option<u32>,
    /// The output's height.
    pub output_height: Option<u32>,
    /// Tokens the output costs.
    pub output_tokens: Option<u64>,
    /// What those tokens cost.
    pub output_usd: Option<Usd>,
    /// What was done (`resized`, `reencoded`, ...; `up-to-date`; `stale: tier changed`).
    pub actions: Vec<&'static str>,
}

impl PrepareRow {
    fn plain(input: FileReport) -> PrepareRow {
        PrepareRow {
            input,
            output_path: None,
            output_path_escaped: false,
            output_bytes: None,
            output_media_type: None,
            output_width: None,
            output_height: None,
            output_tokens: None,
            output_usd: None,
            actions: Vec::new(),
        }
    }

    fn written(input: FileReport, p: &Prepared, target: &Path) -> PrepareRow {
        let text = path_text(target);
        PrepareRow {
            output_path: Some(text.text),
            output_path_escaped: text.escaped,
            output_bytes: Some(p.bytes.len() as u64),
            output_media_type: Some(p.media_type.as_str()),
            output_width: Some(p.output_size.width),
            output_height: Some(p.output_size.height),
            output_tokens: Some(p.tokens),
            output_usd: Some(p.usd),
            actions: p.actions.names(),
            ..PrepareRow::plain(input)
        }
    }
}

/// The totals of a prepare run: the `totals` of `visionprep prepare --format json`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct PrepareTotals {
    /// Files reported (skipped non-images not counted).
    pub files: u64,
    /// Outputs written.
    pub prepared: u64,
    /// Outputs kept from an earlier run.
    pub up_to_date: u64,
    /// Files that failed.
    pub errors: u64,
    /// Non-images passed over in folders.
    pub skipped: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes of the outputs (written or kept).
    pub bytes_out: u64,
    /// The model the outputs are for.
    pub model: String,
    /// Its lifecycle.
    pub model_status: Option<ModelStatus>,
    /// Outputs whose input is gone (kept unless pruned).
    pub orphaned: u64,
    /// Tokens of the inputs as they were.
    pub tokens_as_is: u64,
    /// What those would cost.
    pub usd_as_is: Usd,
    /// Tokens of the outputs.
    pub tokens: u64,
    /// What those cost.
    pub usd: Usd,
}

/// An output whose input is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The input, as the manifest recorded it.
    pub input: String,
    /// The output's path.
    pub output: PathBuf,
    /// Whether it was deleted (`prune`).
    pub pruned: bool,
}

/// What a prepare run did, beyond its rows.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PrepareSummary {
    /// The totals.
    pub totals: PrepareTotals,
    /// Outputs whose input is gone, pruned or not.
    pub orphans: Vec<Orphan>,
    /// Set when the run stopped because the output disk is full: the failed write's message.
    pub disk_full: Option<String>,
    /// Set when the manifest could not be saved (the next run prepares everything again).
    pub manifest_error: Option<String>,
}

/// Why the streamed loop stopped early: the caller's error, or a worker's panic.
enum Stop<E> {
    Caller(E),
    Panicked(WorkerPanicked),
}

impl<E> From<WorkerPanicked> for Stop<E> {
    fn from(p: WorkerPanicked) -> Self {
        Stop::Panicked(p)
    }
}

/// What happened to one file, in a worker.
enum Done {
    Written {
        report: FileReport,
        prepared: Prepared,
        temp: NamedTempFile,
        input: PathBuf,
        rel: PathBuf,
        reason: Option<&'static str>,
        /// The input's size and mtime, taken before it was read: recorded in the manifest, so
        /// that an input changed while it was being prepared is redone on the next run.
        stamp: Option<(u64, u128)>,
    },
    UpToDate {
        report: FileReport,
        output: PathBuf,
        bytes: u64,
    },
    NotAnImage,
    Failed {
        report: FileReport,
        disk_full: bool,
    },
}

/// Prepares every image under `paths` into `out` (created; refused when it overlaps an input),
/// mirroring the input folders: in parallel with one [`Preparer`] per worker, outputs written
/// atomically and renamed into place in input order, names decided by the [`Namer`] and
/// recorded in the folder's [`Manifest`] so that a rerun keeps what is still right and redoes
/// the rest with its reason. Each row goes to `on_step` in input order; a full disk stops the
/// run (see [`PrepareSummary::disk_full`]). `on_step`'s error ends the run and is returned.
pub fn prepare_folder<E: From<RunError>>(
    paths: &[PathBuf],
    out: &Path,
    options: &PrepareOptions,
    assessor: &Assessor,
    run: &RunOptions,
    mut on_step: impl FnMut(Step<'_, PrepareRow>) -> Result<(), E>,
) -> Result<PrepareSummary, E> {
    let out_dir = output_folder(out, paths).map_err(RunError::from)?;
    remove_stale_temps(&out_dir);
    let pool = pool(run.jobs).map_err(RunError::from)?;
    let key = OutputKey::new(options);
    let previous = Manifest::load(&out_dir);
    let mut manifest = previous.clone();
    let mut namer = Namer::new(&previous);
    let mut summary = PrepareSummary {
        totals: PrepareTotals {
            model: options.target.model().to_owned(),
            model_status: assessor.estimator.models().first().map(ModelStatus::of),
            ..PrepareTotals::default()
        },
        ..PrepareSummary::default()
    };
    let work = |preparer: &mut Preparer, item: &Item| -> Done {
        let fresh = (!run.force).then(|| previous.freshness(item.path(), &key, &out_dir));
        prepare_one(preparer, item, assessor, options, &out_dir, fresh)
    };
    let totals = &mut summary.totals;
    let mut disk_full: Option<String> = None;
    let streamed_run = streamed::<_, _, Stop<E>>(
        walk(paths, run.hidden),
        &pool,
        WINDOW_PER_THREAD * pool.current_num_threads(),
        Preparer::new,
        work,
        |_, done| {
            let row = match done {
                Done::NotAnImage => {
                    totals.skipped += 1;
                    on_step(Step::Skipped).map_err(Stop::Caller)?;
                    return Ok(Continue(()));
                }
                Done::Failed {
                    report,
                    disk_full: full,
                } => {
                    totals.files += 1;
                    totals.errors += 1;
                    totals.bytes_in += report.bytes;
                    if full {
                        disk_full = report.error.as_ref().map(|e| e.message.clone());
                    }
                    PrepareRow::plain(report)
                }
                Done::UpToDate {
                    report,
                    output,
                    bytes,
                } => {
                    totals.files += 1;
                    totals.up_to_date += 1;
                    totals.bytes_in += report.bytes;
                    totals.bytes_out += bytes;
                    if let Some((_, m)) = report.models.0.first() {
                        // The output is at the size the estimate assumes: the same tokens.
                        totals.tokens += m.tokens;
                        totals.usd += m.usd;
                        totals.tokens_as_is += m.tokens;
                        totals.usd_as_is += m.usd;
                    }
                    namer.keep(&output);
                    let text = path_text(&out_dir.join(output));
                    PrepareRow {
                        output_path: Some(text.text),
                        output_path_escaped: text.escaped,
                        output_bytes: Some(bytes),
                        actions: vec!["up-to-date"],
                        ..PrepareRow::plain(report)
                    }
                }
                Done::Written {
                    report,
                    prepared,
                    temp,
                    input,
                    rel,
                    reason,
                    stamp: input_stamp,
                } => {
                    let name = namer.name(&input, &rel, prepared.media_type.extension());
                    let target = out_dir.join(&name);
                    totals.files += 1;
                    totals.bytes_in += report.bytes;
                    match temp.persist(&target) {
                        Ok(_) => {
                            // The output this input had under another name (another format)
                            // is superseded: the namer reserved that name for this input.
                            if let Some(old) = previous.entry(&input)
                                && old.output != name
                            {
                                let _ = std::fs::remove_file(out_dir.join(&old.output));
                            }
                            if let Some((input_bytes, input_mtime_ns)) = input_stamp {
                                manifest.record(
                                    &input,
                                    Entry {
                                        output: name,
                                        output_bytes: prepared.bytes.len() as u64,
                                        input_bytes,
                                        input_mtime_ns,
                                        key: key.clone(),
                                    },
                                );
                            }
                            totals.prepared += 1;
                            totals.bytes_out += prepared.bytes.len() as u64;
                            totals.tokens += prepared.tokens;
                            totals.usd += prepared.usd;
                            if let Some((_, m)) = report.models.0.first() {
                                totals.tokens_as_is += m.tokens;
                                totals.usd_as_is += m.usd;
                            }
                            let mut row = PrepareRow::written(report, &prepared, &target);
                            row.actions.extend(reason);
                            row
                        }
                        Err(e) => {
                            totals.errors += 1;
                            let message = format!("cannot write {}: {}", target.display(), e.error);
                            if is_disk_full(&e.error) {
                                disk_full = Some(message.clone());
                            }
                            PrepareRow::plain(with_error(report, ErrorCode::Io, message))
                        }
                    }
                }
            };
            on_step(Step::Row(&row)).map_err(Stop::Caller)?;
            Ok(if disk_full.is_some() {
                Break(())
            } else {
                Continue(())
            })
        },
    );
    match streamed_run {
        Ok(()) => {}
        Err(Stop::Caller(e)) => return Err(e),
        Err(Stop::Panicked(p)) => return Err(RunError::from(p).into()),
    }
    summary.disk_full = disk_full;
    let orphans: Vec<(String, PathBuf)> = manifest
        .orphans()
        .map(|(input, e)| (input.to_owned(), e.output.clone()))
        .collect();
    for (input, output) in orphans {
        let output = out_dir.join(output);
        let pruned = run.prune && (std::fs::remove_file(&output).is_ok() || !output.exists());
        if pruned {
            manifest.forget(&input);
        } else {
            summary.totals.orphaned += 1;
        }
        summary.orphans.push(Orphan {
            input,
            output,
            pruned,
        });
    }
    if let Err(e) = manifest.save(&out_dir) {
        summary.manifest_error = Some(e.to_string());
    }
    Ok(summary)
}

fn prepare_one(
    preparer: &mut Preparer,
    item: &Item,
    assessor: &Assessor,
    options: &PrepareOptions,
    out_dir: &Path,
    fresh: Option<(Freshness, Option<&Entry>)>,
) -> Done {
    let failed = |report| Done::Failed {
        report,
        disk_full: false,
    };
    let (report, probe) = match assessor.assess_probed(item) {
        (Outcome::NotAnImage, _) => return Done::NotAnImage,
        (Outcome::Report(r), Some(probe)) if r.error.is_none() => (r, probe),
        (Outcome::Report(r), _) => return failed(r),
    };
    let rel = item.relative();
    let reason = match fresh {
        Some((Freshness::UpToDate, Some(entry))) => {
            return Done::UpToDate {
                report,
                output: entry.output.clone(),
                bytes: entry.output_bytes,
            };
        }
        Some((Freshness::New, _)) | None => None,
        Some((f, _)) => Some(f.describe()),
    };
    let input_stamp = stamp(item.path());
    let prepared = match preparer.prepare_file(item.path(), &probe, options) {
        Ok(p) => p,
        Err(e) => {
            let code = e.code();
            return failed(with_error(report, code, e.to_string()));
        }
    };
    // The temporary file goes in the folder the output will be in; its name is decided when
    // it is renamed into place, in input order.
    let placeholder = out_dir
        .join(&rel)
        .with_extension(prepared.media_type.extension());
    match write_temp(&placeholder, &prepared.bytes) {
        Ok(temp) => Done::Written {
            report,
            prepared,
            temp,
            input: item.path().to_path_buf(),
            rel,
            reason,
            stamp: input_stamp,
        },
        Err(e) => Done::Failed {
            disk_full: is_disk_full(&e),
            report: with_error(
                report,
                ErrorCode::Io,
                format!("cannot write under {}: {e}", out_dir.display()),
            ),
        },
    }
}

fn with_error(mut report: FileReport, code: ErrorCode, message: String) -> FileReport {
    report.error = Some(ReportError { code, message });
    report
}
