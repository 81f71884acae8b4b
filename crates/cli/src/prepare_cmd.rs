//! `visionprep prepare`: make every image under the inputs Claude-ready, into an output folder.

use crate::args::{OutputFormat, PipelineArgs, PrepareArgs};
use crate::batch;
use crate::cost::{Assessor, Outcome, choose, progress_bar};
use crate::render::{group, human_bytes, money};
use crate::walk::{Item, path_text, walk};
use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use std::io::Write;
use std::ops::ControlFlow::{Break, Continue};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tempfile::NamedTempFile;
use visionprep::core::{ErrorCode, Estimator, FileReport, ModelStatus, ReportError, Usd};
use visionprep::folder::{Entry, Freshness, Manifest, Namer, OutputKey, stamp};
use visionprep::prepare::{PrepareOptions, Prepared, Preparer};

/// Files in flight per worker thread: outputs wait in temporary files until every earlier
/// file's is in place.
const WINDOW_PER_THREAD: usize = 4;

/// What happened to one file.
enum Done {
    /// Prepared into a temporary file in its output folder, not yet renamed into place.
    Written {
        report: FileReport,
        prepared: Prepared,
        temp: NamedTempFile,
        /// The input and its path below its input folder, for naming the output.
        input: PathBuf,
        rel: PathBuf,
        /// Why it was prepared again (`stale: tier changed`), when an output was recorded.
        reason: Option<&'static str>,
    },
    /// The manifest records an output made from this input, unchanged, with these options.
    UpToDate {
        report: FileReport,
        output: PathBuf,
        bytes: u64,
    },
    /// Not an image (found in a folder): passed over.
    NotAnImage,
    /// Could not be assessed or prepared; `disk_full` when writing failed for want of space,
    /// which stops the run.
    Failed { report: FileReport, disk_full: bool },
}

/// One line of the report: the cost fields of the input and what was written.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    input: &'a FileReport,
    output_path: Option<String>,
    /// Whether `output_path` is escaped (a name that is not UTF-8, see `PathText`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    output_path_escaped: bool,
    output_bytes: Option<u64>,
    output_media_type: Option<&'static str>,
    output_width: Option<u32>,
    output_height: Option<u32>,
    output_tokens: Option<u64>,
    output_usd: Option<Usd>,
    actions: Vec<&'static str>,
}

/// The totals of a run.
#[derive(Serialize, Default)]
struct PrepareTotals {
    files: u64,
    prepared: u64,
    up_to_date: u64,
    errors: u64,
    skipped: u64,
    bytes_in: u64,
    bytes_out: u64,
    model: String,
    model_status: Option<ModelStatus>,
    /// Outputs whose input is gone (kept unless --prune).
    orphaned: u64,
    tokens_as_is: u64,
    usd_as_is: Usd,
    tokens: u64,
    usd: Usd,
}

/// Options, prices and the input assessor for the pipeline flags of `prepare` and `request`.
pub(crate) fn pipeline(p: &PipelineArgs) -> Result<(PrepareOptions, Assessor)> {
    let names: Vec<String> = p.model.iter().cloned().collect();
    let (table, models) = choose(&names, &p.choice)?;
    let model = &models[0];
    let mut options = PrepareOptions::for_price(&table, model);
    options.token_rule = p.token_rule;
    options.request = p.profile.limits();
    options.quality = p.quality;
    options.min_quality = options.min_quality.min(p.quality);
    options.filter = p.filter;
    options.output = p.output_format;
    options.background = p.background;
    options.limits = options.limits.with_lenient(p.walk.lenient);
    let assessor = Assessor {
        estimator: Estimator::new(&table, &[&model.id], p.token_rule)?,
        limits: options.limits,
        request: options.request,
    };
    Ok((options, assessor))
}

pub(crate) fn run(args: &PrepareArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let (options, assessor) = pipeline(p)?;
    let out_dir = output_folder(&args.out, &args.paths)?;
    remove_stale_temps(&out_dir);
    let key = OutputKey::new(&options);
    let previous = Manifest::load(&out_dir);
    let mut manifest = previous.clone();
    let mut namer = Namer::new(&previous);
    let pool = batch::pool(p.walk.jobs)?;
    let progress = progress_bar(p.walk.no_progress);
    let mut sink = Sink::new(args.format, out)?;
    let mut totals = PrepareTotals {
        model: options.model.clone(),
        model_status: assessor.estimator.models().first().map(ModelStatus::of),
        ..Default::default()
    };
    let work = |preparer: &mut Preparer, item: &Item| -> Done {
        let fresh = (!args.force).then(|| previous.freshness(item.path(), &key, &out_dir));
        prepare_one(preparer, item, &assessor, &options, &out_dir, fresh)
    };
    let walked = walk(&args.paths, p.walk.hidden);
    let mut full_disk: Option<String> = None;
    batch::streamed(
        walked,
        &pool,
        WINDOW_PER_THREAD * pool.current_num_threads(),
        Preparer::new,
        work,
        |_, done| {
            progress.inc(1);
            let row = match done {
                Done::NotAnImage => {
                    totals.skipped += 1;
                    return Ok(Continue(()));
                }
                Done::Failed { report, disk_full } => {
                    totals.files += 1;
                    totals.errors += 1;
                    totals.bytes_in += report.bytes;
                    sink.row(&plain_row(&report))?;
                    if disk_full {
                        full_disk = report.error.map(|e| e.message);
                    }
                    return Ok(if full_disk.is_some() {
                        Break(())
                    } else {
                        Continue(())
                    });
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
                    let output = out_dir.join(output);
                    let mut row = plain_row(&report);
                    let text = path_text(&output);
                    row.output_path = Some(text.text);
                    row.output_path_escaped = text.escaped;
                    row.output_bytes = Some(bytes);
                    row.actions = vec!["up-to-date"];
                    sink.row(&row)
                }
                Done::Written {
                    report,
                    prepared,
                    temp,
                    input,
                    rel,
                    reason,
                } => {
                    let name = namer.name(&input, &rel, prepared.media_type.extension());
                    let target = out_dir.join(&name);
                    totals.files += 1;
                    totals.bytes_in += report.bytes;
                    match temp.persist(&target) {
                        Ok(_) => {
                            // The output this input had before under another name (another
                            // format) is superseded: no other input may claim that name.
                            if let Some(old) = previous.entry(&input)
                                && old.output != name
                            {
                                let _ = std::fs::remove_file(out_dir.join(&old.output));
                            }
                            if let Some((input_bytes, input_mtime_ns)) = stamp(&input) {
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
                            let mut row = written_row(&report, &prepared, &target);
                            row.actions.extend(reason);
                            sink.row(&row)
                        }
                        Err(e) => {
                            totals.errors += 1;
                            let message = format!("cannot write {}: {}", target.display(), e.error);
                            if is_disk_full(&e.error) {
                                full_disk = Some(message.clone());
                            }
                            let failed = with_error(report, ErrorCode::Io, message);
                            sink.row(&plain_row(&failed))
                        }
                    }
                }
            };
            row?;
            Ok(if full_disk.is_some() {
                Break(())
            } else {
                Continue(())
            })
        },
    )?;
    if let Some(message) = &full_disk {
        eprintln!(
            "visionprep: stopped: the output disk is full ({message}); files after it were not \
             prepared, the report lists what was done"
        );
    }
    progress.finish_and_clear();
    let orphans: Vec<(String, PathBuf)> = manifest
        .orphans()
        .map(|(input, e)| (input.to_owned(), e.output.clone()))
        .collect();
    for (input, output) in &orphans {
        let output = out_dir.join(output);
        if args.prune {
            let removed = std::fs::remove_file(&output);
            if removed.is_ok() || !output.exists() {
                manifest.forget(input);
                eprintln!(
                    "visionprep: pruned {} (its input {input} is gone)",
                    output.display()
                );
                continue;
            }
        }
        totals.orphaned += 1;
        eprintln!(
            "visionprep: orphaned: {} (its input {input} is gone; --prune removes it)",
            output.display()
        );
    }
    if let Err(e) = manifest.save(&out_dir) {
        eprintln!("visionprep: warning: {e}: the next run will prepare everything again");
    }
    sink.finish(&totals)?;
    Ok(totals.errors)
}

fn prepare_one(
    preparer: &mut Preparer,
    item: &Item,
    assessor: &Assessor,
    options: &PrepareOptions,
    out_dir: &Path,
    fresh: Option<(Freshness, Option<&Entry>)>,
) -> Done {
    let report = match assessor.assess(item) {
        Outcome::NotAnImage => return Done::NotAnImage,
        Outcome::Report(r) if r.error.is_some() => return Done::failed(r),
        Outcome::Report(r) => r,
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
    let prepared = match preparer.prepare_path(item.path(), options) {
        Ok(p) => p,
        Err(e) => {
            let code = e.code();
            return Done::failed(with_error(report, code, e.to_string()));
        }
    };
    let target = out_dir
        .join(&rel)
        .with_extension(prepared.media_type.extension());
    match write_temp(&target, &prepared.bytes) {
        Ok(temp) => Done::Written {
            report,
            prepared,
            temp,
            input: item.path().to_path_buf(),
            rel,
            reason,
        },
        Err(e) => {
            let message = format!("cannot write under {}: {e:#}", out_dir.display());
            Done::Failed {
                disk_full: e
                    .chain()
                    .filter_map(|c| c.downcast_ref::<std::io::Error>())
                    .any(is_disk_full),
                report: with_error(report, ErrorCode::Io, message),
            }
        }
    }
}

impl Done {
    fn failed(report: FileReport) -> Done {
        Done::Failed {
            report,
            disk_full: false,
        }
    }
}

const TEMP_PREFIX: &str = ".visionprep-";
const TEMP_SUFFIX: &str = ".tmp";

/// Removes temporary files that a killed run left under `dir` (`.visionprep-PID-*.tmp` whose
/// process is gone; without /proc to ask, those over a day old). A run in progress keeps its
/// own. Returns how many were removed.
pub(crate) fn remove_stale_temps(dir: &Path) -> usize {
    let procfs = Path::new("/proc/self").exists();
    let stale = |name: &str, path: &Path| -> bool {
        let Some(pid) = name
            .strip_prefix(TEMP_PREFIX)
            .filter(|_| name.ends_with(TEMP_SUFFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            return false;
        };
        if procfs {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            modified(path)
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 24 * 3600)
        }
    };
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name().to_str().is_some_and(|n| stale(n, e.path())))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Whether a write failed for want of space (or quota): every later write would fail too.
fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.kind() == std::io::ErrorKind::QuotaExceeded
}

/// Writes `bytes` to a hidden temporary file beside `target`, flushed to disk.
pub(crate) fn write_temp(target: &Path, bytes: &[u8]) -> Result<NamedTempFile> {
    let dir = target.parent().context("no folder for the output")?;
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    // Outputs are ordinary files (rw-r--r-- less the umask), not a temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_data()?;
    Ok(temp)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Creates the output folder and refuses one that is, contains or lies inside an input
/// folder: outputs must never land on inputs.
fn output_folder(out: &Path, inputs: &[PathBuf]) -> Result<PathBuf> {
    let out_real = resolve(out)?;
    for input in inputs {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        let overlaps = if real.is_dir() {
            out_real.starts_with(&real) || real.starts_with(&out_real)
        } else {
            real.starts_with(&out_real)
        };
        if overlaps {
            bail!(
                "the output folder {} overlaps the input {}: choose a folder outside the inputs",
                out.display(),
                input.display()
            );
        }
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    Ok(out.to_path_buf())
}

/// The absolute, symlink-free form of `path`, which need not exist yet: its nearest existing
/// ancestor canonicalised, then the rest.
fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut real = existing.canonicalize()?;
    real.extend(rest.iter().rev());
    Ok(real)
}

fn with_error(mut report: FileReport, code: ErrorCode, message: String) -> FileReport {
    report.error = Some(ReportError { code, message });
    report
}

fn plain_row(report: &FileReport) -> Row<'_> {
    Row {
        input: report,
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

fn written_row<'a>(report: &'a FileReport, p: &Prepared, target: &Path) -> Row<'a> {
    let text = path_text(target);
    Row {
        input: report,
        output_path: Some(text.text),
        output_path_escaped: text.escaped,
        output_bytes: Some(p.bytes.len() as u64),
        output_media_type: Some(p.media_type.as_str()),
        output_width: Some(p.output_size.width),
        output_height: Some(p.output_size.height),
        output_tokens: Some(p.tokens),
        output_usd: Some(p.usd),
        actions: p.actions.names(),
    }
}

/// Writes the report in one of the three formats.
enum Sink<'w> {
    Table(&'w mut dyn Write),
    Json { out: &'w mut dyn Write, first: bool },
    Csv(Box<csv::Writer<&'w mut dyn Write>>),
}

impl<'w> Sink<'w> {
    fn new(format: OutputFormat, out: &'w mut dyn Write) -> Result<Self> {
        Ok(match format {
            OutputFormat::Table => {
                writeln!(
                    out,
                    "{:>10}  {:<5} {:>11}  {:>10}  {:<5} {:>11} {:>7} {:>10}  FILE -> OUTPUT",
                    "BYTES", "TYPE", "SIZE", "OUT BYTES", "TYPE", "SIZE", "TOKENS", "USD"
                )?;
                Sink::Table(out)
            }
            OutputFormat::Json => {
                out.write_all(b"{\"files\":[")?;
                Sink::Json { out, first: true }
            }
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record([
                    "path",
                    "media_type",
                    "bytes",
                    "width",
                    "height",
                    "error_code",
                    "error_message",
                    "output_path",
                    "output_media_type",
                    "output_bytes",
                    "output_width",
                    "output_height",
                    "output_tokens",
                    "output_usd",
                    "actions",
                ])?;
                Sink::Csv(Box::new(w))
            }
        })
    }

    fn row(&mut self, r: &Row<'_>) -> Result<()> {
        let f = r.input;
        let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
        match self {
            Sink::Json { out, first } => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                serde_json::to_writer(&mut **out, r)?;
            }
            Sink::Csv(w) => {
                let error = f.error.as_ref();
                w.write_record([
                    f.path.clone(),
                    f.media_type.unwrap_or_default().to_owned(),
                    f.bytes.to_string(),
                    opt(f.width),
                    opt(f.height),
                    error
                        .map(|e| e.code.as_str().to_owned())
                        .unwrap_or_default(),
                    error.map(|e| e.message.clone()).unwrap_or_default(),
                    r.output_path.clone().unwrap_or_default(),
                    r.output_media_type.unwrap_or_default().to_owned(),
                    r.output_bytes.map(|b| b.to_string()).unwrap_or_default(),
                    opt(r.output_width),
                    opt(r.output_height),
                    r.output_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    r.output_usd.map(|u| u.to_string()).unwrap_or_default(),
                    r.actions.join(" "),
                ])?;
            }
            Sink::Table(out) => {
                let size = |w: Option<u32>, h: Option<u32>| match (w, h) {
                    (Some(w), Some(h)) => format!("{w}x{h}"),
                    _ => "-".to_owned(),
                };
                fn kind(m: Option<&str>) -> &str {
                    m.map_or("?", |m| m.trim_start_matches("image/"))
                }
                write!(
                    out,
                    "{:>10}  {:<5} {:>11}",
                    f.bytes,
                    kind(f.media_type),
                    size(f.width, f.height)
                )?;
                if let Some(e) = &f.error {
                    writeln!(out, "  {}  error {}: {}", f.path, e.code, e.message)?;
                    return Ok(());
                }
                let out_bytes = r.output_bytes.map(|b| b.to_string()).unwrap_or_default();
                write!(
                    out,
                    "  {:>10}  {:<5} {:>11} {:>7} {:>10}",
                    out_bytes,
                    kind(r.output_media_type),
                    size(r.output_width, r.output_height),
                    r.output_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    r.output_usd.map(|u| money(u, 6)).unwrap_or_default(),
                )?;
                let dest = r.output_path.as_deref().unwrap_or("?");
                writeln!(out, "  {} -> {}  [{}]", f.path, dest, r.actions.join(", "))?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, t: &PrepareTotals) -> Result<()> {
        match self {
            Sink::Json { out, first } => {
                out.write_all(if *first {
                    b"],\"totals\":"
                } else {
                    b"\n],\"totals\":"
                })?;
                serde_json::to_writer(&mut **out, t)?;
                out.write_all(b"}\n")?;
                out.flush()?;
            }
            Sink::Csv(w) => w.flush()?,
            Sink::Table(out) => {
                writeln!(
                    out,
                    "\n{} files: {} prepared, {} up to date, {} errors{}; {} in, {} out",
                    t.files,
                    t.prepared,
                    t.up_to_date,
                    t.errors,
                    if t.skipped > 0 {
                        format!(", {} non-images skipped", t.skipped)
                    } else {
                        String::new()
                    },
                    human_bytes(t.bytes_in),
                    human_bytes(t.bytes_out),
                )?;
                writeln!(
                    out,
                    "  {}: {} tokens, {} for the prepared images (as sent before: {} tokens, {})",
                    t.model,
                    group(t.tokens),
                    money(t.usd, 6),
                    group(t.tokens_as_is),
                    money(t.usd_as_is, 6)
                )?;
                out.flush()?;
            }
        }
        Ok(())
    }
}
