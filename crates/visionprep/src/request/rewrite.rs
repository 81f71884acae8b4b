//! What a repair does to one image block: prepared again, relabelled, written as plain
//! base64, or replaced by a note; and the repair of a document read whole.

use crate::prepare::{OutputPolicy, PrepareError, PrepareOptions, Prepared, Preparer, Target};
use crate::request::body::{CheckedUnit, check_body, check_unit, line_findings};
use crate::request::facts::ModelFacts;
use crate::request::finding::FindingCode;
use crate::request::finding::{CheckOptions, CheckReport, Finding, Severity};
use crate::request::inspect::{ImageCheck, Remedy, image_bytes};
use crate::request::read::Document;
use rayon::prelude::*;
use visionprep_core::body::Media;
use visionprep_core::json::{Edits, quote};
use visionprep_core::request::base64_encode;
use visionprep_core::{TierLimits, base64_len};

/// What to repair and how.
#[derive(Debug, Clone)]
pub struct RepairOptions {
    /// The model, profile and token rule, as for `check`.
    pub check: CheckOptions,
    /// Also prepare images the API would accept but shrink by itself (fewer bytes sent, the
    /// same tokens billed). Default off: only what the API would refuse is changed.
    pub shrink: bool,
    /// Replace an image that cannot be read or converted by a text block saying what was
    /// removed and why. Default off: it is left as it is and reported.
    pub drop_unreadable: bool,
    /// JPEG quality of re-encoded images. Default 85.
    pub quality: u8,
    /// The format of re-encoded images. Default [`OutputPolicy::Auto`].
    pub output: OutputPolicy,
}

impl Default for RepairOptions {
    fn default() -> Self {
        RepairOptions {
            check: CheckOptions::default(),
            shrink: false,
            drop_unreadable: false,
            quality: 85,
            output: OutputPolicy::Auto,
        }
    }
}

/// What was done to one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Converted, shrunk or compressed through `prepare`.
    Prepared,
    /// Only the `media_type` was wrong: it now names the format of the bytes, which are kept.
    Relabelled,
    /// The bytes were fine but their text was not plain base64 (a `data:` prefix, line
    /// breaks): written again, bytes kept.
    Rewritten,
    /// Unreadable: replaced by a text block saying so (`drop_unreadable`).
    Removed,
    /// Unreadable and left as it is: the request will still fail.
    Unrepaired,
}

/// One image changed (or that could not be).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The image's source, in the API's path style.
    pub path: String,
    /// The transcript line it is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The `uuid` of the session entry it is in (agent session files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// What was done.
    pub kind: ChangeKind,
    /// The codes of the findings that called for it.
    pub reasons: Vec<FindingCode>,
    /// For people: `1920x1080 PNG -> 1456x819 JPEG`, or why it could not be repaired.
    pub detail: String,
    /// The base64 text's length before.
    pub bytes_before: u64,
    /// And after (0 when removed).
    pub bytes_after: u64,
    /// Tokens before (after the API's own resize), when it could be measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_before: Option<u64>,
    /// Tokens after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_after: Option<u64>,
}

/// The repaired text and what was done.
#[derive(Debug, Clone)]
pub struct RepairReport {
    /// The document with the changes made: identical to the input outside the changed image
    /// blocks.
    pub text: String,
    /// Each image changed or left broken.
    pub changes: Vec<Change>,
    /// The check of the input.
    pub before: CheckReport,
    /// The check of the output.
    pub after: CheckReport,
}

impl RepairReport {
    /// Whether anything was changed.
    pub fn changed(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.kind != ChangeKind::Unrepaired)
    }

    /// The errors left in the output (the API would still refuse it).
    pub fn remaining(&self) -> impl Iterator<Item = &Finding> {
        self.after.errors()
    }
}

/// One image to change.
pub(crate) struct Job<'a> {
    pub media: &'a Media<'a>,
    pub check: &'a ImageCheck,
    pub line: Option<usize>,
    pub uuid: Option<&'a str>,
    pub action: Action,
    pub options: Option<PrepareOptions>,
}

/// What a repair does to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Prepare,
    Rewrite,
    Unreadable,
}

impl Action {
    /// What to do with a checked image, if anything.
    pub(crate) fn for_image(check: &ImageCheck, shrink: bool) -> Option<Action> {
        let shrinkable = check
            .findings
            .iter()
            .any(|f| f.code == FindingCode::Downsized);
        Some(match check.remedy {
            Remedy::Unreadable => Action::Unreadable,
            Remedy::Prepare => Action::Prepare,
            _ if shrink && shrinkable => Action::Prepare,
            Remedy::Rewrite => Action::Rewrite,
            Remedy::Shrink | Remedy::None => return None,
        })
    }
}

/// Makes the edits that repair `jobs`, images of `text`: prepared in parallel, relabelled,
/// written again, or (with [`RepairOptions::drop_unreadable`]) replaced by a text block.
pub(crate) fn repair_images(
    text: &str,
    jobs: &[Job<'_>],
    options: &RepairOptions,
    edits: &mut Edits,
) -> Vec<Change> {
    // `Err(None)`: the image's bytes cannot be read at all.
    let prepared: Vec<Option<Result<Prepared, Option<PrepareError>>>> = jobs
        .par_iter()
        .map_init(Preparer::new, |preparer, job| {
            let options = job.options.as_ref()?;
            let bytes = image_bytes(text, job.media);
            let (Some(bytes), Some(probe)) = (bytes, &job.check.probe) else {
                return Some(Err(None));
            };
            Some(
                preparer
                    .prepare_probed(&bytes, probe, options)
                    .map_err(Some),
            )
        })
        .collect();
    let mut changes = Vec::new();
    for (job, done) in jobs.iter().zip(prepared) {
        let mut change = Change {
            path: job.check.path.clone(),
            line: job.line,
            uuid: job.uuid.map(str::to_owned),
            kind: ChangeKind::Unrepaired,
            reasons: job
                .check
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error || f.code == FindingCode::Downsized)
                .map(|f| f.code)
                .collect(),
            detail: String::new(),
            bytes_before: job.check.data_len as u64,
            bytes_after: job.check.data_len as u64,
            tokens_before: job.check.tokens,
            tokens_after: job.check.tokens,
        };
        // Shrinking only pays when it sends fewer bytes: the API shrinks the image anyway.
        let optional = job.check.remedy < Remedy::Prepare;
        let done = match done {
            Some(Ok(p)) if optional && base64_len(p.bytes.len() as u64) >= change.bytes_before => {
                if job.check.remedy < Remedy::Rewrite {
                    continue;
                }
                None
            }
            other => other,
        };
        let action = if job.action == Action::Prepare && optional && done.is_none() {
            Action::Rewrite
        } else {
            job.action
        };
        let failure = match (action, done) {
            (Action::Prepare, Some(Ok(p))) => {
                let data = base64_encode(&p.bytes);
                change.kind = ChangeKind::Prepared;
                change.detail = format!(
                    "{} {} -> {} {}",
                    p.input_size,
                    p.input_format,
                    p.output_size,
                    p.media_type.extension().to_ascii_uppercase()
                );
                change.bytes_after = data.len() as u64;
                change.tokens_after = Some(p.tokens);
                replace_source(text, job.media, p.media_type.as_str(), &data, edits);
                None
            }
            (Action::Prepare, Some(Err(why))) => {
                Some(why.map_or_else(|| "the image cannot be read".to_owned(), |e| e.to_string()))
            }
            (Action::Rewrite, _) => {
                rewrite(text, job, &mut change, edits);
                None
            }
            _ => Some(
                job.check
                    .findings
                    .iter()
                    .find(|f| f.severity == Severity::Error)
                    .map_or_else(|| "unreadable".to_owned(), |f| f.message.clone()),
            ),
        };
        if let Some(why) = failure {
            if options.drop_unreadable {
                change.kind = ChangeKind::Removed;
                change.bytes_after = 0;
                change.tokens_after = Some(0);
                change.detail = format!("removed: {why}");
                edits.replace(
                    job.media.block.span(),
                    removal_block(text, job.media, &change.path, &why),
                );
            } else {
                change.detail = why;
            }
        }
        changes.push(change);
    }
    changes
}

fn merge(doc: &Document, checked: &[CheckedUnit]) -> CheckReport {
    let mut findings = line_findings(doc);
    for c in checked {
        findings.extend(c.findings.iter().cloned());
    }
    findings.sort_by_key(|f| f.line.unwrap_or(0));
    CheckReport {
        kind: doc.kind().as_str(),
        requests: checked.iter().map(|c| c.summary.clone()).collect(),
        findings,
    }
}

/// Prepare options for the request's model and limits; in a request of more than 20 images,
/// sides are kept within the many-image limit too (2000 px, below the high tier's 2576).
pub(crate) fn prepare_options(
    facts: &ModelFacts,
    max_side: u32,
    options: &RepairOptions,
) -> PrepareOptions {
    let mut o = PrepareOptions::for_price(&options.check.prices, &facts.price);
    o.request = facts.limits;
    o.token_rule = options.check.token_rule;
    o.quality = options.quality;
    o.output = options.output;
    let tier = facts.tier;
    if max_side < tier.max_edge()
        && let Ok(clamped) = TierLimits::new(max_side, tier.max_patches(), tier.patch_size())
    {
        o.target = Target::new(&options.check.prices, &facts.price).with_tier_limits(clamped);
    }
    o
}

/// Writes the data as plain base64 and the media type the bytes are, keeping the bytes.
pub(crate) fn rewrite(text: &str, job: &Job<'_>, change: &mut Change, edits: &mut Edits) {
    let Some(bytes) = image_bytes(text, job.media) else {
        return;
    };
    let source = job.media.source;
    let data_value = source.and_then(|s| s.get(text, "data"));
    let canonical = base64_encode(&bytes);
    let data_ok = data_value.and_then(|d| d.str(text)).as_deref() == Some(canonical.as_str());
    let declared = source
        .and_then(|s| s.get(text, "media_type"))
        .and_then(|m| m.str(text));
    let media_type = job.check.actual.map(|m| m.as_str());
    let label_ok = media_type.is_none() || declared.as_deref() == media_type;
    let Some(media_type) = media_type else {
        // Bytes of a format the API refuses: only `prepare` can help, and it was not asked.
        return;
    };
    change.kind = if data_ok {
        ChangeKind::Relabelled
    } else {
        ChangeKind::Rewritten
    };
    change.detail = match (&declared, label_ok, data_ok) {
        (_, true, false) => "the base64 text written plainly, bytes kept".to_owned(),
        (Some(d), false, true) => format!("media_type {d} -> {media_type}, bytes kept"),
        (None, false, true) => format!("media_type {media_type} added, bytes kept"),
        (_, _, _) => {
            format!("media_type {media_type} and the base64 text written plainly, bytes kept")
        }
    };
    change.bytes_after = base64_len(bytes.len() as u64);
    match (source.and_then(|s| s.get(text, "media_type")), data_value) {
        (Some(m), Some(d)) => {
            if !label_ok {
                edits.replace(m.span(), quote(media_type));
            }
            if !data_ok {
                edits.replace(d.span(), quote(&canonical));
            }
        }
        _ => replace_source(text, job.media, media_type, &canonical, edits),
    }
}

/// Puts new bytes in an image's source: the `media_type` and `data` strings are replaced
/// where they stand, or the whole source object when one is missing.
fn replace_source(text: &str, media: &Media<'_>, media_type: &str, data: &str, edits: &mut Edits) {
    let Some(source) = media.source else {
        return;
    };
    match (source.get(text, "media_type"), source.get(text, "data")) {
        (Some(m), Some(d)) if m.str(text).is_some() => {
            edits.replace(m.span(), quote(media_type));
            edits.replace(d.span(), quote(data));
        }
        _ => edits.replace(
            source.span(),
            format!(
                "{{\"type\":\"base64\",\"media_type\":{},\"data\":{}}}",
                quote(media_type),
                quote(data)
            ),
        ),
    }
}

/// The text block that stands for a removed image, keeping its `cache_control` (a cache
/// breakpoint placed on the image still marks the same place).
fn removal_block(text: &str, media: &Media<'_>, path: &str, why: &str) -> String {
    let note = format!("[visionprep removed an image that cannot be sent ({path}): {why}]");
    match media.block.get(text, "cache_control") {
        Some(cc) => format!(
            "{{\"type\":\"text\",\"text\":{},\"cache_control\":{}}}",
            quote(&note),
            cc.raw(text)
        ),
        None => format!("{{\"type\":\"text\",\"text\":{}}}", quote(&note)),
    }
}

/// Repairs a document read whole (a body, a list of messages, or a transcript's lines as one
/// conversation): what [`repair_document`](super::repair_document) does for anything that is
/// not a stream of session or message lines.
pub(crate) fn repair_body(doc: &Document, options: &RepairOptions) -> RepairReport {
    let text = doc.text();
    let units = doc.units();
    let checked: Vec<CheckedUnit> = units
        .iter()
        .map(|u| check_unit(doc, u, &options.check))
        .collect();
    let mut jobs = Vec::new();
    for (unit, c) in units.iter().zip(&checked) {
        for (i, check) in &c.images {
            let media = &unit.scan.media[*i];
            let Some(action) = Action::for_image(check, options.shrink) else {
                continue;
            };
            let prepare =
                (action == Action::Prepare).then(|| prepare_options(&c.facts, c.max_side, options));
            jobs.push(Job {
                media,
                check,
                line: doc.line_of(media.part),
                uuid: None,
                action,
                options: prepare,
            });
        }
    }
    let mut edits = Edits::default();
    let changes = repair_images(text, &jobs, options, &mut edits);
    let before = merge(doc, &checked);
    // Edits never overlap: each touches one image block, and blocks found by the walk are
    // disjoint (a removed block is never also rewritten).
    let repaired = edits.apply(text).unwrap_or_else(|_| text.to_owned());
    let after = match Document::from_text(repaired.clone()) {
        Ok(d) => check_body(&d, &options.check),
        Err(_) => before.clone(),
    };
    RepairReport {
        text: repaired,
        changes,
        before,
        after,
    }
}
