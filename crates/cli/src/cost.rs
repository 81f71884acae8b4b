//! `visionprep cost`: probe every file in parallel and report in input order.

use crate::args::{CacheArg, ChoiceArgs, CostArgs, EstimateArgs, OutputFormat};
use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use visionprep::Limits;
use visionprep::core::{
    Allowance, CacheUse, CostOptions, Estimator, ModelChoice, ModelPrice, PriceError, PriceTable,
    Size, SizeSet, TileMode, Totals,
};
use visionprep::folder::{Assessor, RunOptions, Step, assess_folder};
use visionprep::report::{FolderBudgetReport, cost_report};

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
    let tiles = args.sizing.tile_options();
    tiles
        .check_budget(args.sizing.token_budget)
        .map_err(anyhow::Error::msg)?;
    let estimated_tiles = match tiles.mode {
        TileMode::Always => Some((tiles.min_scale, tiles.overlap)),
        TileMode::Auto => {
            eprintln!(
                "visionprep: note: --tiles auto tiles drawn images only, which takes their \
                 pixels: estimates from headers show no tiles (`prepare --tiles auto` reports \
                 them; --tiles always estimates tiles for every image)"
            );
            None
        }
        TileMode::Never => None,
    };
    Ok(
        Estimator::with_options(table, &ids, args.token_rule, Default::default(), &options)?
            .with_budget(args.sizing.token_budget)
            .with_tiles(estimated_tiles),
    )
}

/// Runs the report; returns the totals, whose error count decides the exit status.
pub(crate) fn run(args: &CostArgs, out: &mut dyn std::io::Write) -> Result<Totals> {
    let (table, models) = choose(&args.estimate.models, &args.estimate.choice)?;
    let assessor = Assessor {
        estimator: estimator(&args.estimate, &table, &models)?,
        limits: Limits::default().with_lenient(args.walk.lenient),
        request: args.profile.limits(),
    };
    let run = RunOptions {
        jobs: args.walk.jobs,
        hidden: args.walk.hidden,
        ..RunOptions::default()
    };
    let progress = progress_bar(args.walk.no_progress);
    let mut renderer = cost_report(args.format.into(), out, &table, &assessor.estimator)?;
    let allowance = match (args.budget_usd, args.total_token_budget) {
        (Some(usd), _) => Some(Allowance::Usd(usd)),
        (None, Some(tokens)) => Some(Allowance::Tokens(tokens)),
        (None, None) => None,
    };
    // The sizes (as displayed) of the images read, for a folder budget: 8 bytes an image.
    let mut sizes: Vec<Size> = Vec::new();
    let (totals, skipped) = assess_folder::<anyhow::Error>(&args.paths, &assessor, &run, |step| {
        progress.inc(1);
        match step {
            Step::Row(report) => {
                if allowance.is_some() {
                    sizes.extend(report.size());
                }
                Ok(renderer.file(report)?)
            }
            Step::Skipped => Ok(()),
        }
    })?;
    progress.finish_and_clear();
    if let Some(allowance) = allowance {
        let budget = FolderBudgetReport::new(&assessor.estimator, &SizeSet::new(sizes), allowance);
        if args.format == OutputFormat::Csv {
            // CSV holds rows only: the answer goes to stderr.
            budget.write_text(&mut std::io::stderr().lock())?;
        }
        renderer.budget(budget);
    }
    renderer.finish(&totals, skipped)?;
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
