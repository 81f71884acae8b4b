//! One image block, inspected on its own (decodes, format, label, byte cap, pixel size) and
//! judged against the request it goes in: pure functions over the block's text.

use crate::probe::{Probe, probe_bytes};
use crate::request::facts::ModelFacts;
use crate::request::finding::FindingCode;
use crate::request::finding::{Finding, Severity};
use visionprep_core::body::Media;
use visionprep_core::request::{Base64Error, base64_decode};
use visionprep_core::{MediaType, TokenRule, fit_target, fits};

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
    fn add(&mut self, severity: Severity, code: FindingCode, message: String, remedy: Remedy) {
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
            FindingCode::BadImageBlock,
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
                FindingCode::UninspectedSource,
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
            FindingCode::BadImageBlock,
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
                Base64Error::DataUrlPrefix => FindingCode::DataUrlPrefix,
                Base64Error::Empty => FindingCode::EmptyImage,
                _ => FindingCode::InvalidBase64,
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
            FindingCode::OverByteLimit,
            format!("image exceeds the limit: {b64_len} bytes > {cap} bytes (base64)"),
            Remedy::Prepare,
        );
    }
    let Some(format) = visionprep_core::sniff(&bytes) else {
        check.add(
            Severity::Error,
            FindingCode::NotAnImage,
            "the data is not an image".into(),
            Remedy::Unreadable,
        );
        return check;
    };
    check.actual = format.media_type();
    match format.media_type() {
        None => check.add(
            Severity::Error,
            FindingCode::UnsupportedFormat,
            format!("{format} is not a format the API accepts (JPEG, PNG, GIF, WebP)"),
            Remedy::Prepare,
        ),
        Some(actual) if declared.as_deref() != Some(actual.as_str()) => check.add(
            Severity::Error,
            FindingCode::MediaTypeMismatch,
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
                    FindingCode::SmallImage,
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
                    FindingCode::Animated,
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
                .find(|f| f.code == FindingCode::UnsupportedFormat)
            {
                Some(f) => {
                    f.message = format!("{}; it cannot be converted: {e}", f.message);
                    check.remedy = Remedy::Unreadable;
                }
                None => check.add(
                    Severity::Error,
                    FindingCode::UnreadableImage,
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
            FindingCode::OverMaxSide,
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
            FindingCode::Downsized,
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

/// A base64 document's data must decode, like an image's.
pub(crate) fn check_document_block(text: &str, media: &Media<'_>) -> Option<Finding> {
    if media.source_type(text).as_deref() != Some("base64") {
        return None;
    }
    let data = media.source?.get(text, "data")?.str(text)?;
    let (code, message) = match base64_decode(&data) {
        Ok(_) => return None,
        Err(Base64Error::DataUrlPrefix) => (FindingCode::DataUrlPrefix, Base64Error::DataUrlPrefix),
        Err(Base64Error::Empty) => (FindingCode::EmptyImage, Base64Error::Empty),
        Err(e) => (FindingCode::InvalidBase64, e),
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
