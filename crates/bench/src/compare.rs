//! Pillow and libvips on the same images, to the same targets, in the same run.
//!
//! Pillow (`Image.draft` + `resize(LANCZOS)` + `save`) and, where importable, pyvips
//! (`thumbnail_buffer` + `write_to_buffer`) are timed in memory by a small Python harness
//! (`harness.py`, embedded), one worker process per thread. Without pyvips, `vipsthumbnail` is
//! timed one process per file from the files on disk, as a shell script would use it. A tool
//! that is not installed is [`ToolSkipped`] with the reason; the benchmark goes on.

use super::run::{BenchOptions, Outcome};
use super::{BenchInput, BenchReport, InputKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use visionprep_core::MediaType;

const HARNESS: &str = include_str!("harness.py");

/// Where the other tools are.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The Python interpreter that has Pillow (and perhaps pyvips, pillow-heif); default
    /// `python3` on `PATH`.
    pub python: PathBuf,
    /// The `vipsthumbnail` command; default the one on `PATH`.
    pub vipsthumbnail: PathBuf,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            python: "python3".into(),
            vipsthumbnail: "vipsthumbnail".into(),
        }
    }
}

/// One tool at one thread count.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRun {
    /// `Pillow`, `libvips (pyvips)` or `libvips (vipsthumbnail)`.
    pub tool: String,
    /// Its version.
    pub version: String,
    /// How it was run.
    pub how: &'static str,
    /// Worker processes (or concurrent processes for `vipsthumbnail`).
    pub threads: usize,
    /// One rate per kind of input, in report order.
    pub kinds: Vec<KindRate>,
    /// The kinds it measured, together (visionprep's rate over the same kinds).
    pub total: KindRate,
}

/// A tool's rate on one kind of input, against visionprep's at the same thread count.
#[derive(Debug, Clone, Serialize)]
pub struct KindRate {
    /// The kind's name, or `all`.
    pub kind: String,
    /// Images of the kind.
    pub images: usize,
    /// The tool's median pass time, in seconds.
    pub seconds: Option<f64>,
    /// The tool's images per second.
    pub images_per_second: Option<f64>,
    /// visionprep's images per second on the same images.
    pub visionprep_images_per_second: f64,
    /// visionprep's rate over the tool's: above 1, visionprep is faster.
    pub ratio: Option<f64>,
    /// Why the tool did not measure this kind (it could not read it).
    pub skipped: Option<String>,
}

/// A tool that was asked for and not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolSkipped {
    /// The tool.
    pub tool: String,
    /// Why not, plainly.
    pub reason: String,
}

/// Times the other tools on `measured` (the inputs visionprep measured, with what each became)
/// at every thread count of `options`, and adds their runs to `report`.
pub(crate) fn compare(
    report: &mut BenchReport,
    measured: &[(&BenchInput, Outcome)],
    options: &BenchOptions,
    tools: &CompareOptions,
    progress: &mut dyn FnMut(&str),
) {
    // The same images and passes as visionprep's: each kind repeated as `run` repeats it.
    let widest = options.threads.iter().copied().max().unwrap_or(1);
    let mut by_kind: BTreeMap<InputKind, Vec<Job>> = BTreeMap::new();
    for (input, outcome) in measured {
        if let Some(path) = &input.path {
            by_kind.entry(input.kind).or_default().push(Job {
                kind: input.kind,
                path: path.clone(),
                outcome: outcome.clone(),
            });
        }
    }
    let distinct: usize = by_kind.values().map(Vec::len).sum();
    let jobs: Vec<Job> = by_kind
        .into_values()
        .flat_map(|set| {
            let copies = super::run::copies(set.len(), widest);
            (0..copies).flat_map(move |_| set.clone())
        })
        .collect();
    if distinct < measured.len() {
        report.compare_skipped.push(ToolSkipped {
            tool: "all".into(),
            reason: format!(
                "{} images held only in memory (no file) are left out of the comparison",
                measured.len() - distinct
            ),
        });
    }
    if jobs.is_empty() {
        return;
    }
    progress("comparing: Pillow and pyvips (python)");
    let vips_in_process = match python_tools(&jobs, options, tools) {
        Ok((runs, skipped)) => {
            let vips = runs.iter().any(|r| r.tool.contains("pyvips"));
            for run in runs {
                add(report, run);
            }
            // vipsthumbnail stands in for a pyvips that is not there.
            report
                .compare_skipped
                .extend(skipped.into_iter().filter(|s| !s.tool.contains("pyvips")));
            vips
        }
        Err(reason) => {
            report.compare_skipped.push(ToolSkipped {
                tool: "Pillow".into(),
                reason: reason.clone(),
            });
            false
        }
    };
    if vips_in_process {
        return;
    }
    progress("comparing: vipsthumbnail (one process per file)");
    match vipsthumbnail(&jobs, options, tools) {
        Ok(runs) => {
            for run in runs {
                add(report, run);
            }
        }
        Err(reason) => report.compare_skipped.push(ToolSkipped {
            tool: "libvips".into(),
            reason: format!(
                "neither pyvips (in {}) nor {reason}",
                tools.python.display()
            ),
        }),
    }
}

#[derive(Clone)]
struct Job {
    kind: InputKind,
    path: PathBuf,
    outcome: Outcome,
}

impl Job {
    fn output(&self) -> &'static str {
        match self.outcome.media_type {
            MediaType::Jpeg => "jpeg",
            MediaType::Png | MediaType::Gif => "png",
            MediaType::Webp if self.kind == InputKind::LosslessWebp => "webp-lossless",
            MediaType::Webp => "webp",
        }
    }
}

/// A tool's seconds per kind at one thread count, before ratios.
struct RawRun {
    tool: String,
    version: String,
    how: &'static str,
    threads: usize,
    seconds: BTreeMap<String, f64>,
    skipped: BTreeMap<String, String>,
}

/// Puts a tool's run beside visionprep's at the same thread count.
fn add(report: &mut BenchReport, raw: RawRun) {
    let Some(ours) = report.runs.iter().find(|r| r.threads == raw.threads) else {
        return;
    };
    let mut kinds = Vec::new();
    let (mut images, mut jobs, mut tool_s, mut our_s) = (0usize, 0usize, 0.0, 0.0);
    for k in &ours.kinds {
        let seconds = raw.seconds.get(&k.kind).copied();
        let rate = seconds
            .filter(|s| *s > 0.0)
            .map(|s| k.images_per_pass as f64 / s);
        if let Some(s) = seconds {
            images += k.images;
            jobs += k.images_per_pass;
            tool_s += s;
            our_s += k.seconds;
        }
        kinds.push(KindRate {
            kind: k.kind.clone(),
            images: k.images,
            seconds,
            images_per_second: rate,
            visionprep_images_per_second: k.images_per_second,
            ratio: rate.filter(|r| *r > 0.0).map(|r| k.images_per_second / r),
            skipped: seconds.is_none().then(|| {
                raw.skipped
                    .get(&k.kind)
                    .cloned()
                    .unwrap_or_else(|| "not measured".into())
            }),
        });
    }
    let rate = (tool_s > 0.0).then(|| jobs as f64 / tool_s);
    let ours_rate = if our_s > 0.0 {
        jobs as f64 / our_s
    } else {
        0.0
    };
    let total = KindRate {
        kind: "all".into(),
        images,
        seconds: (images > 0).then_some(tool_s),
        images_per_second: rate,
        visionprep_images_per_second: ours_rate,
        ratio: rate.filter(|r| *r > 0.0).map(|r| ours_rate / r),
        skipped: (images == 0).then(|| "no kind measured".into()),
    };
    report.compare.push(ToolRun {
        tool: raw.tool,
        version: raw.version,
        how: raw.how,
        threads: raw.threads,
        kinds,
        total,
    });
}

/// Pillow and pyvips through the harness: their runs and the tools it could not import.
fn python_tools(
    jobs: &[Job],
    options: &BenchOptions,
    tools: &CompareOptions,
) -> Result<(Vec<RawRun>, Vec<ToolSkipped>), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let harness = dir.path().join("harness.py");
    let list = dir.path().join("jobs.tsv");
    let write = || -> std::io::Result<()> {
        std::fs::write(&harness, HARNESS)?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&list)?);
        for job in jobs {
            let path = job.path.to_str().ok_or_else(|| {
                std::io::Error::other(format!("{} is not UTF-8", job.path.display()))
            })?;
            writeln!(
                f,
                "{}\t{}\t{}\t{}\t{}\t{}",
                job.kind.name(),
                path,
                job.outcome.output.width,
                job.outcome.output.height,
                if job.outcome.passed_through {
                    "keep"
                } else {
                    "make"
                },
                job.output()
            )?;
        }
        f.flush()
    };
    write().map_err(|e| format!("cannot write the job list: {e}"))?;
    let threads: Vec<String> = options.threads.iter().map(usize::to_string).collect();
    let out = Command::new(&tools.python)
        .arg(&harness)
        .arg(&list)
        .arg(threads.join(","))
        .arg(options.repeat.to_string())
        .env("VIPS_CONCURRENCY", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!(
                    "{} not found on PATH (Pillow runs in Python)",
                    tools.python.display()
                )
            }
            _ => format!("cannot run {}: {e}", tools.python.display()),
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        return Err(format!(
            "the Python harness failed ({}): {tail}",
            out.status
        ));
    }
    parse_harness(&out.stdout)
}

#[derive(serde::Deserialize)]
struct HarnessOut {
    tools: Vec<HarnessTool>,
    skipped: Vec<HarnessSkipped>,
}

#[derive(serde::Deserialize)]
struct HarnessTool {
    tool: String,
    version: String,
    runs: Vec<HarnessRun>,
}

#[derive(serde::Deserialize)]
struct HarnessRun {
    threads: usize,
    seconds: BTreeMap<String, f64>,
    skipped: BTreeMap<String, String>,
}

#[derive(serde::Deserialize)]
struct HarnessSkipped {
    tool: String,
    reason: String,
}

fn parse_harness(stdout: &[u8]) -> Result<(Vec<RawRun>, Vec<ToolSkipped>), String> {
    let out: HarnessOut = serde_json::from_slice(stdout)
        .map_err(|e| format!("the Python harness printed no report: {e}"))?;
    let mut runs = Vec::new();
    for tool in out.tools {
        let how = if tool.tool.contains("pyvips") {
            "thumbnail_buffer + write_to_buffer in memory, VIPS_CONCURRENCY=1, one process per thread"
        } else {
            "draft + exif_transpose + resize(LANCZOS) + save in memory, one process per thread"
        };
        for run in tool.runs {
            runs.push(RawRun {
                tool: tool.tool.clone(),
                version: tool.version.clone(),
                how,
                threads: run.threads,
                seconds: run.seconds,
                skipped: run.skipped,
            });
        }
    }
    let skipped = out
        .skipped
        .into_iter()
        .map(|s| ToolSkipped {
            tool: s.tool,
            reason: s.reason,
        })
        .collect();
    Ok((runs, skipped))
}

/// `vipsthumbnail`, one process per file, `threads` at a time, from the files on disk.
fn vipsthumbnail(
    jobs: &[Job],
    options: &BenchOptions,
    tools: &CompareOptions,
) -> Result<Vec<RawRun>, String> {
    let exe = &tools.vipsthumbnail;
    let version = Command::new(exe)
        .arg("--vips-version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{} on PATH", exe.display()),
            _ => format!("{} ({e})", exe.display()),
        })?;
    let version = String::from_utf8_lossy(&version.stdout)
        .trim()
        .trim_start_matches("libvips ")
        .to_owned();
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary folder ({e})"))?;
    let mut by_kind: BTreeMap<InputKind, Vec<usize>> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        by_kind.entry(job.kind).or_default().push(i);
    }
    let mut runs = Vec::new();
    for &threads in &options.threads {
        let mut seconds = BTreeMap::new();
        let mut skipped = BTreeMap::new();
        for (kind, indices) in &by_kind {
            let pass = || pass_vips(exe, jobs, indices, threads, dir.path());
            match pass() {
                Ok(_) => {
                    let mut times = Vec::new();
                    for _ in 0..options.repeat {
                        times.push(pass().unwrap_or(f64::NAN));
                    }
                    times.retain(|t| t.is_finite());
                    if let Some(m) = super::stats::median(&mut times) {
                        seconds.insert(kind.name().to_owned(), m);
                    }
                }
                Err(e) => {
                    skipped.insert(kind.name().to_owned(), e.to_string());
                }
            }
        }
        runs.push(RawRun {
            tool: "libvips (vipsthumbnail)".into(),
            version: version.clone(),
            how: "one vipsthumbnail process per file, from disk",
            threads,
            seconds,
            skipped,
        });
    }
    Ok(runs)
}

/// A `vipsthumbnail` run that did not succeed: the file, and its exit status or why it could
/// not start.
#[derive(Debug, thiserror::Error)]
#[error("vipsthumbnail failed on {path}: {reason}")]
struct VipsFailed {
    path: String,
    reason: String,
}

/// One pass of `vipsthumbnail` over the jobs `indices`, `threads` processes at a time: its
/// wall time, or the first failure.
fn pass_vips(
    exe: &Path,
    jobs: &[Job],
    indices: &[usize],
    threads: usize,
    out: &Path,
) -> Result<f64, VipsFailed> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let start = Instant::now();
    let failures: Vec<VipsFailed> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut failed = Vec::new();
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i) = indices.get(n) else { break };
                        let job = &jobs[i];
                        let ext = match job.output() {
                            "jpeg" => "jpg[Q=85,strip]",
                            "png" => "png[strip]",
                            "webp-lossless" => "webp[lossless,strip]",
                            _ => "webp[Q=85,strip]",
                        };
                        let size = job.outcome.output;
                        let status = Command::new(exe)
                            .arg(&job.path)
                            .arg("-s")
                            .arg(format!("{}x{}!", size.width, size.height))
                            .arg("-o")
                            .arg(out.join(format!("o{i}.{ext}")))
                            .env("VIPS_CONCURRENCY", "1")
                            .stdin(Stdio::null())
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status();
                        let reason = match status {
                            Ok(s) if s.success() => continue,
                            Ok(s) => s.to_string(),
                            Err(e) => e.to_string(),
                        };
                        let path = job.path.display().to_string();
                        failed.push(VipsFailed { path, reason });
                    }
                    failed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    match failures.into_iter().next() {
        Some(f) => Err(f),
        None => Ok(elapsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_report_is_read_per_tool_and_thread_count() {
        let json = br#"{"tools": [{"tool": "Pillow", "version": "11.0.0", "runs": [
            {"threads": 1, "seconds": {"PNG": 0.5}, "skipped": {"HEIC": "UnidentifiedImageError"}},
            {"threads": 2, "seconds": {"PNG": 0.3}, "skipped": {}}]}],
            "skipped": [{"tool": "libvips (pyvips)", "reason": "not importable"}]}"#;
        let (runs, skipped) = parse_harness(json).unwrap_or_default();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].threads, 2);
        assert_eq!(runs[0].seconds.get("PNG"), Some(&0.5));
        assert!(runs[0].skipped.contains_key("HEIC"));
        assert_eq!(skipped[0].tool, "libvips (pyvips)");
        assert!(parse_harness(b"Traceback").is_err());
    }
}
