//! `visionprep cost`: probe every file in parallel and report in input order.

use crate::args::{CacheArg, ChoiceArgs, CostArgs, EstimateArgs};
use crate::batch;
use crate::render::report;
use crate::walk::{Item, walk};
use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fs::File;
use std::io::IsTerminal;
use visionprep::core::{
    CacheUse, CostOptions, ErrorCode, Estimator, FileReport, ModelChoice, ModelMap, ModelPrice,
    PathText, PriceError, PriceTable, ReportError, RequestLimits, Totals,
};
use visionprep::{Limits, ProbeError, probe_file, probe_path};

/// Files probed per parallel batch: large enough to keep every core busy, small enough that
/// memory stays flat whatever the folder size.
const BATCH: usize = 2048;

/// The price table: built-in, extended by `--prices`.
pub(crate) fn price_table(args: &crate::args::PriceArgs) -> Result<PriceTable> {
    let mut table = PriceTable::builtin();
    if let Some(path) = &args.prices {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read price file {}", path.display()))?;
        table
            .merge_toml(&text)
            .with_context(|| format!("in {}", path.display()))?;
    }
    Ok(table)
}

/// The model data (built-in, extended by `--prices`) and the models `names` choose (the
/// default model when there are none), resolved once by the library's rules. Each chosen model
/// that is not current (deprecated, retired, legacy) gets its note on stderr, once per run.
pub(crate) fn choose(names: &[String], args: &ChoiceArgs) -> Result<(PriceTable, Vec<ModelPrice>)> {
    let mut table = price_table(&args.prices)?;
    let choice = ModelChoice {
        allow_retired: args.allow_retired,
        unknown: args.tier.zip(args.price_per_mtok),
    };
    let models = table.select(names, &choice).map_err(|e| {
        let hint = match &e {
            PriceError::UnknownModel { name, .. } => format!(
                "\nto estimate a model visionprep does not know yet, give its tier and input \
                 price: --tier standard|high-resolution --price-per-mtok USD, or a --prices \
                 file with one entry:\n  [[models]]\n  id = \"{}\"\n  tier = \"high-resolution\"\n  \
                 input = \"5\"\n  context_window = 1000000",
                name.trim()
            ),
            PriceError::Retired { .. } => {
                "\npass --allow-retired to estimate it anyway (a historic cost report)".to_owned()
            }
            PriceError::CustomUnused => {
                "\n--tier and --price-per-mtok describe a model the data does not know".to_owned()
            }
            _ => String::new(),
        };
        anyhow::anyhow!("{e}{hint}")
    })?;
    for m in &models {
        if let Some(note) = m.status_note() {
            eprintln!(
                "visionprep: warning: {note} (model data as of {})",
                table.as_of()
            );
        }
    }
    Ok((table, models))
}

/// The estimator for the models and options on the command line.
pub(crate) fn estimator(
    args: &EstimateArgs,
    table: &PriceTable,
    models: &[ModelPrice],
) -> Result<Estimator> {
    let options = CostOptions {
        batch: args.batch,
        cache: args.cache.map(|c| match c {
            CacheArg::Write5m => CacheUse::Write5m,
            CacheArg::Write1h => CacheUse::Write1h,
            CacheArg::Read => CacheUse::Read,
        }),
        us_only: args.us_only,
        prompt_tokens: args.prompt_tokens,
    };
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    Ok(Estimator::with_options(
        table,
        &ids,
        args.token_rule,
        Default::default(),
        &options,
    )?)
}

/// Everything a worker needs to assess one file.
pub(crate) struct Assessor {
    pub(crate) estimator: Estimator,
    pub(crate) limits: Limits,
    pub(crate) request: RequestLimits,
}

/// The outcome for one walked item: a report line, or nothing when a file found in a folder
/// turns out not to be an image.
pub(crate) enum Outcome {
    Report(FileReport),
    NotAnImage,
}

impl Assessor {
    pub(crate) fn assess(&self, item: &Item) -> Outcome {
        let path = item.path();
        let display = crate::walk::path_text(path);
        let probed = match item {
            Item::Broken { message, .. } => {
                return Outcome::Report(error_report(
                    display,
                    0,
                    None,
                    ErrorCode::Unreadable,
                    message.clone(),
                ));
            }
            // A regular file found by the walk: open and read without another stat.
            Item::Found { path: p, .. } => File::open(p)
                .map_err(ProbeError::from)
                .and_then(|f| probe_file(&f, &self.limits)),
            Item::Named(p) => probe_path(p, &self.limits),
        };
        let extension = path.extension().and_then(|e| e.to_str());
        match probed {
            Ok(probe) => {
                let facts = probe.facts(extension);
                let shown = probe.displayed();
                let models = self.estimator.models().iter().map(|m| m.id.clone());
                Outcome::Report(FileReport {
                    path: display.text,
                    path_escaped: display.escaped,
                    media_type: Some(probe.format.mime()),
                    format: Some(probe.format.name()),
                    bytes: probe.bytes,
                    width: Some(shown.width),
                    height: Some(shown.height),
                    models: ModelMap(models.zip(self.estimator.estimate(shown)).collect()),
                    problems: facts.problems(&self.request),
                    error: None,
                })
            }
            Err(ProbeError::NotAnImage(_) | ProbeError::Empty)
                if matches!(item, Item::Found { .. }) && !claims_image(extension) =>
            {
                Outcome::NotAnImage
            }
            Err(e) => {
                let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                Outcome::Report(error_report(
                    display,
                    bytes,
                    e.format(),
                    e.code(),
                    e.to_string(),
                ))
            }
        }
    }
}

fn claims_image(extension: Option<&str>) -> bool {
    extension.is_some_and(visionprep::core::Format::is_image_extension)
}

fn error_report(
    path: PathText,
    bytes: u64,
    format: Option<visionprep::core::Format>,
    code: ErrorCode,
    message: String,
) -> FileReport {
    FileReport {
        path: path.text,
        path_escaped: path.escaped,
        media_type: format.map(|f| f.mime()),
        format: format.map(|f| f.name()),
        bytes,
        width: None,
        height: None,
        models: ModelMap(Vec::new()),
        problems: Vec::new(),
        error: Some(ReportError { code, message }),
    }
}

/// Runs the report; returns the totals, whose error count decides the exit status.
pub(crate) fn run(args: &CostArgs, out: &mut dyn std::io::Write) -> Result<Totals> {
    let (table, models) = choose(&args.estimate.models, &args.estimate.choice)?;
    let assessor = Assessor {
        estimator: estimator(&args.estimate, &table, &models)?,
        limits: Limits::default().with_lenient(args.walk.lenient),
        request: args.profile.limits(),
    };
    let pool = batch::pool(args.walk.jobs)?;
    let progress = progress_bar(args.walk.no_progress);
    let mut renderer = report(args.format, out, &table, &assessor.estimator)?;
    let mut totals = Totals::new(assessor.estimator.models());
    let mut not_images = 0u64;
    let walked = walk(&args.paths, args.walk.hidden);
    batch::in_order(
        walked,
        &pool,
        BATCH,
        || (),
        |(), item| assessor.assess(item),
        |_, outcome| {
            progress.inc(1);
            match outcome {
                Outcome::Report(report) => {
                    totals.add(&report);
                    renderer.file(&report)?;
                }
                Outcome::NotAnImage => not_images += 1,
            }
            Ok(std::ops::ControlFlow::Continue(()))
        },
    )?;
    progress.finish_and_clear();
    renderer.finish(&totals, not_images)?;
    Ok(totals)
}

pub(crate) fn progress_bar(disabled: bool) -> ProgressBar {
    if disabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} files  {per_sec}  {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}
