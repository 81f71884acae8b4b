//! Checking bodies and transcripts as the API would, before they are sent: the entry points,
//! which send streams of session or message lines to [`super::session`] and the rest to
//! [`super::body`].

use crate::request::body::check_body;
use crate::request::finding::FindingCode;
use crate::request::finding::{CheckOptions, CheckReport, Finding, Severity};
use crate::request::format::{
    InputFormat, LinesError, LinesInput, lines_format, read_whole, resolve_format,
};
use crate::request::read::{Document, ReadError};
use crate::request::session;
use visionprep_core::RequestLimits;

/// Checks a session file or a JSON Lines transcript as a stream (see the module's doc). With
/// [`InputFormat::Body`] (or one told from the content) the input is read whole as a
/// [`Document`].
pub fn check_lines(
    input: LinesInput<'_>,
    format: InputFormat,
    options: &CheckOptions,
) -> Result<CheckReport, LinesError> {
    let format = resolve_format(input, format)?;
    if format == InputFormat::Body {
        return Ok(check_document(&read_whole(input)?, options));
    }
    session::check_stream(input, format, options)
}

/// Checks a document (a body, a list of messages or a JSON Lines transcript) the way the API
/// would, without sending it: every base64 image decodes, is an API format, matches its
/// declared media type, is within the per-image byte cap and the pixel limit (2000 px when the
/// request has more than 20 images and documents); the image count is within the model's
/// limit and the body within the profile's size. Images by URL or file id are counted but
/// cannot be inspected. Notes say what the API would shrink by itself.
pub fn check_document(doc: &Document, options: &CheckOptions) -> CheckReport {
    if let Some(format) = lines_format(doc)
        && let Ok(report) =
            session::check_stream(LinesInput::Bytes(doc.text().as_bytes()), format, options)
    {
        return report;
    }
    check_body(doc, options)
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
            .filter(|f| f.severity == Severity::Error && f.code != FindingCode::RetiredModel)
            .collect(),
        Err(e) => vec![Finding {
            path: "body".into(),
            line: None,
            uuid: None,
            severity: Severity::Error,
            code: FindingCode::NotARequest,
            message: e.to_string(),
        }],
    }
}
