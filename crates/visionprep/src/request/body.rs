//! Checking a document read whole (a body, a list of messages), unit by unit.

use crate::request::facts::{ModelFacts, limit_findings};
use crate::request::finding::FindingCode;
use crate::request::finding::{CheckOptions, CheckReport, Finding, RequestSummary, Severity};
use crate::request::inspect::{ImageCheck, Remedy, check_document_block, check_image};
use crate::request::read::{Document, Shape, Unit};
use visionprep_core::body::MediaKind;

/// One request checked: its summary, its findings, and each image's check (by media index).
pub(crate) struct CheckedUnit {
    pub facts: ModelFacts,
    pub summary: RequestSummary,
    pub findings: Vec<Finding>,
    pub images: Vec<(usize, ImageCheck)>,
    pub max_side: u32,
}

pub(crate) fn check_unit(doc: &Document, unit: &Unit<'_>, options: &CheckOptions) -> CheckedUnit {
    let text = doc.text();
    let mut findings = Vec::new();
    let facts = ModelFacts::resolve(options, unit.model.as_deref(), &mut findings);
    for f in &mut findings {
        f.line = unit.line;
    }
    let limits = facts.limits;
    let count = unit.scan.media_count();
    let max_side = limits.max_side_for(u32::try_from(count).unwrap_or(u32::MAX));
    findings.extend(limit_findings(
        &facts,
        options.profile,
        count,
        unit.bytes,
        unit.line,
    ));
    // Images are decoded and measured in parallel: a transcript may hold hundreds.
    use rayon::prelude::*;
    let images: Vec<(usize, ImageCheck)> = unit
        .scan
        .media
        .par_iter()
        .enumerate()
        .filter(|(_, m)| m.kind == MediaKind::Image)
        .map(|(i, m)| {
            (
                i,
                check_image(text, m, max_side, &facts, options.token_rule),
            )
        })
        .collect();
    let mut image_tokens = 0;
    let mut downsized = 0;
    let mut at = 0;
    for (i, media) in unit.scan.media.iter().enumerate() {
        let line = doc.line_of(media.part);
        if media.kind == MediaKind::Document {
            if let Some(mut f) = check_document_block(text, media) {
                f.line = line;
                findings.push(f);
            }
            continue;
        }
        while at < images.len() && images[at].0 < i {
            at += 1;
        }
        if let Some((_, check)) = images.get(at).filter(|(j, _)| *j == i) {
            image_tokens += check.tokens.unwrap_or(0);
            downsized += usize::from(check.remedy == Remedy::Shrink);
            findings.extend(check.findings.iter().cloned().map(|mut f| {
                f.line = line;
                f
            }));
        }
    }
    let summary = RequestSummary {
        line: unit.line,
        model: facts.price.id.clone(),
        model_known: facts.known,
        messages: unit.scan.messages,
        blocks: unit.scan.blocks.clone(),
        images: unit.scan.images().count(),
        documents: count - unit.scan.images().count(),
        max_images: limits.max_images,
        bytes: unit.bytes,
        max_request_bytes: limits.max_request_bytes,
        image_tokens,
        image_usd: facts.token_price.map(|p| p.times(image_tokens)),
        downsized,
    };
    CheckedUnit {
        facts,
        summary,
        findings,
        images,
        max_side,
    }
}

/// Lines of a transcript that are not messages or bodies.
pub(crate) fn line_findings(doc: &Document) -> Vec<Finding> {
    doc.parts
        .iter()
        .filter_map(|p| match &p.shape {
            Shape::Invalid(why) => Some(Finding {
                path: "line".into(),
                line: p.line,
                uuid: None,
                severity: Severity::Error,
                code: FindingCode::NotAMessage,
                message: why.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Checks a document read whole (a body, a list of messages, or a transcript's lines as one
/// conversation) unit by unit: what [`check_document`](super::check_document) does for
/// anything that is not a stream of session or message lines.
pub(crate) fn check_body(doc: &Document, options: &CheckOptions) -> CheckReport {
    let mut findings = line_findings(doc);
    let mut requests = Vec::new();
    for unit in doc.units() {
        let checked = check_unit(doc, &unit, options);
        findings.extend(checked.findings);
        requests.push(checked.summary);
    }
    findings.sort_by_key(|f| f.line.unwrap_or(0));
    CheckReport {
        kind: doc.kind().as_str(),
        requests,
        findings,
    }
}
