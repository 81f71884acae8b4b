//! The check and repair reports of request bodies, transcripts and session files: text for
//! people, JSON for programs (`visionprep check` and `repair`).

use super::{group, human_bytes, money};
use crate::request::{
    Change, ChangeKind, CheckReport, FileRepair, Finding, RepairTarget, Severity,
};
use serde::Serialize;
use std::io::{Result, Write};
use std::path::Path;

/// Writes the check of the file `path` for people: a line per request (model, messages,
/// images, bytes and tokens against their limits), a line per finding
/// (`FILE:LINE: JSONPATH: error CODE: message`), then the verdict. What `visionprep check`
/// prints.
pub fn write_check_text(out: &mut dyn Write, path: &str, r: &CheckReport) -> Result<()> {
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
        if f.code == crate::request::FindingCode::Downsized {
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

/// Writes what the repair of the file `name` did, for people: a line per image changed (or
/// left), a line per error left, then the totals and where the output went. What
/// `visionprep repair` prints.
pub fn write_repair_text(
    out: &mut dyn Write,
    name: &str,
    report: &FileRepair,
    target: &RepairTarget,
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
            c.reasons
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
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
    let whereto = match (written, target) {
        (_, RepairTarget::DryRun) => "dry run: nothing written".to_owned(),
        (Some(p), RepairTarget::InPlace) => format!(
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

/// The JSON of `visionprep repair`: the input, where the output and the backup went, the
/// lines changed, each change, the errors left, and the check before and after.
#[derive(Debug, Serialize)]
pub struct RepairJson<'a> {
    input: &'a str,
    output: Option<String>,
    backup: Option<String>,
    lines_changed: &'a [usize],
    changes: &'a [Change],
    remaining: Vec<&'a Finding>,
    before: &'a CheckReport,
    after: &'a CheckReport,
}

impl<'a> RepairJson<'a> {
    /// The JSON of the repair of the file `name`.
    pub fn new(name: &'a str, report: &'a FileRepair) -> Self {
        RepairJson {
            input: name,
            output: report.written.as_ref().map(|p| p.display().to_string()),
            backup: report.backup.as_ref().map(|p| p.display().to_string()),
            lines_changed: &report.repair.lines_changed,
            changes: &report.repair.changes,
            remaining: report.remaining().collect(),
            before: &report.repair.before,
            after: &report.after,
        }
    }
}

/// One file's entry in the JSON of `visionprep check`: its path, its report flattened in (or
/// why it could not be read), and whether the API would accept it.
#[derive(Debug, Serialize)]
pub struct CheckedFile {
    /// The file, as given.
    pub path: String,
    /// Why it could not be read as a body, a transcript or a session file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its check.
    #[serde(flatten)]
    pub report: Option<CheckReport>,
    /// Whether the API would accept every request in it.
    pub passes: bool,
}

impl CheckedFile {
    /// The entry of `path` from its check, or from why it could not be checked.
    pub fn new(
        path: String,
        checked: std::result::Result<CheckReport, impl std::fmt::Display>,
    ) -> Self {
        match checked {
            Ok(report) => CheckedFile {
                passes: report.passes(),
                path,
                error: None,
                report: Some(report),
            },
            Err(e) => CheckedFile {
                path,
                error: Some(e.to_string()),
                report: None,
                passes: false,
            },
        }
    }

    /// Writes it for people ([`write_check_text`], or `not-a-request` and the reason).
    pub fn write_text(&self, out: &mut dyn Write) -> Result<()> {
        match (&self.report, &self.error) {
            (Some(r), _) => write_check_text(out, &self.path, r),
            (None, Some(e)) => writeln!(out, "{}: not-a-request: {e}", self.path),
            (None, None) => Ok(()),
        }
    }
}
