//! `visionprep batch` and `visionprep batch-results`: the library's Message Batches writer
//! and results reader, with a summary for people or JSON.

use crate::args::{BatchArgs, BatchResultsArgs};
use crate::cost::{price_table, progress_bar, resolve};
use anyhow::{Context as _, Result};
use std::io::Write;
use visionprep::folder::RunOptions;
use visionprep::request::batches::{batch_folder, read_results};
use visionprep::settings::Front;

/// Writes the batch files; returns how many images failed.
pub(crate) fn run(args: &BatchArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let resolved = resolve(&p.settings())?;
    let (options, assessor) = (&resolved.prepare, resolved.prepare_assessor()?);
    let batch = resolved
        .batch_options(
            &args.text.text(),
            args.per_request as usize,
            &args.custom_id,
        )
        .map_err(|e| anyhow::anyhow!(e.message_for(Front::Cli)))?;
    let run = RunOptions {
        jobs: p.walk.jobs,
        hidden: p.walk.hidden,
        force: args.force,
        prune: false,
    };
    let progress = progress_bar(p.walk.no_progress);
    let summary = batch_folder(
        &args.paths,
        &args.out,
        options,
        &assessor,
        &batch,
        &run,
        |_, _| progress.inc(1),
    )
    .with_context(|| format!("cannot write the batch files in {}", args.out.display()))?;
    progress.finish_and_clear();
    for failure in &summary.failed {
        eprintln!("visionprep: skipped {failure}");
    }
    if args.format == "json" {
        serde_json::to_writer(&mut *out, &summary)?;
        writeln!(out)?;
    } else {
        summary.write_text(out, &resolved.model().id)?;
    }
    Ok(summary.failed.len() as u64)
}

/// Reports a results file; returns how many requests did not succeed.
pub(crate) fn results(args: &BatchResultsArgs, out: &mut dyn Write) -> Result<u64> {
    let table = price_table(&args.prices)?;
    let report = read_results(&args.results, &args.map, &table)?;
    if args.format == "json" {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        report.write_text(out)?;
    }
    Ok(report.unfinished())
}
