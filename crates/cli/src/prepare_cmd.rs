//! `visionprep prepare`: arguments in, the library's folder run, the report out.

use crate::args::{PipelineArgs, PrepareArgs};
use crate::cost::{choose, progress_bar};
use anyhow::Result;
use std::io::Write;
use visionprep::core::{ModelPrice, PriceTable};
use visionprep::folder::{Assessor, RunOptions, Step, prepare_folder};
use visionprep::prepare::PrepareOptions;
use visionprep::report::PrepareReport;

/// Options, prices and the input assessor for the pipeline flags of `prepare`, `request` and
/// `batch`, with the model data and the model chosen.
pub(crate) fn pipeline(
    p: &PipelineArgs,
) -> Result<(PrepareOptions, Assessor, PriceTable, ModelPrice)> {
    let names: Vec<String> = p.model.iter().cloned().collect();
    let (table, models) = choose(&names, &p.choice)?;
    let model = &models[0];
    let mut options = p.image.options(&table, model);
    options.token_rule = p.token_rule;
    options.limits = options.limits.with_lenient(p.walk.lenient);
    options.tiles = p.sizing.tile_options();
    options.token_budget = p.sizing.token_budget;
    options.check().map_err(anyhow::Error::msg)?;
    let assessor = Assessor::for_prepare(&table, &options)?;
    let model = model.clone();
    Ok((options, assessor, table, model))
}

pub(crate) fn run(args: &PrepareArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let (options, assessor, ..) = pipeline(p)?;
    let run = RunOptions {
        jobs: p.walk.jobs,
        hidden: p.walk.hidden,
        force: args.force,
        prune: args.prune,
    };
    let progress = progress_bar(p.walk.no_progress);
    let mut sink = PrepareReport::new(args.format.into(), out)?;
    let summary = prepare_folder::<anyhow::Error>(
        &args.paths,
        &args.out,
        &options,
        &assessor,
        &run,
        |step| {
            progress.inc(1);
            match step {
                Step::Row(row) => Ok(sink.row(row)?),
                Step::Skipped => Ok(()),
            }
        },
    )?;
    progress.finish_and_clear();
    if let Some(message) = &summary.disk_full {
        eprintln!(
            "visionprep: stopped: the output disk is full ({message}); files after it were not \
             prepared, the report lists what was done"
        );
    }
    for orphan in &summary.orphans {
        let (output, input) = (orphan.output.display(), &orphan.input);
        if orphan.pruned {
            eprintln!("visionprep: pruned {output} (its input {input} is gone)");
        } else {
            eprintln!(
                "visionprep: orphaned: {output} (its input {input} is gone; --prune removes it)"
            );
        }
    }
    if let Some(e) = &summary.manifest_error {
        eprintln!("visionprep: warning: {e}: the next run will prepare everything again");
    }
    sink.finish(&summary.totals)?;
    Ok(summary.totals.errors)
}
