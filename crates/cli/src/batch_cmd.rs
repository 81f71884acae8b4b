//! `visionprep batch` and `visionprep batch-results`: the library's Message Batches writer
//! and results reader, with a summary for people or JSON.

use crate::args::{BatchArgs, BatchResultsArgs};
use crate::cost::{price_table, progress_bar, resolve};
use anyhow::{Context as _, Result};
use std::io::Write;
use visionprep::folder::RunOptions;
use visionprep::report::{group, human_bytes, money};
use visionprep::request::batches::{BatchOptions, CustomIds, MAP_NAME, batch_folder, read_results};

/// Writes the batch files; returns how many images failed.
pub(crate) fn run(args: &BatchArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    if p.sizing.tiles != visionprep::core::TileMode::Never {
        anyhow::bail!(
            "batch sends each image whole (a request holds --per-request images): --tiles is for \
             prepare and request; --token-budget works here"
        );
    }
    let resolved = resolve(&p.settings())?;
    let (options, assessor) = (&resolved.prepare, resolved.prepare_assessor()?);
    let mut batch = BatchOptions::new(
        &resolved.table,
        resolved.model(),
        &args.text.prompt,
        options,
    );
    batch.pack.max_tokens = args.text.max_tokens;
    batch.pack.system = args.text.system.clone().map(Into::into);
    batch.per_request = args.per_request as usize;
    batch.ids = CustomIds::new(&args.custom_id)?;
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
        return Ok(summary.failed.len() as u64);
    }
    for f in &summary.files {
        writeln!(
            out,
            "{}  {:>7} requests  {:>10}",
            f.path.display(),
            group(f.requests),
            human_bytes(f.bytes)
        )?;
    }
    let reused = if summary.reused > 0 {
        format!(" ({} copied from the earlier run)", group(summary.reused))
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} requests{reused}, {} images, {} image tokens, {} on {} at the batch price; \
         {} failed; map: {}",
        group(summary.requests),
        group(summary.images),
        group(summary.image_tokens),
        money(summary.usd, 6),
        resolved.model().id,
        summary.failed.len(),
        summary.map.display()
    )?;
    Ok(summary.failed.len() as u64)
}

/// Reports a results file; returns how many requests did not succeed.
pub(crate) fn results(args: &BatchResultsArgs, out: &mut dyn Write) -> Result<u64> {
    let table = price_table(&args.prices)?;
    let map = if args.map.is_dir() {
        args.map.join(MAP_NAME)
    } else {
        args.map.clone()
    };
    let report = read_results(&args.results, &map, &table)?;
    if args.format == "json" {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(report.unfinished());
    }
    for r in report.rows.iter().filter(|r| r.status != "succeeded") {
        let why = r.error.as_deref().unwrap_or("");
        writeln!(
            out,
            "{}  {}  {}  {why}",
            r.custom_id,
            r.status,
            r.paths.join(", ")
        )?;
    }
    let statuses: Vec<String> = report
        .statuses
        .iter()
        .map(|(s, n)| format!("{} {s}", group(*n)))
        .collect();
    writeln!(out, "requests: {}", statuses.join(", "))?;
    let difference = report.input_tokens as i128 - report.estimated_image_tokens as i128;
    writeln!(
        out,
        "billed input tokens {} ({} at the batch price); estimated image tokens {} ({}); \
         the difference, {} tokens ({} a request), is the prompt text and framing",
        group(report.input_tokens),
        money(report.input_usd, 6),
        group(report.estimated_image_tokens),
        money(report.estimated_usd, 6),
        difference,
        report.text_tokens_per_request(),
    )?;
    writeln!(out, "output tokens {}", group(report.output_tokens))?;
    if !report.unknown_ids.is_empty() {
        writeln!(
            out,
            "warning: {} results have ids the map does not know (another batch's results?)",
            report.unknown_ids.len()
        )?;
    }
    if !report.missing_ids.is_empty() {
        writeln!(
            out,
            "warning: {} requests of the map have no result (another file of the batch?)",
            report.missing_ids.len()
        )?;
    }
    Ok(report.unfinished())
}
