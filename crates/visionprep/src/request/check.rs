//! Checking bodies and transcripts as the API would, before they are sent.

use super::read::{Document, ReadError, Shape, Unit};
use crate::probe::{Probe, probe_bytes};
use std::collections::BTreeMap;
use visionprep_core::body::{Media, MediaKind};
use visionprep_core::request::{Base64Error, base64_decode};
use visionprep_core::{
    Lifecycle, MediaType, ModelPrice, PriceTable, Profile, RequestLimits, Tier, TierLimits,
    TokenRule, Usd, fit_target, fits,
};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the API accepts it (it may shrink the image, or the image may be small).
    Note,
    /// The API would refuse the request.
    Error,
}

/// Something about a request body, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Where, in the API's style: `messages.16.content.2.tool_result.content.0.image.source.base64`,
    /// `messages` (the whole list), `model`, or `body`.
    pub path: String,
    /// The line of a JSON Lines transcript it is on (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The `uuid` of the session entry it is in (agent session files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Error (the API refuses the request) or note.
    pub severity: Severity,
    /// A stable code. Errors: `invalid-base64`, `data-url-prefix`, `empty-image`,
    /// `not-an-image`, `unsupported-format`, `media-type-mismatch`, `over-byte-limit`,
    /// `over-max-side`, `unreadable-image`, `bad-image-block`, `too-many-images`,
    /// `request-too-large`, `retired-model`, `not-a-message`, `not-a-request`. Notes:
    /// `downsized` (the API will shrink it), `small-image`, `animated`, `unknown-model`,
    /// `deprecated-model`, `uninspected-source`, `unreadable-line` (a session line that is not JSON:
    /// the agent skips it).
    pub code: &'static str,
    /// What the API would say or do, for people.
    pub message: String,
}

/// What to check against.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Where the request goes: its byte limits. Default `portable`.
    pub profile: Profile,
    /// The model for requests that name none (a transcript of messages); with
    /// [`CheckOptions::force_model`], for every request. Default: the model data's default.
    pub model: Option<String>,
    /// Use [`CheckOptions::model`] even where a body names its own.
    pub force_model: bool,
    /// Exact limits instead of the profile's and the model's.
    pub limits: Option<RequestLimits>,
    /// How image tokens are counted. Default `area750`.
    pub token_rule: TokenRule,
    /// The model data.
    pub prices: PriceTable,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            profile: Profile::default(),
            model: None,
            force_model: false,
            limits: None,
            token_rule: TokenRule::default(),
            prices: PriceTable::builtin(),
        }
    }
}

/// One request of a checked document: a body, or a transcript's conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestSummary {
    /// The line it starts on, for a transcript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The model checked against.
    pub model: String,
    /// Whether the model data knows it (an unknown model is checked with a 200k-token
    /// model's limits on the standard tier).
    pub model_known: bool,
    /// Messages.
    pub messages: usize,
    /// Blocks by type, nested ones included.
    pub blocks: BTreeMap<String, u64>,
    /// Image blocks.
    pub images: usize,
    /// Document blocks.
    pub documents: usize,
    /// The images and documents the model takes in one request.
    pub max_images: u32,
    /// The body's size in bytes.
    pub bytes: u64,
    /// The profile's request limit.
    pub max_request_bytes: u64,
    /// Tokens of the images that could be measured (base64 ones), after the API's resize.
    pub image_tokens: u64,
    /// Their cost on the model, when it is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_usd: Option<Usd>,
    /// Images the API would shrink by itself.
    pub downsized: usize,
}

/// What [`check_document`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    /// `body`, `messages` or `transcript`.
    pub kind: &'static str,
    /// Each request the document makes.
    pub requests: Vec<RequestSummary>,
    /// Everything found, errors and notes, in document order.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// The findings that make the API refuse a request.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// Whether the API would accept every request.
    pub fn passes(&self) -> bool {
        self.errors().next().is_none()
    }
}

/// The model a request is checked (and repaired) for.
#[derive(Debug, Clone)]
pub(crate) struct ModelFacts {
    pub price: ModelPrice,
    pub known: bool,
    pub limits: RequestLimits,
    pub tier: TierLimits,
    pub token_price: Option<Usd>,
}

impl ModelFacts {
    pub(crate) fn resolve(
        options: &CheckOptions,
        named: Option<&str>,
        out: &mut Vec<Finding>,
    ) -> Self {
        let table = &options.prices;
        let name = match (&options.model, named) {
            (Some(m), _) if options.force_model => Some(m.as_str()),
            (_, Some(n)) => Some(n),
            (m, None) => m.as_deref(),
        };
        let found = match name {
            Some(n) => table.get(n).map_err(|e| (n.to_owned(), e.to_string())),
            None => table
                .default_model()
                .map_err(|e| (String::new(), e.to_string())),
        };
        let (price, known) = match found {
            Ok(m) => (m.clone(), true),
            Err((name, why)) => {
                out.push(Finding {
                    path: "model".into(),
                    line: None,
                    uuid: None,
                    severity: Severity::Note,
                    code: "unknown-model",
                    message: format!(
                        "{why}; checked with the limits of a 200k-token model on the standard tier"
                    ),
                });
                (ModelPrice::custom(name, Tier::Standard, Usd::ZERO), false)
            }
        };
        if known {
            match price.lifecycle {
                Lifecycle::Retired { .. } => out.push(Finding {
                    path: "model".into(),
                    line: None,
                    uuid: None,
                    severity: Severity::Error,
                    code: "retired-model",
                    message: price.status_note().unwrap_or_else(|| price.id.clone()),
                }),
                Lifecycle::Deprecated { .. } => out.push(Finding {
                    path: "model".into(),
                    line: None,
                    uuid: None,
                    severity: Severity::Note,
                    code: "deprecated-model",
                    message: price.status_note().unwrap_or_else(|| price.id.clone()),
                }),
                _ => {}
            }
        }
        let limits = options
            .limits
            .unwrap_or_else(|| options.profile.limits_for(&price));
        let token_price = known.then(|| price.token_price(table.modifiers(), &Default::default()));
        ModelFacts {
            tier: price.tier.limits(),
            price,
            known,
            limits,
            token_price,
        }
    }
}

/// What is wrong with one image, and what would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageCheck {
    pub findings: Vec<Finding>,
    pub remedy: Remedy,
    pub probe: Option<Probe>,
    /// The media type the bytes are.
    pub actual: Option<MediaType>,
    /// Length of the data text as it stands.
    pub data_len: usize,
    /// Tokens after the API's resize, when measured.
    pub tokens: Option<u64>,
    /// The path of its source, for findings.
    pub path: String,
}

impl ImageCheck {
    fn add(&mut self, severity: Severity, code: &'static str, message: String, remedy: Remedy) {
        self.findings.push(Finding {
            path: self.path.clone(),
            line: None,
            uuid: None,
            severity,
            code,
            message,
        });
        self.remedy = self.remedy.max(remedy);
    }
}

/// The least change that makes an image acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Remedy {
    /// Nothing to do.
    None,
    /// The API accepts it but shrinks it: prepare it only when asked (`--shrink`).
    Shrink,
    /// The bytes are fine: only the text around them is wrong (the data needs writing as
    /// plain base64, or the media type says another format).
    Rewrite,
    /// The image must be converted, shrunk or compressed: prepare it.
    Prepare,
    /// Nothing can be read from it.
    Unreadable,
}

/// Decodes what the API would refuse but that still holds base64: a `data:` prefix, line
/// breaks or spaces, missing padding, the URL-safe alphabet.
fn lenient_base64(data: &str) -> Option<Vec<u8>> {
    let body = match data.strip_prefix("data:") {
        Some(rest) => rest.split_once(',')?.1,
        None => data,
    };
    let mut clean: String = body
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !clean.len().is_multiple_of(4) {
        clean.push('=');
    }
    base64_decode(&clean).ok().filter(|b| !b.is_empty())
}

/// Checks one image block against one request's limits: [`inspect_image`] then
/// [`judge_image`].
pub(crate) fn check_image(
    text: &str,
    media: &Media<'_>,
    max_side: u32,
    facts: &ModelFacts,
    rule: TokenRule,
) -> ImageCheck {
    let mut check = inspect_image(text, media, facts.limits.max_image_base64_bytes);
    judge_image(&mut check, max_side, facts, rule);
    check
}

/// What can be told of one image block without knowing the request it goes in: whether it
/// decodes, its format against its label, its size against the per-image byte cap `cap`, its
/// pixel size. A session file is inspected line by line before its model and the images sent
/// together are known; [`judge_image`] then applies those.
pub(crate) fn inspect_image(text: &str, media: &Media<'_>, cap: u64) -> ImageCheck {
    let mut check = ImageCheck {
        findings: Vec::new(),
        remedy: Remedy::None,
        probe: None,
        actual: None,
        data_len: 0,
        tokens: None,
        path: media.source_path(text),
    };
    let Some(source) = media.source else {
        check.add(
            Severity::Error,
            "bad-image-block",
            "an image block needs a \"source\" object".into(),
            Remedy::Unreadable,
        );
        return check;
    };
    match media.source_type(text).as_deref() {
        Some("base64") => {}
        Some("url" | "file") => return check,
        other => {
            check.add(
                Severity::Note,
                "uninspected-source",
                format!(
                    "a source of type {} cannot be inspected",
                    other.unwrap_or("(none)")
                ),
                Remedy::None,
            );
            return check;
        }
    }
    let Some(data) = source.get(text, "data").and_then(|d| d.str(text)) else {
        check.add(
            Severity::Error,
            "bad-image-block",
            "a base64 source needs a \"data\" string".into(),
            Remedy::Unreadable,
        );
        return check;
    };
    check.data_len = data.len();
    let declared = source
        .get(text, "media_type")
        .and_then(|m| m.str(text))
        .map(|m| m.into_owned());
    let bytes = match base64_decode(&data) {
        Ok(b) => b,
        Err(e) => {
            let code = match e {
                Base64Error::DataUrlPrefix => "data-url-prefix",
                Base64Error::Empty => "empty-image",
                _ => "invalid-base64",
            };
            let lenient = lenient_base64(&data);
            let remedy = if lenient.is_some() {
                Remedy::Rewrite
            } else {
                Remedy::Unreadable
            };
            check.add(Severity::Error, code, e.to_string(), remedy);
            match lenient {
                Some(b) => b,
                None => return check,
            }
        }
    };
    let b64_len = visionprep_core::base64_len(bytes.len() as u64);
    if b64_len > cap {
        check.add(
            Severity::Error,
            "over-byte-limit",
            format!("image exceeds the limit: {b64_len} bytes > {cap} bytes (base64)"),
            Remedy::Prepare,
        );
    }
    let Some(format) = visionprep_core::sniff(&bytes) else {
        check.add(
            Severity::Error,
            "not-an-image",
            "the data is not an image".into(),
            Remedy::Unreadable,
        );
        return check;
    };
    check.actual = format.media_type();
    match format.media_type() {
        None => check.add(
            Severity::Error,
            "unsupported-format",
            format!("{format} is not a format the API accepts (JPEG, PNG, GIF, WebP)"),
            Remedy::Prepare,
        ),
        Some(actual) if declared.as_deref() != Some(actual.as_str()) => check.add(
            Severity::Error,
            "media-type-mismatch",
            match &declared {
                Some(d) => {
                    format!("Image does not match the provided media type {d}: it is {actual}")
                }
                None => format!("no media_type given: the data is {actual}"),
            },
            Remedy::Rewrite,
        ),
        Some(_) => {}
    }
    match probe_bytes(&bytes, &crate::Limits::default()) {
        Ok(p) => {
            let shown = p.displayed();
            if shown.short_edge() < visionprep_core::SMALL_EDGE {
                check.add(
                    Severity::Note,
                    "small-image",
                    format!(
                        "{shown}: an edge under {} px may degrade results",
                        visionprep_core::SMALL_EDGE
                    ),
                    Remedy::None,
                );
            }
            if p.animated {
                check.add(
                    Severity::Note,
                    "animated",
                    "animated: the model sees the first frame only".into(),
                    Remedy::None,
                );
            }
            check.probe = Some(p);
        }
        Err(e) => {
            // A format the API refuses that cannot be read either (a PDF, a HEIC without a
            // decoder): one finding, which nothing can fix.
            match check
                .findings
                .iter_mut()
                .find(|f| f.code == "unsupported-format")
            {
                Some(f) => {
                    f.message = format!("{}; it cannot be converted: {e}", f.message);
                    check.remedy = Remedy::Unreadable;
                }
                None => check.add(
                    Severity::Error,
                    "unreadable-image",
                    e.to_string(),
                    Remedy::Unreadable,
                ),
            }
        }
    }
    check
}

/// Applies a request's limits to an inspected image: its sides against `max_side` (8000 px,
/// or 2000 px when the request holds more than 20 images), what the model's tier would shrink,
/// and its tokens after that.
pub(crate) fn judge_image(
    check: &mut ImageCheck,
    max_side: u32,
    facts: &ModelFacts,
    rule: TokenRule,
) {
    let Some(shown) = check.probe.as_ref().map(Probe::displayed) else {
        return;
    };
    if shown.long_edge() > max_side {
        check.add(
            Severity::Error,
            "over-max-side",
            format!(
                "{shown} is over the {max_side} px limit{}",
                if max_side < facts.limits.max_side {
                    format!(
                        " for a request of more than {} images",
                        facts.limits.many_images_threshold
                    )
                } else {
                    String::new()
                }
            ),
            Remedy::Prepare,
        );
    }
    let seen = fit_target(shown, facts.tier);
    if !fits(shown, facts.tier) {
        check.add(
            Severity::Note,
            "downsized",
            format!(
                "the API will shrink {shown} to {seen} for {}",
                facts.price.id
            ),
            Remedy::Shrink,
        );
    }
    check.tokens = Some(rule.tokens(seen, facts.tier));
    // Errors first, each kind in the order found.
    check
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
}

/// The bytes of a base64 image block, read leniently (a `data:` prefix, line breaks, missing
/// padding): what [`check_image`] measured. Decoded again where they are needed rather than
/// held for every image of a transcript while it is checked.
pub(crate) fn image_bytes(text: &str, media: &Media<'_>) -> Option<Vec<u8>> {
    let data = media.source?.get(text, "data")?.str(text)?;
    base64_decode(&data).ok().or_else(|| lenient_base64(&data))
}

/// The limits of a whole request: the images and documents it holds, and its size.
pub(crate) fn limit_findings(
    facts: &ModelFacts,
    profile: Profile,
    count: usize,
    bytes: u64,
    line: Option<usize>,
) -> Vec<Finding> {
    let limits = facts.limits;
    let mut findings = Vec::new();
    if count as u64 > u64::from(limits.max_images) {
        findings.push(Finding {
            path: "messages".into(),
            line,
            uuid: None,
            severity: Severity::Error,
            code: "too-many-images",
            message: format!(
                "too many images and documents: {count} > {} for {}",
                limits.max_images, facts.price.id
            ),
        });
    }
    if bytes > limits.max_request_bytes {
        findings.push(Finding {
            path: "body".into(),
            line,
            uuid: None,
            severity: Severity::Error,
            code: "request-too-large",
            message: format!(
                "the body is {bytes} bytes, over the {}-byte request limit of {profile}",
                limits.max_request_bytes
            ),
        });
    }
    findings
}

/// A base64 document's data must decode, like an image's.
pub(crate) fn check_document_block(text: &str, media: &Media<'_>) -> Option<Finding> {
    if media.source_type(text).as_deref() != Some("base64") {
        return None;
    }
    let data = media.source?.get(text, "data")?.str(text)?;
    let (code, message) = match base64_decode(&data) {
        Ok(_) => return None,
        Err(Base64Error::DataUrlPrefix) => ("data-url-prefix", Base64Error::DataUrlPrefix),
        Err(Base64Error::Empty) => ("empty-image", Base64Error::Empty),
        Err(e) => ("invalid-base64", e),
    };
    Some(Finding {
        path: media.source_path(text),
        line: None,
        uuid: None,
        severity: Severity::Error,
        code,
        message: format!("document: {message}"),
    })
}

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
                code: "not-a-message",
                message: why.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Checks a document (a body, a list of messages or a JSON Lines transcript) the way the API
/// would, without sending it: every base64 image decodes, is an API format, matches its
/// declared media type, is within the per-image byte cap and the pixel limit (2000 px when the
/// request has more than 20 images and documents); the image count is within the model's
/// limit and the body within the profile's size. Images by URL or file id are counted but
/// cannot be inspected. Notes say what the API would shrink by itself.
pub fn check_document(doc: &Document, options: &CheckOptions) -> CheckReport {
    if let Some(format) = super::lines::lines_format(doc)
        && let Ok(report) = super::lines::check_lines(
            super::lines::LinesInput::Bytes(doc.text().as_bytes()),
            format,
            options,
        )
    {
        return report;
    }
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

/// [`check_document`] of bytes read from a file.
pub fn check_bytes(bytes: Vec<u8>, options: &CheckOptions) -> Result<CheckReport, ReadError> {
    Ok(check_document(&Document::read(bytes)?, options))
}

/// Checks a body built with [`visionprep_core::request`] types against exact `limits`: the
/// errors of [`check_document`].
pub fn check(
    body: &visionprep_core::request::MessagesRequest,
    limits: &RequestLimits,
) -> Vec<Finding> {
    let text = serde_json::to_string(body).unwrap_or_default();
    let options = CheckOptions {
        limits: Some(*limits),
        model: Some(body.model.clone()),
        ..CheckOptions::default()
    };
    match Document::from_text(text) {
        Ok(doc) => check_document(&doc, &options)
            .findings
            .into_iter()
            .filter(|f| f.severity == Severity::Error && f.code != "retired-model")
            .collect(),
        Err(e) => vec![Finding {
            path: "body".into(),
            line: None,
            uuid: None,
            severity: Severity::Error,
            code: "not-a-request",
            message: e.to_string(),
        }],
    }
}
