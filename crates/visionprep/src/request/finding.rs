//! What a check finds: findings with their severity and code, per-request summaries, the
//! report, and the options a check takes.

use std::collections::BTreeMap;
use visionprep_core::{PriceTable, Profile, RequestLimits, TokenRule, Usd};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the API accepts it (it may shrink the image, or the image may be small).
    Note,
    /// The API would refuse the request.
    Error,
}

/// The stable code of a [`Finding`], written in reports as its kebab-case text
/// ([`FindingCode::as_str`]). Errors (the API refuses the request): everything but the notes
/// `downsized` (the API will shrink it), `small-image`, `animated`, `unknown-model`,
/// `deprecated-model`, `uninspected-source` and `unreadable-line` (a session line that is not
/// JSON: the agent skips it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FindingCode {
    /// `invalid-base64`
    InvalidBase64,
    /// `data-url-prefix`
    DataUrlPrefix,
    /// `empty-image`
    EmptyImage,
    /// `not-an-image`
    NotAnImage,
    /// `unsupported-format`
    UnsupportedFormat,
    /// `media-type-mismatch`
    MediaTypeMismatch,
    /// `over-byte-limit`
    OverByteLimit,
    /// `over-max-side`
    OverMaxSide,
    /// `unreadable-image`
    UnreadableImage,
    /// `bad-image-block`
    BadImageBlock,
    /// `too-many-images`
    TooManyImages,
    /// `request-too-large`
    RequestTooLarge,
    /// `retired-model`
    RetiredModel,
    /// `not-a-message`
    NotAMessage,
    /// `not-a-request`
    NotARequest,
    /// `downsized`
    Downsized,
    /// `small-image`
    SmallImage,
    /// `animated`
    Animated,
    /// `unknown-model`
    UnknownModel,
    /// `deprecated-model`
    DeprecatedModel,
    /// `uninspected-source`
    UninspectedSource,
    /// `unreadable-line`
    UnreadableLine,
}

impl FindingCode {
    /// Every code, in the order of the docs.
    pub const ALL: &'static [FindingCode] = &[
        FindingCode::InvalidBase64,
        FindingCode::DataUrlPrefix,
        FindingCode::EmptyImage,
        FindingCode::NotAnImage,
        FindingCode::UnsupportedFormat,
        FindingCode::MediaTypeMismatch,
        FindingCode::OverByteLimit,
        FindingCode::OverMaxSide,
        FindingCode::UnreadableImage,
        FindingCode::BadImageBlock,
        FindingCode::TooManyImages,
        FindingCode::RequestTooLarge,
        FindingCode::RetiredModel,
        FindingCode::NotAMessage,
        FindingCode::NotARequest,
        FindingCode::Downsized,
        FindingCode::SmallImage,
        FindingCode::Animated,
        FindingCode::UnknownModel,
        FindingCode::DeprecatedModel,
        FindingCode::UninspectedSource,
        FindingCode::UnreadableLine,
    ];

    /// The code as reports write it: `over-byte-limit`, `downsized`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            FindingCode::InvalidBase64 => "invalid-base64",
            FindingCode::DataUrlPrefix => "data-url-prefix",
            FindingCode::EmptyImage => "empty-image",
            FindingCode::NotAnImage => "not-an-image",
            FindingCode::UnsupportedFormat => "unsupported-format",
            FindingCode::MediaTypeMismatch => "media-type-mismatch",
            FindingCode::OverByteLimit => "over-byte-limit",
            FindingCode::OverMaxSide => "over-max-side",
            FindingCode::UnreadableImage => "unreadable-image",
            FindingCode::BadImageBlock => "bad-image-block",
            FindingCode::TooManyImages => "too-many-images",
            FindingCode::RequestTooLarge => "request-too-large",
            FindingCode::RetiredModel => "retired-model",
            FindingCode::NotAMessage => "not-a-message",
            FindingCode::NotARequest => "not-a-request",
            FindingCode::Downsized => "downsized",
            FindingCode::SmallImage => "small-image",
            FindingCode::Animated => "animated",
            FindingCode::UnknownModel => "unknown-model",
            FindingCode::DeprecatedModel => "deprecated-model",
            FindingCode::UninspectedSource => "uninspected-source",
            FindingCode::UnreadableLine => "unreadable-line",
        }
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for FindingCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
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
    pub code: FindingCode,
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

impl CheckOptions {
    /// Options for `profile` and, for requests that name none (or all of them with
    /// `force_model`), `model`, on the model data `prices`. A `model` the data does not know
    /// is refused now, before anything is checked.
    pub fn for_model(
        profile: Profile,
        model: Option<String>,
        prices: PriceTable,
    ) -> Result<CheckOptions, visionprep_core::PriceError> {
        if let Some(m) = &model {
            prices.get(m)?;
        }
        Ok(CheckOptions {
            profile,
            model,
            prices,
            ..CheckOptions::default()
        })
    }
}

/// A check and its verdict, as the bindings return it: the report's fields and `passes`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckVerdict {
    /// The check.
    #[serde(flatten)]
    pub report: CheckReport,
    /// Whether the API would accept every request.
    pub passes: bool,
}

impl From<CheckReport> for CheckVerdict {
    fn from(report: CheckReport) -> Self {
        CheckVerdict {
            passes: report.passes(),
            report,
        }
    }
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

/// What [`check_document`](super::check_document) found.
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

#[cfg(test)]
mod tests {
    use super::FindingCode;

    #[test]
    fn finding_codes_are_distinct_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for code in FindingCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{text}"
            );
            assert_eq!(
                serde_json::to_string(code).ok(),
                Some(format!("\"{text}\""))
            );
        }
        assert_eq!(seen.len(), 22);
    }

    /// docs/codes.md lists every finding with its severity, and nothing else.
    #[test]
    fn every_finding_is_in_the_docs_table_and_no_other() {
        let docs = include_str!("../../../../docs/codes.md");
        let start = docs.find("\n## Findings\n").expect("a Findings section");
        let body = &docs[start + 13..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        let listed: Vec<(&str, &str)> = body
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| {
                let mut cells = l.split(" | ");
                Some((cells.next()?.trim_end_matches('`'), cells.next()?))
            })
            .collect();
        let codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed.iter().map(|(c, _)| *c).collect::<Vec<_>>(), codes);
        // The notes are the last seven, from `downsized` (FindingCode's documentation).
        for (i, (code, severity)) in listed.iter().enumerate() {
            let note = i >= codes.len() - 7;
            assert_eq!(*severity, if note { "note" } else { "error" }, "{code}");
        }
    }
}
