//! `visionprep request`: prepare images and write request bodies that hold them.

use crate::args::{CheckArgs, RequestArgs};
use crate::batch;
use crate::cost::{Outcome, progress_bar};
use crate::prepare_cmd::{pipeline, remove_stale_temps, write_temp};
use crate::render::{group, money};
use crate::walk::walk;
use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::Path;
use visionprep::core::Usd;
use visionprep::core::request::MessagesRequest;
use visionprep::prepare::Preparer;
use visionprep::request::{Finding, PackImage, PackOptions, pack};

/// Files in flight per worker thread; prepared images are kept in memory until packed.
const WINDOW_PER_THREAD: usize = 4;

/// Prepares, packs and writes; returns how many files failed.
pub(crate) fn run(args: &RequestArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let (options, assessor) = pipeline(p)?;
    let pool = batch::pool(p.walk.jobs)?;
    let progress = progress_bar(p.walk.no_progress);
    let history = match &args.history {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                serde_json::from_slice::<MessagesRequest>(&bytes).with_context(|| {
                    format!("{} is not a Messages API request body", path.display())
                })?,
            )
        }
        None => None,
    };
    let mut images: Vec<PackImage> = Vec::new();
    // Image tokens and cost of each image, when known (prepared files; not URLs or file ids).
    let mut tokens: Vec<Option<(u64, Usd)>> = Vec::new();
    let mut failed = 0u64;
    let work = |preparer: &mut Preparer, item: &crate::walk::Item| {
        match assessor.assess(item) {
            Outcome::NotAnImage => return None,
            Outcome::Report(r) if r.error.is_some() => {
                return Some(Err(format!(
                    "{}: {}",
                    r.path,
                    r.error.map(|e| e.message).unwrap_or_default()
                )));
            }
            Outcome::Report(_) => {}
        }
        Some(
            preparer
                .prepare_path(item.path(), &options)
                .map_err(|e| format!("{}: {e}", item.path().display())),
        )
    };
    batch::streamed(
        walk(&args.paths, p.walk.hidden),
        &pool,
        WINDOW_PER_THREAD * pool.current_num_threads(),
        Preparer::new,
        work,
        |_, done| {
            progress.inc(1);
            match done {
                None => {}
                Some(Ok(prepared)) => {
                    tokens.push(Some((prepared.tokens, prepared.usd)));
                    images.push(PackImage::from_prepared(&prepared));
                }
                Some(Err(message)) => {
                    failed += 1;
                    eprintln!("visionprep: skipped {message}");
                }
            }
            Ok(std::ops::ControlFlow::Continue(()))
        },
    )?;
    progress.finish_and_clear();
    for url in &args.url {
        images.push(PackImage::url(url));
        tokens.push(None);
    }
    for id in &args.file_id {
        images.push(PackImage::file(id));
        tokens.push(None);
    }
    let mut pack_options = PackOptions::new(&options.model, &args.prompt, options.request);
    pack_options.max_tokens = args.max_tokens;
    pack_options.system = args.system.clone();
    let mut held = 0;
    if let Some(history) = history {
        held = history.images().count();
        pack_options.system = pack_options.system.or(history.system);
        pack_options.history = history.messages;
    }
    let bodies = pack(&images, &pack_options).context("cannot pack the images")?;
    if let Some(dir) = args.out.as_ref().filter(|_| !args.dry_run) {
        remove_stale_temps(dir);
    }
    let mut first = 0;
    for (i, body) in bodies.iter().enumerate() {
        let bytes = serde_json::to_vec(body)?;
        let count = body.images().count() - held;
        let (body_tokens, body_usd) = known(&tokens[first..first + count]);
        first += count;
        let name = format!("request-{:03}.json", i + 1);
        if let Some(dir) = args.out.as_ref().filter(|_| !args.dry_run) {
            write_atomically(&dir.join(&name), &bytes)?;
        }
        writeln!(
            out,
            "{name}  {count:>3} images  {:>12} bytes  {:>9} image tokens  {}",
            group(bytes.len() as u64),
            group(body_tokens),
            money(body_usd, 6)
        )?;
    }
    let (total, usd) = known(&tokens);
    let mut uncounted = vec!["text tokens".to_owned()];
    if held > 0 {
        uncounted.push(format!("the {held} images of earlier turns"));
    }
    let unknown = tokens.iter().filter(|t| t.is_none()).count();
    if unknown > 0 {
        uncounted.push(format!("{unknown} images by URL or file id"));
    }
    writeln!(
        out,
        "{} bod{}, {} new images, {} image tokens, {} on {} ({}); not counted: {}",
        bodies.len(),
        if bodies.len() == 1 { "y" } else { "ies" },
        images.len(),
        group(total),
        money(usd, 6),
        options.model,
        if args.dry_run {
            "dry run: nothing written"
        } else {
            "written"
        },
        uncounted.join(", "),
    )?;
    out.flush()?;
    Ok(failed)
}

/// Sums the image tokens and cost that are known.
fn known(tokens: &[Option<(u64, Usd)>]) -> (u64, Usd) {
    tokens
        .iter()
        .flatten()
        .fold((0, Usd::ZERO), |(t, u), (bt, bu)| (t + bt, u + *bu))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_temp(path, bytes)?
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `visionprep check`: returns how many files had findings (or could not be read).
pub(crate) fn check(args: &CheckArgs, out: &mut dyn Write) -> Result<u64> {
    #[derive(serde::Serialize)]
    struct FileFindings {
        path: String,
        findings: Vec<Finding>,
    }
    let limits = args.profile.limits();
    let mut bad = 0u64;
    let mut reports = Vec::new();
    for file in &args.files {
        let findings = match std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<MessagesRequest>(&b).map_err(|e| e.to_string()))
        {
            Ok(body) => visionprep::request::check(&body, &limits),
            Err(message) => vec![Finding {
                path: "body".into(),
                code: "not-a-request",
                message,
            }],
        };
        if !findings.is_empty() {
            bad += 1;
        }
        reports.push(FileFindings {
            path: file.to_string_lossy().into_owned(),
            findings,
        });
    }
    if args.json {
        serde_json::to_writer(&mut *out, &reports)?;
        writeln!(out)?;
    } else {
        for r in &reports {
            if r.findings.is_empty() {
                writeln!(out, "{}: ok", r.path)?;
            }
            for f in &r.findings {
                writeln!(out, "{}: {}: {}: {}", r.path, f.path, f.code, f.message)?;
            }
        }
    }
    out.flush()?;
    Ok(bad)
}
