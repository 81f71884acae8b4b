//! `visionprep prepare`: make every image under the inputs Claude-ready, into an output folder.

use crate::args::{OutputFormat, PipelineArgs, PrepareArgs};
use crate::batch;
use crate::cost::{Assessor, Outcome, choose, progress_bar};
use crate::render::{group, human_bytes, money};
use crate::walk::{Item, path_text, walk};
use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;
use std::ops::ControlFlow::{Break, Continue};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tempfile::NamedTempFile;
use visionprep::core::{ErrorCode, Estimator, FileReport, ModelStatus, ReportError, Usd};
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
        target: PathBuf,
    },
    /// An output newer than the input exists.
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
    let pool = batch::pool(p.walk.jobs)?;
    let progress = progress_bar(p.walk.no_progress);
    let mut sink = Sink::new(args.format, out)?;
    let mut totals = PrepareTotals {
        model: options.model.clone(),
        model_status: assessor.estimator.models().first().map(ModelStatus::of),
        ..Default::default()
    };
    let mut claimed: HashSet<PathBuf> = HashSet::new();
    let work = |preparer: &mut Preparer, item: &Item| -> Done {
        prepare_one(preparer, item, &assessor, &options, &out_dir, args.force)
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
                    claimed.insert(output.clone());
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
                    target,
                } => {
                    let target = unclaimed(target, &report.path, &mut claimed);
                    totals.files += 1;
                    totals.bytes_in += report.bytes;
                    match temp.persist(&target) {
                        Ok(_) => {
                            totals.prepared += 1;
                            totals.bytes_out += prepared.bytes.len() as u64;
                            totals.tokens += prepared.tokens;
                            totals.usd += prepared.usd;
                            if let Some((_, m)) = report.models.0.first() {
                                totals.tokens_as_is += m.tokens;
                                totals.usd_as_is += m.usd;
                            }
                            sink.row(&written_row(&report, &prepared, &target))
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
    sink.finish(&totals)?;
    Ok(totals.errors)
}

fn prepare_one(
    preparer: &mut Preparer,
    item: &Item,
    assessor: &Assessor,
    options: &PrepareOptions,
    out_dir: &Path,
    force: bool,
) -> Done {
    let report = match assessor.assess(item) {
        Outcome::NotAnImage => return Done::NotAnImage,
        Outcome::Report(r) if r.error.is_some() => return Done::failed(r),
        Outcome::Report(r) => r,
    };
    let rel = item.relative();
    if !force && let Some((output, bytes)) = up_to_date(item.path(), out_dir, &rel) {
        return Done::UpToDate {
            report,
            output,
            bytes,
        };
    }
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
            target,
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

/// An existing output for `input` (any API format's extension) at least as new as the input.
fn up_to_date(input: &Path, out_dir: &Path, rel: &Path) -> Option<(PathBuf, u64)> {
    let input_time = modified(input)?;
    ["jpg", "png", "webp", "gif"].iter().find_map(|ext| {
        let candidate = out_dir.join(rel).with_extension(ext);
        let meta = std::fs::metadata(&candidate).ok()?;
        (meta.is_file() && meta.modified().ok()? >= input_time).then_some((candidate, meta.len()))
    })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `target`, or when an earlier input of this run already wrote there (`a.gif` and `a.png`
/// both becoming `a.png`), the name with the input's extension folded in (`a-gif.png`).
fn unclaimed(target: PathBuf, input: &str, claimed: &mut HashSet<PathBuf>) -> PathBuf {
    let mut chosen = target.clone();
    if claimed.contains(&chosen) {
        let old_ext = Path::new(input)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("input");
        let stem = target
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("image");
        let ext = target.extension().and_then(|e| e.to_str()).unwrap_or("");
        let mut n = 1;
        loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            chosen = target.with_file_name(format!("{stem}-{old_ext}{suffix}.{ext}"));
            if !claimed.contains(&chosen) {
                break;
            }
            n += 1;
        }
    }
    claimed.insert(chosen.clone());
    chosen
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
