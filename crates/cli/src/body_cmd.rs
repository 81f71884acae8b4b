//! `visionprep check` and `visionprep repair`: bodies and transcripts as they are.

use crate::args::{BodyTargetArgs, CheckArgs, RepairArgs, ReportFormat};
use crate::cost::price_table;
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use visionprep::report::{group, human_bytes, money};
use visionprep::request::{
    Change, ChangeKind, CheckOptions, CheckReport, FileRepair, Finding, LinesInput, RepairOptions,
    RepairTarget, Severity, check_lines, repair_file,
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
    let json = args.json || args.format == ReportFormat::Json;
    let mut bad = 0u64;
    let mut reports = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let report = match check_lines(LinesInput::Path(file), args.input_format, &options) {
            Ok(report) => FileReport {
                path: name,
                error: None,
                passes: true,
                report: Some(report),
            },
            Err(error) => FileReport {
                path: name,
                error: Some(error.to_string()),
                passes: false,
                report: None,
            },
        };
        let passes = report.report.as_ref().is_some_and(CheckReport::passes);
        bad += u64::from(!passes);
        let report = FileReport { passes, ..report };
        if !json {
            match (&report.report, &report.error) {
                (Some(r), _) => print_check(out, &report.path, r)?,
                (None, Some(e)) => writeln!(out, "{}: not-a-request: {e}", report.path)?,
                (None, None) => {}
            }
        }
        reports.push(report);
    }
    if json {
        serde_json::to_writer(&mut *out, &reports)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(bad)
}

/// `FILE:LINE: JSONPATH` and the session entry's uuid, when there is one.
fn at(file: &str, line: Option<usize>, uuid: Option<&str>, path: &str) -> String {
    let mut s = file.to_owned();
    if let Some(line) = line {
        s.push_str(&format!(":{line}"));
    }
    s.push_str(": ");
    s.push_str(path);
    if let Some(uuid) = uuid {
        s.push_str(&format!(" (entry {uuid})"));
    }
    s
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
            "{}: {severity} {}: {}",
            at(path, f.line, f.uuid.as_deref(), &f.path),
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
    let target = match (&args.out, args.in_place, args.dry_run) {
        (_, _, true) => RepairTarget::DryRun,
        (_, true, _) => RepairTarget::InPlace,
        (Some(out), _, _) => RepairTarget::File(out.clone()),
        (None, false, false) => anyhow::bail!("give --out FILE, --in-place or --dry-run"),
    };
    let name = args.input.display().to_string();
    let report = repair_file(&args.input, &target, args.input_format, &options)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if args.json || args.format == ReportFormat::Json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            input: &'a str,
            output: Option<String>,
            backup: Option<String>,
            lines_changed: &'a [usize],
            changes: &'a [Change],
            remaining: Vec<&'a Finding>,
            before: &'a CheckReport,
            after: &'a CheckReport,
        }
        let json = Json {
            input: &name,
            output: report.written.as_ref().map(|p| p.display().to_string()),
            backup: report.backup.as_ref().map(|p| p.display().to_string()),
            lines_changed: &report.repair.lines_changed,
            changes: &report.repair.changes,
            remaining: report.remaining().collect(),
            before: &report.repair.before,
            after: &report.after,
        };
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
    } else {
        print_repair(out, &name, &report, args)?;
    }
    Ok(u64::from(report.remaining().next().is_some()))
}

fn print_repair(
    out: &mut dyn Write,
    name: &str,
    report: &FileRepair,
    args: &RepairArgs,
) -> Result<()> {
    let written: Option<&Path> = report.written.as_deref();
    let (mut fixed, mut bytes_before, mut bytes_after) = (0u64, 0u64, 0u64);
    let (mut tokens_before, mut tokens_after) = (0u64, 0u64);
    for c in &report.repair.changes {
        let place = at(name, c.line, c.uuid.as_deref(), &c.path);
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
        writeln!(
            out,
            "{}: still an error {}: {}",
            at(name, f.line, f.uuid.as_deref(), &f.path),
            f.code,
            f.message
        )?;
    }
    let whereto = match (written, args.dry_run) {
        (_, true) => "dry run: nothing written".to_owned(),
        (Some(p), _) if args.in_place => format!(
            "written over {} (the original kept as {})",
            p.display(),
            report
                .backup
                .as_deref()
                .map_or_else(|| "a .bak file".to_owned(), |b| b.display().to_string())
        ),
        (Some(p), _) => format!("written to {}", p.display()),
        (None, _) => "nothing to write".to_owned(),
    };
    writeln!(
        out,
        "{name}: {fixed} image{} repaired{}, {} of base64 -> {}, {} -> {} image tokens; {whereto}{}",
        if fixed == 1 { "" } else { "s" },
        match (report.repair.before.kind, report.repair.lines_changed.len()) {
            ("transcript" | "claude-code-session", n) => format!(
                " on {n} line{} (every other line as it was)",
                if n == 1 { "" } else { "s" }
            ),
            _ => String::new(),
        },
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
