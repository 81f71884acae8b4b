//! `visionprep request`: prepare images and write request bodies that hold them.

use crate::args::{CheckArgs, RequestArgs};
use crate::batch;
use crate::cost::{Outcome, progress_bar};
use crate::prepare_cmd::{pipeline, write_temp};
use crate::render::{group, money};
use crate::walk::walk;
use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::Path;
use visionprep::core::Usd;
use visionprep::core::request::MessagesRequest;
use visionprep::prepare::Preparer;
use visionprep::request::{Finding, PackImage, PackOptions, pack};

/// Files prepared per batch; prepared images are kept in memory until packed.
const BATCH: usize = 64;

/// Prepares, packs and writes; returns how many files failed.
pub(crate) fn run(args: &RequestArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let (options, assessor) = pipeline(p)?;
    let pool = batch::pool(p.walk.jobs)?;
    let progress = progress_bar(p.walk.no_progress);
    let mut images: Vec<PackImage> = Vec::new();
    let mut tokens: Vec<(u64, Usd)> = Vec::new();
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
    batch::in_order(
        walk(&args.paths, p.walk.hidden),
        &pool,
        BATCH,
        Preparer::new,
        work,
        |_, done| {
            progress.inc(1);
            match done {
                None => {}
                Some(Ok(prepared)) => {
                    tokens.push((prepared.tokens, prepared.usd));
                    images.push(PackImage::from_prepared(&prepared));
                }
                Some(Err(message)) => {
                    failed += 1;
                    eprintln!("visionprep: skipped {message}");
                }
            }
            Ok(())
        },
    )?;
    progress.finish_and_clear();
    let pack_options = PackOptions {
        model: options.model.clone(),
        max_tokens: args.max_tokens,
        system: args.system.clone(),
        prompt: args.prompt.clone(),
        limits: options.request,
    };
    let bodies = pack(&images, &pack_options).context("cannot pack the images")?;
    let mut first = 0;
    for (i, body) in bodies.iter().enumerate() {
        let bytes = serde_json::to_vec(body)?;
        let count = body.images().count();
        let (body_tokens, body_usd) = tokens[first..first + count]
            .iter()
            .fold((0u64, Usd::ZERO), |(t, u), (bt, bu)| (t + bt, u + *bu));
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
    let total: u64 = tokens.iter().map(|(t, _)| t).sum();
    let usd: Usd = tokens.iter().map(|(_, u)| *u).sum();
    writeln!(
        out,
        "{} bod{}, {} images, {} image tokens, {} on {} ({}); text tokens are not counted",
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
    )?;
    out.flush()?;
    Ok(failed)
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
