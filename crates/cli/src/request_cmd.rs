//! `visionprep request`: prepare images and write request bodies that hold them.

use crate::args::RequestArgs;
use crate::cost::{progress_bar, resolve};
use anyhow::{Context as _, Result};
use std::io::Write;
use visionprep::core::request::MessagesRequest;
use visionprep::folder::RunOptions;
use visionprep::report::{write_body_line, write_request_summary};
use visionprep::request::{RequestEvent, RequestRun, request_folder};
use visionprep::settings::Front;

/// Prepares, packs and writes; returns how many files failed.
pub(crate) fn run(args: &RequestArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let resolved = resolve(&p.settings())?;
    let (options, assessor) = (&resolved.prepare, resolved.prepare_assessor()?);
    let mut pack = resolved
        .pack_options(&args.text.text())
        .map_err(|e| anyhow::anyhow!(e.message_for(Front::Cli)))?;
    if let Some(path) = &args.history {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let history = serde_json::from_slice::<MessagesRequest>(&bytes)
            .with_context(|| format!("{} is not a Messages API request body", path.display()))?;
        pack.continue_from(history);
    }
    let folder = args.out.clone().filter(|_| !args.dry_run);
    let mut run = RequestRun::new(args.paths.clone(), folder);
    run.urls = args.url.clone();
    run.file_ids = args.file_id.clone();
    let walk = RunOptions {
        jobs: p.walk.jobs,
        hidden: p.walk.hidden,
        ..RunOptions::default()
    };
    let progress = progress_bar(p.walk.no_progress);
    let mut written = Ok(());
    let summary = request_folder(
        &run,
        &pack,
        options,
        &assessor,
        &walk,
        |event| match event {
            RequestEvent::Walked => progress.inc(1),
            RequestEvent::Body(body) if written.is_ok() => written = write_body_line(out, body),
            RequestEvent::Failed(image) => eprintln!("visionprep: skipped {image}"),
            _ => {}
        },
    )?;
    progress.finish_and_clear();
    written?;
    write_request_summary(out, &summary, options.target.model())?;
    out.flush()?;
    Ok(summary.failed.len() as u64)
}
