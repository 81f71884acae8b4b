//! The second read of a repair: only the lines with images to change are written anew.

use super::analysis::{analyse, judge};
use super::par_map;
use crate::request::finding::CheckReport;
use crate::request::format::{BOM, InputFormat, LinesError, LinesInput, for_each_batch};
use crate::request::inspect::ImageCheck;
use crate::request::read::Document;
use crate::request::rewrite::{
    Action, Change, Job, RepairOptions, prepare_options, repair_body, repair_images,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use visionprep_core::body::Scan;
use visionprep_core::json::{self, Edits};

/// What [`repair_lines`](crate::request::repair_lines) did.
#[derive(Debug, Clone)]
pub struct LinesRepair {
    /// Each image changed or left broken, in file order.
    pub changes: Vec<Change>,
    /// The check of the input.
    pub before: CheckReport,
    /// The lines written differently from the input.
    pub lines_changed: Vec<usize>,
}

impl LinesRepair {
    /// Whether anything was changed.
    pub fn changed(&self) -> bool {
        !self.lines_changed.is_empty()
    }
}

/// An image of a line to repair.
struct LineJob {
    pub(crate) index: usize,
    pub(crate) check: ImageCheck,
    pub(crate) action: Action,
    pub(crate) resent: bool,
    pub(crate) uuid: Option<Arc<str>>,
}

/// Repairs session or message lines (`format` is not [`InputFormat::Body`]) as a stream,
/// writing them to `out`: the two reads of the module's doc, then only the lines with images
/// to change are written anew.
pub(crate) fn repair_stream(
    input: LinesInput<'_>,
    format: InputFormat,
    options: &RepairOptions,
    out: &mut dyn Write,
) -> Result<LinesRepair, LinesError> {
    let mut a = analyse(input, format, &options.check)?;
    let judged = judge(&mut a, &options.check);
    let mut plan: BTreeMap<usize, (usize, Vec<LineJob>)> = BTreeMap::new();
    let mut body_lines = std::collections::BTreeSet::new();
    for k in a.media.drain(..) {
        let Some(check) = k.image else { continue };
        let Some(action) = Action::for_image(&check, options.shrink) else {
            continue;
        };
        let entry = plan.entry(k.line).or_insert_with(|| (k.len, Vec::new()));
        entry.1.push(LineJob {
            index: k.index,
            check,
            action,
            resent: k.resent,
            uuid: k.uuid,
        });
    }
    for &(line, errors) in &a.body_lines {
        if errors || options.shrink {
            body_lines.insert(line);
        }
    }
    let chain_options = prepare_options(&judged.facts, judged.max_side, options);
    let lone_options = prepare_options(&judged.facts, judged.facts.limits.max_side, options);
    let mut changes = Vec::new();
    let mut lines_changed = Vec::new();
    for_each_batch(input, |batch| {
        if batch.iter().any(|l| {
            plan.get(&l.no)
                .is_some_and(|(len, _)| *len != l.bytes.len())
        }) {
            return Err(LinesError::Changed);
        }
        let done: Vec<Option<(String, Vec<Change>)>> = par_map(&batch, |line| {
            if let Some((_, jobs)) = plan.get(&line.no) {
                let text = line.text().ok()?;
                Some(repair_line(
                    text,
                    line.no,
                    format,
                    jobs,
                    options,
                    &chain_options,
                    &lone_options,
                ))
            } else if body_lines.contains(&line.no) {
                let text = line.text().ok()?;
                let doc = Document::from_text(text.to_owned()).ok()?;
                let r = repair_body(&doc, options);
                let changes = r
                    .changes
                    .into_iter()
                    .map(|mut c| {
                        c.line = Some(line.no);
                        c
                    })
                    .collect();
                Some((r.text, changes))
            } else {
                None
            }
        });
        for (line, done) in batch.iter().zip(done) {
            match done {
                Some((text, line_changes)) => {
                    let original = line.text().unwrap_or_default();
                    if text != original {
                        lines_changed.push(line.no);
                    }
                    // The line's own start (a byte order mark) and terminator are kept.
                    let at = if line.no == 1 && line.bytes.starts_with(BOM) {
                        BOM.len()
                    } else {
                        0
                    };
                    out.write_all(&line.bytes[..at])?;
                    out.write_all(text.as_bytes())?;
                    out.write_all(&line.bytes[at + original.len()..])?;
                    changes.extend(line_changes);
                }
                None => out.write_all(&line.bytes)?,
            }
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(LinesRepair {
        changes,
        before: judged.report,
        lines_changed,
    })
}

/// Repairs the images of one line, a message or a session entry, leaving the rest of it as
/// it is.
fn repair_line(
    text: &str,
    no: usize,
    format: InputFormat,
    jobs: &[LineJob],
    options: &RepairOptions,
    chain_options: &crate::prepare::PrepareOptions,
    lone_options: &crate::prepare::PrepareOptions,
) -> (String, Vec<Change>) {
    let unchanged = || (text.to_owned(), Vec::new());
    let Ok(value) = json::parse(text) else {
        return unchanged();
    };
    let message = if format == InputFormat::ClaudeCodeSession {
        match value.get(text, "message") {
            Some(m) => m,
            None => return unchanged(),
        }
    } else {
        &value
    };
    let mut scan = Scan::default();
    scan.add_message_at(text, message, "", 0, 0);
    let mut work = Vec::new();
    for job in jobs {
        let Some(media) = scan.media.get(job.index) else {
            continue;
        };
        work.push(Job {
            media,
            check: &job.check,
            line: Some(no),
            uuid: job.uuid.as_deref(),
            action: job.action,
            options: (job.action == Action::Prepare).then(|| {
                if job.resent {
                    chain_options.clone()
                } else {
                    lone_options.clone()
                }
            }),
        });
    }
    let mut edits = Edits::default();
    let changes = repair_images(text, &work, options, &mut edits);
    match edits.apply(text) {
        Ok(repaired) => (repaired, changes),
        Err(_) => unchanged(),
    }
}
