//! Preparation of files and folders into an output folder ([`prepare_folder`]): walked,
//! prepared in parallel, written atomically in input order, named once, with a manifest so
//! that a rerun keeps what is still right.

use super::assess::{Assessor, Outcome};
use super::manifest::{Entry, Freshness, Manifest, Namer, OutputKey, TileFile, stamp, tile_name};
use super::output::{is_disk_full, output_folder, remove_stale_temps, write_temp};
use super::parallel::{WorkerPanicked, pool, streamed};
use super::rows::{Orphan, PrepareRow, PrepareSummary, PrepareTotals};
use super::run::{RunError, RunOptions, Step, WINDOW_PER_THREAD};
use super::walk::{Item, path_text, walk};
use crate::prepare::{PrepareOptions, Prepared, Preparer};
use std::ops::ControlFlow::{Break, Continue};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;
use visionprep_core::{ErrorCode, FileReport, ModelStatus, ReportError, Usd, plan_tiles};

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
        /// One image, or the tiles of one, each in its temporary file.
        parts: Vec<(Prepared, NamedTempFile)>,
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
        /// The name the input holds (its tiles' names derive from it).
        base: PathBuf,
        bytes: u64,
        tiled: bool,
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
                    base,
                    bytes,
                    tiled,
                } => {
                    totals.files += 1;
                    totals.up_to_date += 1;
                    totals.bytes_in += report.bytes;
                    totals.bytes_out += bytes;
                    if let Some((_, m)) = report.models.0.first() {
                        // The output is at the size the options give for this input.
                        let (tokens, usd) = planned(options, &report, tiled);
                        totals.tokens += tokens;
                        totals.usd += usd;
                        totals.tokens_as_is += m.tokens;
                        totals.usd_as_is += m.usd;
                    }
                    namer.keep(&base);
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
                    parts,
                    input,
                    rel,
                    reason,
                    stamp: input_stamp,
                } => {
                    let ext = parts
                        .first()
                        .map_or("png", |(p, _)| p.media_type.extension());
                    let name = namer.name(&input, &rel, ext);
                    totals.files += 1;
                    totals.bytes_in += report.bytes;
                    let count = parts.len() as u32;
                    let tiled = parts.iter().any(|(p, _)| p.tile.is_some());
                    let mut placed: Vec<(Prepared, PathBuf)> = Vec::new();
                    let mut failure: Option<(String, bool)> = None;
                    for (i, (prepared, temp)) in parts.into_iter().enumerate() {
                        let rel_name = if tiled {
                            tile_name(&name, i as u32, count)
                        } else {
                            name.clone()
                        };
                        let target = out_dir.join(&rel_name);
                        match temp.persist(&target) {
                            Ok(_) => placed.push((prepared, target)),
                            Err(e) => {
                                let message =
                                    format!("cannot write {}: {}", target.display(), e.error);
                                failure = Some((message, is_disk_full(&e.error)));
                                break;
                            }
                        }
                    }
                    if let Some((message, full)) = failure {
                        // A tiled input is all its tiles or nothing.
                        for (_, target) in &placed {
                            let _ = std::fs::remove_file(target);
                        }
                        totals.errors += 1;
                        if full {
                            disk_full = Some(message.clone());
                        }
                        PrepareRow::plain(with_error(report, ErrorCode::Io, message))
                    } else {
                        // The outputs this input had under other names (another format, other
                        // tiles) are superseded: the namer reserved that name for this input.
                        if let Some(old) = previous.entry(&input) {
                            for (file, _) in old.files() {
                                if !placed.iter().any(|(_, t)| *t == out_dir.join(file)) {
                                    let _ = std::fs::remove_file(out_dir.join(file));
                                }
                            }
                        }
                        let out_bytes: u64 = placed.iter().map(|(p, _)| p.bytes.len() as u64).sum();
                        if let Some((input_bytes, input_mtime_ns)) = input_stamp {
                            let tiles = if tiled {
                                placed
                                    .iter()
                                    .map(|(p, t)| TileFile {
                                        output: t.strip_prefix(&out_dir).unwrap_or(t).to_path_buf(),
                                        bytes: p.bytes.len() as u64,
                                    })
                                    .collect()
                            } else {
                                Vec::new()
                            };
                            manifest.record(
                                &input,
                                Entry {
                                    output: name,
                                    output_bytes: out_bytes,
                                    input_bytes,
                                    input_mtime_ns,
                                    key: key.clone(),
                                    tiles,
                                },
                            );
                        }
                        totals.prepared += 1;
                        totals.bytes_out += out_bytes;
                        for (p, _) in &placed {
                            totals.tokens += p.tokens;
                            totals.usd += p.usd;
                        }
                        if let Some((_, m)) = report.models.0.first() {
                            totals.tokens_as_is += m.tokens;
                            totals.usd_as_is += m.usd;
                        }
                        let mut row = if tiled {
                            let whole = planned(options, &report, false);
                            PrepareRow::tiled(report, &placed, whole)
                        } else {
                            match placed.first() {
                                Some((p, target)) => PrepareRow::written(report, p, target),
                                None => PrepareRow::plain(report),
                            }
                        };
                        row.actions.extend(reason);
                        row
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
    let orphans: Vec<(String, Vec<PathBuf>)> = manifest
        .orphans()
        .map(|(input, e)| {
            let files = e.files().iter().map(|f| out_dir.join(f.0)).collect();
            (input.to_owned(), files)
        })
        .collect();
    for (input, files) in orphans {
        let pruned = run.prune
            && files
                .iter()
                .all(|f| std::fs::remove_file(f).is_ok() || !f.exists());
        let output = files.into_iter().next().unwrap_or_default();
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
                output: entry
                    .files()
                    .first()
                    .map_or_else(|| entry.output.clone(), |f| f.0.to_path_buf()),
                base: entry.output.clone(),
                bytes: entry.output_bytes,
                tiled: !entry.tiles.is_empty(),
            };
        }
        Some((Freshness::New, _)) | None => None,
        Some((f, _)) => Some(f.describe()),
    };
    let input_stamp = stamp(item.path());
    let prepared = match preparer.prepare_file_parts(item.path(), &probe, options) {
        Ok(p) => p,
        Err(e) => {
            let code = e.code();
            return failed(with_error(report, code, e.to_string()));
        }
    };
    // Each temporary file goes in the folder its output will be in; the names are decided
    // when they are renamed into place, in input order.
    let mut parts: Vec<(Prepared, NamedTempFile)> = Vec::new();
    for p in prepared {
        let placeholder = out_dir.join(&rel).with_extension(p.media_type.extension());
        match write_temp(&placeholder, &p.bytes) {
            Ok(temp) => parts.push((p, temp)),
            Err(e) => {
                return Done::Failed {
                    disk_full: is_disk_full(&e),
                    report: with_error(
                        report,
                        ErrorCode::Io,
                        format!("cannot write under {}: {e}", out_dir.display()),
                    ),
                };
            }
        }
    }
    Done::Written {
        report,
        parts,
        input: item.path().to_path_buf(),
        rel,
        reason,
        stamp: input_stamp,
    }
}

/// Tokens and cost of an input's output(s) under `options`, from its report's size alone:
/// its tiles when it was `tiled`, else the one image ([`PrepareOptions::output_size`]).
fn planned(options: &PrepareOptions, report: &FileReport, tiled: bool) -> (u64, Usd) {
    let Some(displayed) = report.size() else {
        return (0, Usd::ZERO);
    };
    let tier = options.target.tier();
    let rule = options.token_rule;
    let tokens = if tiled {
        plan_tiles(
            displayed,
            tier,
            rule,
            options.tiles.min_scale,
            options.tiles.overlap,
        )
        .map_or(0, |plan| plan.tokens(tier, rule))
    } else {
        rule.tokens(options.output_size(displayed), tier)
    };
    (tokens, options.target.token_price().times(tokens))
}

fn with_error(mut report: FileReport, code: ErrorCode, message: String) -> FileReport {
    report.error = Some(ReportError { code, message });
    report
}
