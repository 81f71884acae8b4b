//! `visionprep check` and `visionprep repair`: bodies and transcripts as they are.

use crate::args::{BodyTargetArgs, CheckArgs, RepairArgs};
use crate::cost::price_table;
use anyhow::{Context as _, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use visionprep::folder::write_temp;
use visionprep::report::{group, human_bytes, money};
use visionprep::request::{
    ChangeKind, CheckOptions, CheckReport, Document, Finding, RepairOptions, RepairReport,
    Severity, check_document, repair_document,
};

/// The check options of the command line; an unknown --model is a usage error.
pub(crate) fn check_options(args: &BodyTargetArgs) -> Result<CheckOptions> {
    let prices = price_table(&args.prices)?;
    if let Some(m) = &args.model {
        prices.get(m)?;
    }
    Ok(CheckOptions {
        profile: args.profile,
        model: args.model.clone(),
        force_model: args.override_model,
        limits: None,
        token_rule: args.token_rule,
        prices,
    })
}

fn read_document(path: &Path) -> std::result::Result<Document, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    Document::read(bytes).map_err(|e| e.to_string())
}

/// `visionprep check`: returns how many files the API would refuse (or could not be read).
pub(crate) fn check(args: &CheckArgs, out: &mut dyn Write) -> Result<u64> {
    #[derive(serde::Serialize)]
    struct FileReport {
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(flatten)]
        report: Option<CheckReport>,
        passes: bool,
    }
    let options = check_options(&args.target)?;
    let mut bad = 0u64;
    let mut reports = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let report = match read_document(file) {
            Ok(doc) => FileReport {
                path: name,
                error: None,
                passes: true,
                report: Some(check_document(&doc, &options)),
            },
            Err(error) => FileReport {
                path: name,
                error: Some(error),
                passes: false,
                report: None,
            },
        };
        let passes = report.report.as_ref().is_some_and(CheckReport::passes);
        bad += u64::from(!passes);
        let report = FileReport { passes, ..report };
        if !args.json {
            match (&report.report, &report.error) {
                (Some(r), _) => print_check(out, &report.path, r)?,
                (None, Some(e)) => writeln!(out, "{}: not-a-request: {e}", report.path)?,
                (None, None) => {}
            }
        }
        reports.push(report);
    }
    if args.json {
        serde_json::to_writer(&mut *out, &reports)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(bad)
}

fn at(path: &str, f: &Finding) -> String {
    match f.line {
        Some(line) => format!("{path}:{line}"),
        None => path.to_owned(),
    }
}

fn print_check(out: &mut dyn Write, path: &str, r: &CheckReport) -> Result<()> {
    for req in &r.requests {
        let line = req.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let usd = req
            .image_usd
            .map(|u| format!(", {}", money(u, 6)))
            .unwrap_or_default();
        writeln!(
            out,
            "{path}: {}{line} for {}{}: {} messages, {} images + {} documents (limit {}), {} (limit {}), {} image tokens{usd}",
            r.kind,
            req.model,
            if req.model_known {
                ""
            } else {
                " (unknown model)"
            },
            req.messages,
            req.images,
            req.documents,
            req.max_images,
            human_bytes(req.bytes),
            human_bytes(req.max_request_bytes),
            group(req.image_tokens),
        )?;
        let blocks: Vec<String> = req
            .blocks
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        if !blocks.is_empty() {
            writeln!(out, "{path}:   blocks: {}", blocks.join(", "))?;
        }
    }
    let mut downsized = 0;
    for f in &r.findings {
        if f.code == "downsized" {
            downsized += 1;
            continue;
        }
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Note => "note",
        };
        writeln!(
            out,
            "{}: {}: {severity} {}: {}",
            at(path, f),
            f.path,
            f.code,
            f.message
        )?;
    }
    if downsized > 0 {
        writeln!(
            out,
            "{path}: note: the API will shrink {downsized} image{} by itself (`visionprep repair --shrink` does it before sending, for fewer bytes)",
            if downsized == 1 { "" } else { "s" }
        )?;
    }
    let errors = r.errors().count();
    if errors == 0 {
        writeln!(out, "{path}: ok")?;
    } else {
        writeln!(
            out,
            "{path}: {errors} error{}: the API would refuse it (`visionprep repair` rewrites the images at fault)",
            if errors == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

/// `visionprep repair`: returns 1 when the output would still be refused, 0 otherwise.
pub(crate) fn repair(args: &RepairArgs, out: &mut dyn Write) -> Result<u64> {
    let options = RepairOptions {
        check: check_options(&args.target)?,
        shrink: args.shrink,
        drop_unreadable: args.drop_unreadable,
        quality: args.quality,
        output: args.output_format,
    };
    let target = destination(args)?;
    let name = args.input.display().to_string();
    let doc = read_document(&args.input).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let report = repair_document(&doc, &options);
    let written = match &target {
        Some(path) if report.changed() || !args.in_place => {
            if args.in_place {
                let backup = backup_path(&args.input);
                std::fs::copy(&args.input, &backup).with_context(|| {
                    format!("cannot keep a backup of {name} as {}", backup.display())
                })?;
            }
            write_temp(path, report.text.as_bytes())?
                .persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(path.clone())
        }
        _ => None,
    };
    if args.json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            input: &'a str,
            output: Option<String>,
            changes: &'a [visionprep::request::Change],
            remaining: Vec<&'a Finding>,
            before: &'a CheckReport,
            after: &'a CheckReport,
        }
        let json = Json {
            input: &name,
            output: written.as_ref().map(|p| p.display().to_string()),
            changes: &report.changes,
            remaining: report.remaining().collect(),
            before: &report.before,
            after: &report.after,
        };
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
    } else {
        print_repair(out, &name, &report, written.as_deref(), args)?;
    }
    Ok(u64::from(report.remaining().next().is_some()))
}

/// Where the output goes: `--out` (never the input), the input itself with `--in-place`,
/// nothing with `--dry-run`.
fn destination(args: &RepairArgs) -> Result<Option<PathBuf>> {
    if args.dry_run {
        return Ok(None);
    }
    if args.in_place {
        return Ok(Some(args.input.clone()));
    }
    let Some(out) = &args.out else {
        bail!("give --out FILE, --in-place or --dry-run");
    };
    let same = match (
        std::fs::canonicalize(out),
        std::fs::canonicalize(&args.input),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => out == &args.input,
    };
    if same {
        bail!(
            "--out {} is the input itself: repair never writes over its input (use --in-place, which keeps a backup)",
            out.display()
        );
    }
    Ok(Some(out.clone()))
}

/// `FILE.bak`, or `FILE.bak.2`, `.bak.3`, ... when that exists: a backup is never overwritten.
fn backup_path(input: &Path) -> PathBuf {
    let base = format!("{}.bak", input.display());
    let mut path = PathBuf::from(&base);
    let mut n = 2;
    while path.exists() {
        path = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    path
}

fn print_repair(
    out: &mut dyn Write,
    name: &str,
    report: &RepairReport,
    written: Option<&Path>,
    args: &RepairArgs,
) -> Result<()> {
    let (mut fixed, mut bytes_before, mut bytes_after) = (0u64, 0u64, 0u64);
    let (mut tokens_before, mut tokens_after) = (0u64, 0u64);
    for c in &report.changes {
        let place = match c.line {
            Some(l) => format!("{name}:{l}: {}", c.path),
            None => format!("{name}: {}", c.path),
        };
        let what = match c.kind {
            ChangeKind::Prepared => "prepared",
            ChangeKind::Relabelled => "relabelled",
            ChangeKind::Rewritten => "rewritten",
            ChangeKind::Removed => "removed",
            ChangeKind::Unrepaired => "NOT repaired",
        };
        let tokens = match (c.tokens_before, c.tokens_after) {
            (Some(b), Some(a)) => format!(", tokens {} -> {}", group(b), group(a)),
            _ => String::new(),
        };
        writeln!(
            out,
            "{place}: {what} ({}): {}; {} -> {} bytes{tokens}",
            c.reasons.join(", "),
            c.detail,
            group(c.bytes_before),
            group(c.bytes_after)
        )?;
        if c.kind != ChangeKind::Unrepaired {
            fixed += 1;
            bytes_before += c.bytes_before;
            bytes_after += c.bytes_after;
            tokens_before += c.tokens_before.unwrap_or(0);
            tokens_after += c.tokens_after.unwrap_or(0);
        }
    }
    for f in report.remaining() {
        let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            out,
            "{name}{at}: {}: still an error {}: {}",
            f.path, f.code, f.message
        )?;
    }
    let whereto = match (written, args.dry_run) {
        (_, true) => "dry run: nothing written".to_owned(),
        (Some(p), _) if args.in_place => format!(
            "written over {} (the original kept as a .bak file)",
            p.display()
        ),
        (Some(p), _) => format!("written to {}", p.display()),
        (None, _) => "nothing to write".to_owned(),
    };
    writeln!(
        out,
        "{name}: {fixed} image{} repaired, {} of base64 -> {}, {} -> {} image tokens; {whereto}{}",
        if fixed == 1 { "" } else { "s" },
        human_bytes(bytes_before),
        human_bytes(bytes_after),
        group(tokens_before),
        group(tokens_after),
        if report.remaining().next().is_some() {
            "; the API would still refuse it"
        } else {
            "; it passes check"
        }
    )?;
    Ok(())
}
