//! The measurement: per thread count, per kind, a warm-up pass and timed passes.

use super::stats::{median, ms, peak_rss, quantile, reset_peak_rss};
use super::{
    BenchError, BenchInput, BenchReport, InputKind, InputSummary, Loaded, Sample, Skipped,
};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;
use visionprep::prepare::{Clock, PrepareOptions, Preparer, Stage};
use visionprep::probe::probe_bytes;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// How images are prepared (the model's targets, quality, limits).
    pub prepare: PrepareOptions,
    /// The thread counts to measure, each a run of its own (default: 1 and every CPU).
    pub threads: Vec<usize>,
    /// Timed passes per measurement, after one warm-up pass (default 3); the median counts.
    pub repeat: usize,
    /// Other tools to time on the same images (`None`: visionprep only).
    pub compare: Option<super::CompareOptions>,
    /// Synthetic photo sizes, in megapixels, for the input-size sweep (empty: no sweep).
    pub sizes: Vec<f64>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        let cpus = cpus();
        let mut threads = vec![1, cpus];
        threads.dedup();
        BenchOptions {
            prepare: PrepareOptions::default(),
            threads,
            repeat: 3,
            compare: None,
            sizes: Vec::new(),
        }
    }
}

/// Logical CPUs of this machine (1 when the system does not say): what `max` threads means.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A thread count that is not a whole number from 1 to 1024, nor `max`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a thread count (1 to 1024, or max)")]
pub struct BadThreadCount(pub String);

/// Thread counts as written on a command line, `1,2,max`: `max` is `cpus`; in the order
/// given, a count named twice measured once.
///
/// ```
/// assert_eq!(visionprep_bench::parse_threads("1, max,2", 2), Ok(vec![1, 2]));
/// assert!(visionprep_bench::parse_threads("0", 2).is_err());
/// ```
pub fn parse_threads(text: &str, cpus: usize) -> Result<Vec<usize>, BadThreadCount> {
    let mut counts: Vec<usize> = Vec::new();
    for t in text.split(',').map(str::trim) {
        let n = match t {
            "max" => cpus,
            n => match n.parse::<usize>() {
                Ok(n) if (1..=1024).contains(&n) => n,
                _ => return Err(BadThreadCount(n.to_owned())),
            },
        };
        if !counts.contains(&n) {
            counts.push(n);
        }
    }
    Ok(counts)
}

/// One thread count's results.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadRun {
    /// Worker threads.
    pub threads: usize,
    /// Peak resident memory of the process during this run, inputs in memory included (Linux;
    /// `None` elsewhere).
    pub peak_rss_bytes: Option<u64>,
    /// One result per kind of input, in report order.
    pub kinds: Vec<KindResult>,
    /// All kinds together: their passes' median times summed.
    pub total: KindResult,
}

/// The results of one set of images (one kind, or all) at one thread count.
#[derive(Debug, Clone, Serialize)]
pub struct KindResult {
    /// The kind's name, or `all`.
    pub kind: String,
    /// Images in the set.
    pub images: usize,
    /// Their displayed megapixels.
    pub megapixels: f64,
    /// Images prepared in one pass: the set, repeated so that every thread has at least 4.
    pub images_per_pass: usize,
    /// Median wall time of one pass, in seconds.
    pub seconds: f64,
    /// Images prepared per second.
    pub images_per_second: f64,
    /// Input megapixels prepared per second.
    pub megapixels_per_second: f64,
    /// Throughput over `threads` x the throughput of the fewest threads measured, scaled to
    /// their count: 1.0 is perfect scaling (`None` for the fewest threads themselves).
    pub scaling_efficiency: Option<f64>,
    /// Time of one image's whole `prepare` (probe included), in milliseconds.
    pub prepare: Timing,
    /// Each stage, in pipeline order.
    pub stages: Vec<StageResult>,
}

/// A median and a 90th percentile, in milliseconds per image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timing {
    /// The median.
    pub median_ms: f64,
    /// The 90th percentile (nearest rank).
    pub p90_ms: f64,
}

/// One stage's times within a set.
#[derive(Debug, Clone, Serialize)]
pub struct StageResult {
    /// The stage's name (`decode`, `resize`, ...).
    pub stage: &'static str,
    /// Images of the set that went through it.
    pub images: usize,
    /// Its time per image among those, when any did.
    pub timing: Option<Timing>,
    /// Its share of the set's whole preparation time, when any image went through it.
    pub share: Option<f64>,
    /// Why no image went through it, when none did.
    pub not_run: Option<&'static str>,
}

/// The pipeline's clock in a benchmark: each stage's time since the previous one ended.
struct Laps {
    last: Instant,
    sample: Sample,
}

impl Clock for Laps {
    fn lap(&mut self, stage: Stage) {
        let now = Instant::now();
        let slot = &mut self.sample.stages[stage.index()];
        *slot = Some(slot.unwrap_or_default() + (now - self.last));
        self.last = now;
    }
}

/// Prepares one image from its bytes (the header read again, as a caller holding only bytes
/// would), timing each stage.
pub(crate) fn time_one(
    preparer: &mut Preparer,
    input: &BenchInput,
    options: &PrepareOptions,
) -> Result<(Sample, visionprep::Prepared), visionprep::PrepareError> {
    let start = Instant::now();
    let mut laps = Laps {
        last: start,
        sample: Sample::default(),
    };
    let probe = probe_bytes(&input.bytes, &options.limits)?;
    laps.lap(Stage::Probe);
    let prepared = preparer.prepare_timed(&input.bytes, &probe, options, &mut laps)?;
    laps.sample.whole = start.elapsed();
    Ok((laps.sample, prepared))
}

/// What one input became in the check pass: the compare's jobs copy it.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) passed_through: bool,
    pub(crate) output: visionprep_core::Size,
    pub(crate) media_type: visionprep_core::MediaType,
}

/// Measures `loaded` at every thread count of `options`. `progress` is told what is being
/// measured as it starts (a line of text for a status display).
///
/// Every input is prepared once first, untimed: those that fail are moved to
/// [`BenchReport::skipped`] with their error, so that every thread count measures the same
/// images.
///
/// With [`BenchOptions::compare`], the other tools are timed next, on the same images; with
/// [`BenchOptions::sizes`], the input-size sweep runs last (alone, when no input was given).
pub fn run(
    loaded: &Loaded,
    options: &BenchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BenchReport, BenchError> {
    let sweep_only = loaded.inputs.is_empty() && !options.sizes.is_empty();
    let mut report = if sweep_only {
        empty_report(loaded, options)
    } else {
        let (mut report, measured) = run_checked(loaded, options, progress)?;
        if let Some(tools) = &options.compare {
            super::compare(&mut report, &measured, options, tools, progress);
        }
        report
    };
    report.sweep = super::sweep(&options.sizes, options, progress)?;
    Ok(report)
}

fn empty_report(loaded: &Loaded, options: &BenchOptions) -> BenchReport {
    BenchReport {
        model: options.prepare.target.model().to_owned(),
        cpus: cpus(),
        threads: options.threads.clone(),
        repeat: options.repeat,
        inputs: InputSummary {
            images: 0,
            megapixels: 0.0,
            bytes: 0,
            kinds: Vec::new(),
            in_memory: true,
            passed_over: loaded.passed_over,
            not_loaded: loaded.not_loaded,
        },
        skipped: loaded.skipped.clone(),
        runs: Vec::new(),
        sweep: Vec::new(),
        compare: Vec::new(),
        compare_skipped: Vec::new(),
    }
}

/// The inputs that were measured, each with what it became.
pub(crate) type Measured<'a> = Vec<(&'a BenchInput, Outcome)>;

/// [`run`], also handing back the inputs that were measured and what each became.
pub(crate) fn run_checked<'a>(
    loaded: &'a Loaded,
    options: &BenchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(BenchReport, Measured<'a>), BenchError> {
    if options.repeat == 0 {
        return Err(BenchError::Options("--repeat must be at least 1".into()));
    }
    if options.threads.is_empty() {
        return Err(BenchError::Options("no thread count to measure".into()));
    }
    let widest = options.threads.iter().copied().max().unwrap_or(1);
    let check_pool = pool(widest)?;
    progress(&format!("checking {} images", loaded.inputs.len()));
    let checked: Vec<_> = check_pool.install(|| {
        loaded
            .inputs
            .par_iter()
            .map_init(Preparer::new, |p, input| {
                (input, time_one(p, input, &options.prepare))
            })
            .collect()
    });
    let mut skipped = loaded.skipped.clone();
    let mut inputs = Vec::new();
    for (input, result) in checked {
        match result {
            Ok((_, prepared)) => inputs.push((
                input,
                Outcome {
                    passed_through: prepared.actions.passed_through,
                    output: prepared.output_size,
                    media_type: prepared.media_type,
                },
            )),
            Err(e) => skipped.push(Skipped {
                path: input.name.clone(),
                error_code: e.code(),
                error: e.to_string(),
            }),
        }
    }
    if inputs.is_empty() {
        return Err(BenchError::NoInputs { skipped });
    }
    let mut by_kind: BTreeMap<InputKind, Vec<&BenchInput>> = BTreeMap::new();
    for (input, _) in &inputs {
        by_kind.entry(input.kind).or_default().push(input);
    }
    let mut runs: Vec<ThreadRun> = Vec::new();
    for &threads in &options.threads {
        let pool = pool(threads)?;
        reset_peak_rss();
        let mut kinds = Vec::new();
        let mut all_samples = Vec::new();
        let mut all_seconds = 0.0;
        for (kind, set) in &by_kind {
            let jobs = repeated(set, widest);
            progress(&format!(
                "{threads} thread{}: {} ({} images)",
                if threads == 1 { "" } else { "s" },
                kind.name(),
                set.len()
            ));
            let (seconds, samples) = measure(&pool, &jobs, options);
            all_seconds += seconds;
            kinds.push(result(kind.name(), set, &jobs, seconds, &samples));
            all_samples.extend(samples);
        }
        let every: Vec<&BenchInput> = by_kind.values().flatten().copied().collect();
        let every_job: Vec<&BenchInput> = by_kind
            .values()
            .flat_map(|set| repeated(set, widest))
            .collect();
        let total = result("all", &every, &every_job, all_seconds, &all_samples);
        runs.push(ThreadRun {
            threads,
            peak_rss_bytes: peak_rss(),
            kinds,
            total,
        });
    }
    scale(&mut runs);
    let measured: Vec<&BenchInput> = inputs.iter().map(|(i, _)| *i).collect();
    let report = BenchReport {
        model: options.prepare.target.model().to_owned(),
        cpus: cpus(),
        threads: options.threads.clone(),
        repeat: options.repeat,
        inputs: InputSummary {
            images: measured.len(),
            megapixels: measured.iter().map(|i| i.megapixels()).sum(),
            bytes: measured.iter().map(|i| i.bytes.len() as u64).sum(),
            kinds: by_kind
                .iter()
                .map(|(k, v)| super::KindCount {
                    kind: k.name().to_owned(),
                    images: v.len(),
                })
                .collect(),
            in_memory: true,
            passed_over: loaded.passed_over,
            not_loaded: loaded.not_loaded,
        },
        skipped,
        runs,
        sweep: Vec::new(),
        compare: Vec::new(),
        compare_skipped: Vec::new(),
    };
    Ok((report, inputs))
}

/// `set` as many times over as it takes to give each of `threads` workers at least
/// [`JOBS_PER_THREAD`] images a pass: a kind with one image cannot keep two threads busy,
/// and its throughput would say so rather than what the threads reach.
fn repeated<'a>(set: &[&'a BenchInput], threads: usize) -> Vec<&'a BenchInput> {
    let mut jobs = Vec::new();
    for _ in 0..copies(set.len(), threads) {
        jobs.extend_from_slice(set);
    }
    jobs
}

/// How many times a set of `images` is repeated in a pass for `threads` workers.
pub(crate) fn copies(images: usize, threads: usize) -> usize {
    (JOBS_PER_THREAD * threads).div_ceil(images.max(1)).max(1)
}

/// The fewest images a pass gives each worker thread.
const JOBS_PER_THREAD: usize = 4;

/// A pool of exactly `threads` workers.
fn pool(threads: usize) -> Result<rayon::ThreadPool, BenchError> {
    if threads == 0 {
        return Err(BenchError::Threads {
            threads,
            reason: "a thread count must be at least 1".into(),
        });
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("visionprep-bench-{i}"))
        .build()
        .map_err(|e| BenchError::Threads {
            threads,
            reason: e.to_string(),
        })
}

/// One warm-up pass over `set`, then the timed passes: the median pass time in seconds and
/// every image's sample from the timed passes.
fn measure(
    pool: &rayon::ThreadPool,
    set: &[&BenchInput],
    options: &BenchOptions,
) -> (f64, Vec<Sample>) {
    let pass = || -> (f64, Vec<Sample>) {
        let start = Instant::now();
        let samples: Vec<Sample> = pool.install(|| {
            set.par_iter()
                .with_max_len(1)
                .map_init(Preparer::new, |p, input| {
                    // The check pass kept only inputs that prepare; one failing now (it
                    // cannot, the bytes are the same) is timed as far as it went.
                    let sample = time_one(p, input, &options.prepare)
                        .map_or_else(|_| Sample::default(), |s| s.0);
                    Sample {
                        input: std::ptr::from_ref::<BenchInput>(input) as usize,
                        ..sample
                    }
                })
                .collect()
        });
        (start.elapsed().as_secs_f64(), samples)
    };
    let _ = pass();
    let mut seconds = Vec::new();
    let mut samples = Vec::new();
    for _ in 0..options.repeat {
        let (s, mut v) = pass();
        seconds.push(s);
        samples.append(&mut v);
    }
    (median(&mut seconds).unwrap_or(0.0), samples)
}

/// The result of a set from its median pass time and its samples.
fn result(
    kind: &str,
    set: &[&BenchInput],
    jobs: &[&BenchInput],
    seconds: f64,
    samples: &[Sample],
) -> KindResult {
    let images = set.len();
    let per_pass = jobs.len();
    let megapixels: f64 = set.iter().map(|i| i.megapixels()).sum();
    let megapixels_per_pass: f64 = jobs.iter().map(|i| i.megapixels()).sum();
    let per_second = |x: f64| if seconds > 0.0 { x / seconds } else { 0.0 };
    let mut whole: Vec<f64> = samples.iter().map(|s| ms(s.whole)).collect();
    let whole_sum: f64 = whole.iter().sum();
    let prepare = timing(&mut whole).unwrap_or(Timing {
        median_ms: 0.0,
        p90_ms: 0.0,
    });
    let stages = Stage::ALL
        .iter()
        .map(|&stage| {
            let mut times = super::stage_ms(samples, stage);
            let sum: f64 = times.iter().sum();
            // Images of the set (not jobs of a pass) that went through the stage.
            let ran = samples
                .iter()
                .filter(|s| s.stages[stage.index()].is_some())
                .map(|s| s.input)
                .collect::<std::collections::HashSet<_>>()
                .len();
            let timing = timing(&mut times);
            StageResult {
                stage: stage.name(),
                images: ran,
                share: timing.and(Some(if whole_sum > 0.0 {
                    sum / whole_sum
                } else {
                    0.0
                })),
                timing,
                not_run: timing.is_none().then(|| not_run(stage)),
            }
        })
        .collect();
    KindResult {
        kind: kind.to_owned(),
        images,
        megapixels,
        images_per_pass: per_pass,
        seconds,
        images_per_second: per_second(per_pass as f64),
        megapixels_per_second: per_second(megapixels_per_pass),
        scaling_efficiency: None,
        prepare,
        stages,
    }
}

fn timing(values: &mut [f64]) -> Option<Timing> {
    Some(Timing {
        median_ms: median(values)?,
        p90_ms: quantile(values, 0.9)?,
    })
}

/// Why no image of a set went through `stage`.
fn not_run(stage: Stage) -> &'static str {
    match stage {
        Stage::Probe => "no image was measured",
        Stage::Verify => "no image was ready to go as it is (nothing passed through)",
        Stage::Decode | Stage::Color | Stage::Encode => {
            "every image was ready to go as it is (passed through: nothing to decode or encode)"
        }
        Stage::Resize => "no image needed resizing (all were within the model's size already)",
        _ => "no image went through this stage",
    }
}

/// Fills in scaling efficiency against the run with the fewest threads.
fn scale(runs: &mut [ThreadRun]) {
    let Some(base) = runs.iter().min_by_key(|r| r.threads).cloned() else {
        return;
    };
    for run in runs.iter_mut().filter(|r| r.threads != base.threads) {
        let factor = run.threads as f64 / base.threads as f64;
        let eff = |now: &KindResult, then: &KindResult| {
            (then.images_per_second > 0.0)
                .then(|| now.images_per_second / (factor * then.images_per_second))
        };
        for kind in &mut run.kinds {
            if let Some(then) = base.kinds.iter().find(|k| k.kind == kind.kind) {
                kind.scaling_efficiency = eff(kind, then);
            }
        }
        run.total.scaling_efficiency = eff(&run.total, &base.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CompareOptions, Loaded, synthetic_photo};
    use visionprep::Limits;

    fn input(mp: f64) -> BenchInput {
        let bytes = synthetic_photo(mp).unwrap_or_default();
        let input = BenchInput::from_bytes(format!("{mp} MP"), bytes, &Limits::default());
        input.unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn every_thread_count_measures_the_same_images_and_counts_stages_per_image() {
        let mut loaded = Loaded {
            inputs: vec![input(0.3), input(2.0)],
            ..Loaded::default()
        };
        // Bytes that are not an image at all are dropped by the check pass, named.
        let mut broken = input(0.3);
        broken.bytes.truncate(broken.bytes.len() / 2);
        broken.name = "broken".into();
        loaded.inputs.push(broken);
        let options = BenchOptions {
            threads: vec![2, 1],
            repeat: 1,
            compare: Some(CompareOptions::default()),
            ..BenchOptions::default()
        };
        let report = run(&loaded, &options, &mut |_| {}).map_err(|e| e.to_string());
        let report = report.unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].path, "broken");
        assert_eq!(report.inputs.images, 2);
        assert_eq!(report.runs.len(), 2);
        for run in &report.runs {
            assert_eq!(run.kinds.len(), 1);
            let set = &run.kinds[0];
            assert_eq!(set.kind, "baseline JPEG");
            // Two images, repeated so that each of 2 threads gets 4 a pass.
            assert_eq!((set.images, set.images_per_pass), (2, 8));
            let ran = |name: &str| {
                let stage = set.stages.iter().find(|s| s.stage == name);
                stage.map_or(usize::MAX, |s| s.images)
            };
            // The 0.3 MP photo passes through (verified); the 2 MP one is made anew.
            assert_eq!(ran("probe"), 2);
            assert_eq!(ran("verify"), 1);
            assert_eq!(ran("decode"), 1);
            assert_eq!(ran("resize"), 1);
            assert_eq!(ran("encode"), 1);
            let share: f64 = set.stages.iter().filter_map(|s| s.share).sum();
            assert!(share > 0.5 && share <= 1.0 + 1e-9, "{share}");
        }
        // Scaling is against the fewest threads, whatever the order asked.
        assert_eq!(report.runs[0].threads, 2);
        assert!(report.runs[0].total.scaling_efficiency.is_some());
        assert!(report.runs[1].total.scaling_efficiency.is_none());
        // Images held only in memory cannot be handed to other tools.
        assert!(report.compare.is_empty());
        assert!(report.compare_skipped[0].reason.contains("only in memory"));
    }

    #[test]
    fn nothing_to_measure_and_bad_options_are_errors() {
        let empty = Loaded::default();
        let options = BenchOptions::default();
        assert!(matches!(
            run(&empty, &options, &mut |_| {}),
            Err(BenchError::NoInputs { .. })
        ));
        // Every input failing: the error names each with its reason.
        let mut broken = input(0.1);
        broken.bytes.truncate(100);
        broken.name = "cut.jpg".into();
        let all_bad = Loaded {
            inputs: vec![broken],
            ..Loaded::default()
        };
        let message =
            run(&all_bad, &options, &mut |_| {}).map_or_else(|e| e.to_string(), |_| String::new());
        assert!(
            message.contains("every input was skipped:\n  cut.jpg: "),
            "{message}"
        );
        let loaded = Loaded {
            inputs: vec![input(0.1)],
            ..Loaded::default()
        };
        for options in [
            BenchOptions {
                repeat: 0,
                ..BenchOptions::default()
            },
            BenchOptions {
                threads: vec![],
                ..BenchOptions::default()
            },
        ] {
            assert!(matches!(
                run(&loaded, &options, &mut |_| {}),
                Err(BenchError::Options(_))
            ));
        }
        let zero = BenchOptions {
            threads: vec![0],
            ..BenchOptions::default()
        };
        assert!(matches!(
            run(&loaded, &zero, &mut |_| {}),
            Err(BenchError::Threads { .. })
        ));
    }
}
