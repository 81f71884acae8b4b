//! `visionprep cost`: probe every file in parallel and report in input order.

use crate::args::{CostArgs, OutputFormat};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use visionprep::core::{Allowance, PriceTable, Size, SizeSet, Totals};
use visionprep::folder::{RunOptions, Step, assess_folder};
use visionprep::report::{FolderBudgetReport, cost_report};
use visionprep::settings::Front;
use visionprep::{Resolved, Settings, SettingsError};

/// The price table: built-in, extended by `--prices`.
pub(crate) fn price_table(args: &crate::args::PriceArgs) -> Result<PriceTable> {
    Ok(args.settings().price_table()?)
}

/// The settings resolved by the library. Each chosen model that is not current (deprecated,
/// retired, legacy) gets its warning on stderr, once per run; a model that cannot be chosen
/// gets the flags that would choose it.
pub(crate) fn resolve(settings: &Settings) -> Result<Resolved> {
    // A model that cannot be chosen: the message says what to give instead, as flags.
    let run = settings.resolve().map_err(|e| match &e {
        SettingsError::Model(_) => anyhow::anyhow!(e.message_for(Front::Cli)),
        _ => anyhow::Error::new(e),
    })?;
    for warning in &run.warnings {
        eprintln!("visionprep: warning: {warning}");
    }
    for note in &run.notes {
        eprintln!("visionprep: note: {note}");
    }
    Ok(run)
}

/// Runs the report; returns the totals, whose error count decides the exit status.
pub(crate) fn run(args: &CostArgs, out: &mut dyn std::io::Write) -> Result<Totals> {
    let mut settings = args.estimate.settings();
    settings.profile = args.profile;
    settings.lenient = args.walk.lenient;
    let resolved = resolve(&settings)?;
    let assessor = resolved.assessor();
    let table = &resolved.table;
    let run = RunOptions {
        jobs: args.walk.jobs,
        hidden: args.walk.hidden,
        ..RunOptions::default()
    };
    let progress = progress_bar(args.walk.no_progress);
    let mut renderer = cost_report(args.format.into(), out, table, &assessor.estimator)?;
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
