//! Throughput on the user's own images and machine: how many images a second each stage of
//! [`prepare`](visionprep::prepare()) and the whole pipeline reach, per kind of input and per thread
//! count, and how that compares with Pillow and libvips run on the same images in the same run.
//!
//! The inputs are read into memory first ([`load`]): disk is not measured. Each thread count
//! runs each kind of input as its own set (decoders differ most between kinds): one untimed
//! warm-up pass, then [`BenchOptions::repeat`] timed passes, of which the median wall time
//! counts. Stage times come from the pipeline itself (it tells a clock as each step ends), so
//! they add up to the whole.
//!
//! ```no_run
//! use visionprep_bench::{self as bench, BenchOptions};
//! use visionprep::Limits;
//!
//! let loaded = bench::load(&["photos".into()], &Limits::default(), 1 << 30);
//! let options = BenchOptions { threads: vec![1, 4], ..BenchOptions::default() };
//! let report = bench::run(&loaded, &options, &mut |step| eprintln!("{step}"))?;
//! for run in &report.runs {
//!     let all = &run.total;
//!     println!("{} threads: {:.1} images/s, {:.0} MP/s", run.threads, all.images_per_second,
//!         all.megapixels_per_second);
//! }
//! report.write_text(&mut std::io::stdout(), true)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod compare;
mod run;
mod stats;
mod sweep;
mod text;

use compare::compare;
pub use compare::{CompareOptions, KindRate, ToolRun, ToolSkipped};
pub use run::{
    BadThreadCount, BenchOptions, KindResult, StageResult, ThreadRun, Timing, cpus, parse_threads,
    run,
};
use sweep::sweep;
pub use sweep::{SweepRow, synthetic_photo};

use serde::Serialize;
use std::path::{Path, PathBuf};
use visionprep::Limits;
use visionprep::folder::{Item, path_text, walk};
use visionprep::prepare::Stage;
use visionprep::probe::{Probe, ProbeError, probe_bytes};
use visionprep_core::{ErrorCode, Format};

/// What kind of input an image is, for grouping results: decoders differ most between these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum InputKind {
    /// A baseline (sequential Huffman) JPEG.
    BaselineJpeg,
    /// A progressive JPEG.
    ProgressiveJpeg,
    /// An arithmetic-coded, lossless or 12-bit JPEG.
    OtherJpeg,
    /// PNG (APNG too).
    Png,
    /// GIF.
    Gif,
    /// Lossy WebP (VP8).
    LossyWebp,
    /// Lossless WebP (VP8L).
    LosslessWebp,
    /// HEIC.
    Heic,
    /// AVIF.
    Avif,
    /// JPEG XL.
    JpegXl,
    /// Any other format visionprep reads (TIFF, BMP, ...).
    Other(Format),
}

impl InputKind {
    /// The kind of the image `probe` describes.
    pub fn of(probe: &Probe) -> InputKind {
        match probe.format {
            Format::Jpeg => match probe.jpeg {
                Some(j) if j.arithmetic || j.lossless || j.precision != 8 => InputKind::OtherJpeg,
                Some(j) if j.progressive => InputKind::ProgressiveJpeg,
                _ => InputKind::BaselineJpeg,
            },
            Format::Png => InputKind::Png,
            Format::Gif => InputKind::Gif,
            Format::Webp if probe.webp.is_some_and(|w| w.lossless) => InputKind::LosslessWebp,
            Format::Webp => InputKind::LossyWebp,
            Format::Heic => InputKind::Heic,
            Format::Avif => InputKind::Avif,
            Format::JpegXl => InputKind::JpegXl,
            other => InputKind::Other(other),
        }
    }

    /// Its name in reports: `baseline JPEG`, `lossy WebP`, `HEIC`, ...
    pub fn name(self) -> &'static str {
        match self {
            InputKind::BaselineJpeg => "baseline JPEG",
            InputKind::ProgressiveJpeg => "progressive JPEG",
            InputKind::OtherJpeg => "other JPEG",
            InputKind::Png => "PNG",
            InputKind::Gif => "GIF",
            InputKind::LossyWebp => "lossy WebP",
            InputKind::LosslessWebp => "lossless WebP",
            InputKind::Heic => "HEIC",
            InputKind::Avif => "AVIF",
            InputKind::JpegXl => "JPEG XL",
            InputKind::Other(f) => f.name(),
        }
    }
}

/// One image held in memory for the benchmark.
#[derive(Debug, Clone)]
pub struct BenchInput {
    /// Its path as report text.
    pub name: String,
    /// The file it was read from (none for a synthetic image).
    pub path: Option<PathBuf>,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its header.
    pub probe: Probe,
    /// Its kind.
    pub kind: InputKind,
}

impl BenchInput {
    /// An image held in memory under `name` (its header is read here).
    pub fn from_bytes(
        name: impl Into<String>,
        bytes: Vec<u8>,
        limits: &Limits,
    ) -> Result<BenchInput, ProbeError> {
        let probe = probe_bytes(&bytes, limits)?;
        Ok(BenchInput {
            name: name.into(),
            path: None,
            kind: InputKind::of(&probe),
            probe,
            bytes,
        })
    }

    /// Its displayed size in megapixels.
    pub fn megapixels(&self) -> f64 {
        let s = self.probe.displayed();
        f64::from(s.width) * f64::from(s.height) / 1e6
    }
}

/// An input that is not measured, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its path as report text.
    pub path: String,
    /// The error's code (`corrupt`, `unreadable`, ...; see the cost report's codes).
    pub error_code: ErrorCode,
    /// What is wrong, in words.
    pub error: String,
}

/// The inputs of a benchmark, read into memory.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The images to measure, in walk order.
    pub inputs: Vec<BenchInput>,
    /// Files that cannot be measured (unreadable, not images, failing to prepare), each with
    /// its reason.
    pub skipped: Vec<Skipped>,
    /// Files in folders that are not images (no image bytes, no image extension): passed over.
    pub passed_over: u64,
    /// Images left unread because the inputs already held `max_bytes` (the benchmark keeps
    /// every input in memory).
    pub not_loaded: u64,
}

impl Loaded {
    /// The inputs' total size in bytes.
    pub fn bytes(&self) -> u64 {
        self.inputs.iter().map(|i| i.bytes.len() as u64).sum()
    }
}

/// Reads the images under `paths` (files, and folders walked in name order, hidden entries
/// passed over) into memory, probing each. Unreadable files and files that are not images are
/// [`Loaded::skipped`] with their reason (in folders, files that are neither image bytes nor
/// named as images are passed over, as `cost` does). Reading stops once the inputs hold
/// `max_bytes`: the rest are counted in [`Loaded::not_loaded`].
pub fn load(paths: &[PathBuf], limits: &Limits, max_bytes: u64) -> Loaded {
    let mut loaded = Loaded::default();
    let mut held = 0u64;
    for item in walk(paths, false) {
        let path = item.path().to_path_buf();
        let name = path_text(&path).text;
        let skip = |code: ErrorCode, error: String| Skipped {
            path: name.clone(),
            error_code: code,
            error,
        };
        if let Item::Broken { message, .. } = &item {
            loaded
                .skipped
                .push(skip(ErrorCode::Unreadable, message.clone()));
            continue;
        }
        if held >= max_bytes {
            loaded.not_loaded += 1;
            continue;
        }
        match read(&path, limits) {
            Ok((bytes, probe)) => {
                held += bytes.len() as u64;
                loaded.inputs.push(BenchInput {
                    name,
                    path: Some(path),
                    kind: InputKind::of(&probe),
                    probe,
                    bytes,
                });
            }
            Err(ProbeError::NotAnImage(_) | ProbeError::Empty)
                if matches!(item, Item::Found { .. }) && !has_image_extension(&path) =>
            {
                loaded.passed_over += 1;
            }
            Err(e) => loaded.skipped.push(skip(e.code(), e.to_string())),
        }
    }
    loaded
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(Format::is_image_extension)
}

/// Reads a file whole (refusing one over the limits' file size unread) and probes it.
fn read(path: &Path, limits: &Limits) -> Result<(Vec<u8>, Probe), ProbeError> {
    let probe = visionprep::probe::probe_path(path, limits)?;
    visionprep::prepare::check_file_bytes(&probe, limits)?;
    let bytes = std::fs::read(path)?;
    let probe = if bytes.len() as u64 == probe.bytes {
        probe
    } else {
        probe_bytes(&bytes, limits)?
    };
    Ok((bytes, probe))
}

/// Why a benchmark could not run at all (a file that fails is [`Skipped`], never this).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// No input could be measured: none was given, or every one was skipped (each listed
    /// with its reason).
    #[error("no image to measure{}", list_skipped(skipped))]
    NoInputs {
        /// The inputs given and skipped.
        skipped: Vec<Skipped>,
    },
    /// A thread count of 0, or more threads than the system can start.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// The thread count asked for.
        threads: usize,
        /// Why not.
        reason: String,
    },
    /// The options cannot be used (`repeat` of 0, an invalid size).
    #[error("{0}")]
    Options(String),
}

impl BenchError {
    /// Its stable code: `invalid-options` (nothing to measure, bad options) or `internal`.
    pub fn code(&self) -> ErrorCode {
        match self {
            BenchError::Threads { .. } => ErrorCode::Internal,
            _ => ErrorCode::InvalidOptions,
        }
    }
}

/// `: every input was skipped:` and one line per skipped input, or nothing.
fn list_skipped(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = skipped
        .iter()
        .map(|s| format!("\n  {}: {}: {}", s.path, s.error_code.as_str(), s.error))
        .collect();
    format!(": every input was skipped:{}", lines.concat())
}

/// Everything one `visionprep bench` run measured: the JSON report's shape.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The model whose targets the images were prepared for.
    pub model: String,
    /// Logical CPUs of this machine.
    pub cpus: usize,
    /// The thread counts measured.
    pub threads: Vec<usize>,
    /// Timed passes per measurement (after one warm-up pass).
    pub repeat: usize,
    /// The inputs measured.
    pub inputs: InputSummary,
    /// Inputs not measured, with their reasons.
    pub skipped: Vec<Skipped>,
    /// One run per thread count.
    pub runs: Vec<ThreadRun>,
    /// The input-size sweep (empty unless asked for).
    pub sweep: Vec<SweepRow>,
    /// Other tools timed on the same images in the same run (empty unless asked for).
    pub compare: Vec<ToolRun>,
    /// Other tools that were asked for but not run, and why.
    pub compare_skipped: Vec<ToolSkipped>,
}

/// The measured inputs, in sum.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// Images measured.
    pub images: usize,
    /// Their displayed megapixels.
    pub megapixels: f64,
    /// Their bytes, held in memory.
    pub bytes: u64,
    /// Images per kind, in report order.
    pub kinds: Vec<KindCount>,
    /// Always true: the inputs are read into memory before timing, so disk is not measured.
    pub in_memory: bool,
    /// Files in folders passed over as not images.
    pub passed_over: u64,
    /// Images not read because the in-memory cap was reached.
    pub not_loaded: u64,
}

/// How many images of one kind were measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// The kind's name (`baseline JPEG`, ...).
    pub kind: String,
    /// Images of that kind.
    pub images: usize,
}

/// The per-stage times of one prepared image.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    /// Which input it is (the input's address: the same image repeated in a pass is one).
    pub(crate) input: usize,
    pub(crate) whole: std::time::Duration,
    pub(crate) stages: [Option<std::time::Duration>; Stage::ALL.len()],
}

/// Milliseconds of `stage` in each sample that went through it.
pub(crate) fn stage_ms(samples: &[Sample], stage: Stage) -> Vec<f64> {
    samples
        .iter()
        .filter_map(|s| s.stages[stage.index()].map(stats::ms))
        .collect()
}

/// The README's example, run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
