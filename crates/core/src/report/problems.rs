//! What is wrong with an image (problems) or why it could not be read (error codes).

use super::*;

/// Something about an image worth telling the user; it does not stop the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ProblemCode {
    /// Not one of the four API formats: must be converted (the report's `format` names it).
    UnsupportedFormat,
    /// The file name's extension names another image format than the bytes.
    ExtensionMismatch,
    /// An edge is over the API's per-side limit (8000 px): rejected as it is.
    OverMaxSide,
    /// An edge is under 200 px: results may suffer.
    #[cfg_attr(feature = "serde", serde(rename = "under-200px"))]
    Under200px,
    /// The base64 text is over the profile's per-image limit: rejected as it is.
    OverByteLimit,
    /// Animated: the model sees only the first frame.
    Animated,
    /// Stored sideways or mirrored with an EXIF tag: seen that way unless prepared.
    ExifRotated,
    /// Data ended early; read leniently.
    Truncated,
}

impl ProblemCode {
    /// Every problem, in the order of the docs.
    pub const ALL: [ProblemCode; 8] = [
        ProblemCode::UnsupportedFormat,
        ProblemCode::ExtensionMismatch,
        ProblemCode::OverMaxSide,
        ProblemCode::Under200px,
        ProblemCode::OverByteLimit,
        ProblemCode::Animated,
        ProblemCode::ExifRotated,
        ProblemCode::Truncated,
    ];

    /// The stable code used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemCode::UnsupportedFormat => "unsupported-format",
            ProblemCode::ExtensionMismatch => "extension-mismatch",
            ProblemCode::OverMaxSide => "over-max-side",
            ProblemCode::Under200px => "under-200px",
            ProblemCode::OverByteLimit => "over-byte-limit",
            ProblemCode::Animated => "animated",
            ProblemCode::ExifRotated => "exif-rotated",
            ProblemCode::Truncated => "truncated",
        }
    }

    /// What the problem means for the user, in one sentence fragment.
    pub const fn description(self) -> &'static str {
        match self {
            ProblemCode::UnsupportedFormat => "not a format the API accepts: it must be converted",
            ProblemCode::ExtensionMismatch => "the file name's extension names another format",
            ProblemCode::OverMaxSide => "over 8000 px on a side: the API rejects it as is",
            ProblemCode::Under200px => "under 200 px on a side: results may suffer",
            ProblemCode::OverByteLimit => "over the per-image byte limit once base64-encoded",
            ProblemCode::Animated => "animated: the model sees the first frame only",
            ProblemCode::ExifRotated => "turned by an EXIF tag: seen sideways unless prepared",
            ProblemCode::Truncated => "the data ends early",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why something was refused: the one code enum of the whole library. The first ten are why
/// an image could not be assessed or prepared (the `error.code` of report rows); the rest are
/// refusals of options, model data, requests and runs. Front ends map codes to their exit
/// codes and exception classes, nothing else; the codes are listed in `docs/codes.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ErrorCode {
    /// The file could not be opened or read (permissions, vanished, not a regular file).
    Unreadable,
    /// The file is empty.
    Empty,
    /// The bytes are no image format visionprep knows.
    NotAnImage,
    /// A recognised format that cannot be read or converted (PDF, SVG, ...).
    UnsupportedFormat,
    /// The data ends before the image does.
    Truncated,
    /// The data is not a valid image of its format.
    Corrupt,
    /// The declared size is beyond the configured pixel limit.
    DimensionsTooLarge,
    /// Decoding would need more memory than the configured limit.
    MemoryLimit,
    /// The output could not be encoded (or not under the byte limit).
    EncodeFailed,
    /// Writing an output failed.
    Io,
    /// An option out of range, two that do not go together, or one a front end cannot offer.
    InvalidOptions,
    /// A model the model data does not know.
    UnknownModel,
    /// A retired model, which the API refuses.
    RetiredModel,
    /// Model data (a price file) that is not valid.
    InvalidModelData,
    /// An image that fits in no request body, even alone.
    ImageTooLarge,
    /// Earlier turns (or one body) that break a request limit by themselves.
    RequestTooLarge,
    /// A document that is not a Messages API body, a message list or a transcript.
    NotARequest,
    /// A header that runs past the bytes given: read the range asked for and try again.
    NeedBytes,
    /// A file that changed while it was being read twice (an agent still writing to it).
    Changed,
    /// Two requests of a Message Batches file would have the same custom id.
    DuplicateCustomId,
    /// A file read as Message Batches results that is not one.
    NotBatchResults,
    /// The API (count_tokens) refused or could not be reached.
    Api,
    /// A fault of visionprep itself (a worker that panicked): a bug to report.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order above.
    pub const ALL: [ErrorCode; 23] = [
        ErrorCode::Unreadable,
        ErrorCode::Empty,
        ErrorCode::NotAnImage,
        ErrorCode::UnsupportedFormat,
        ErrorCode::Truncated,
        ErrorCode::Corrupt,
        ErrorCode::DimensionsTooLarge,
        ErrorCode::MemoryLimit,
        ErrorCode::EncodeFailed,
        ErrorCode::Io,
        ErrorCode::InvalidOptions,
        ErrorCode::UnknownModel,
        ErrorCode::RetiredModel,
        ErrorCode::InvalidModelData,
        ErrorCode::ImageTooLarge,
        ErrorCode::RequestTooLarge,
        ErrorCode::NotARequest,
        ErrorCode::NeedBytes,
        ErrorCode::Changed,
        ErrorCode::DuplicateCustomId,
        ErrorCode::NotBatchResults,
        ErrorCode::Api,
        ErrorCode::Internal,
    ];

    /// The stable code used in reports and exceptions.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unreadable => "unreadable",
            ErrorCode::Empty => "empty",
            ErrorCode::NotAnImage => "not-an-image",
            ErrorCode::UnsupportedFormat => "unsupported-format",
            ErrorCode::Truncated => "truncated",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::DimensionsTooLarge => "dimensions-too-large",
            ErrorCode::MemoryLimit => "memory-limit",
            ErrorCode::EncodeFailed => "encode-failed",
            ErrorCode::Io => "io",
            ErrorCode::InvalidOptions => "invalid-options",
            ErrorCode::UnknownModel => "unknown-model",
            ErrorCode::RetiredModel => "retired-model",
            ErrorCode::InvalidModelData => "invalid-model-data",
            ErrorCode::ImageTooLarge => "image-too-large",
            ErrorCode::RequestTooLarge => "request-too-large",
            ErrorCode::NotARequest => "not-a-request",
            ErrorCode::NeedBytes => "need-bytes",
            ErrorCode::Changed => "changed",
            ErrorCode::DuplicateCustomId => "duplicate-custom-id",
            ErrorCode::NotBatchResults => "not-batch-results",
            ErrorCode::Api => "api",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    fn from_str(s: &str) -> Result<Self, UnknownErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// A code that is none of [`ErrorCode::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts about an image that decide its problems: what a header read gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts<'a> {
    /// The sniffed format.
    pub format: Format,
    /// The size as stored.
    pub stored: Size,
    /// The EXIF (or container) orientation.
    pub orientation: Orientation,
    /// Whether the image has more than one frame.
    pub animated: bool,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The file name's extension, if any.
    pub extension: Option<&'a str>,
    /// The data ends before the image does (read leniently).
    pub truncated: bool,
}

impl ImageFacts<'_> {
    /// The size the image is seen at, upright.
    pub const fn displayed(&self) -> Size {
        self.orientation.displayed(self.stored)
    }

    /// Every problem of the image as it is, against `limits`, in a stable order.
    pub fn problems(&self, limits: &RequestLimits) -> Vec<ProblemCode> {
        let d = self.displayed();
        let mut out = Vec::new();
        if !self.format.is_api_format() {
            out.push(ProblemCode::UnsupportedFormat);
        }
        if let Some(ext) = self.extension
            && Format::is_image_extension(ext)
            && !self.format.matches_extension(ext)
        {
            out.push(ProblemCode::ExtensionMismatch);
        }
        out.extend(size_problems(d, limits));
        if base64_len(self.bytes) > limits.max_image_base64_bytes {
            out.push(ProblemCode::OverByteLimit);
        }
        if self.animated {
            out.push(ProblemCode::Animated);
        }
        if !self.orientation.is_identity() {
            out.push(ProblemCode::ExifRotated);
        }
        if self.truncated {
            out.push(ProblemCode::Truncated);
        }
        out
    }
}

/// The problems an image has by its displayed size alone: `over-max-side`, `under-200px`.
pub fn size_problems(displayed: Size, limits: &RequestLimits) -> impl Iterator<Item = ProblemCode> {
    let over = displayed.long_edge() > limits.max_side;
    let small = displayed.short_edge() < SMALL_EDGE;
    [
        (over, ProblemCode::OverMaxSide),
        (small, ProblemCode::Under200px),
    ]
    .into_iter()
    .filter_map(|(has, code)| has.then_some(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes in the first column of a table under `## {section}` in docs/codes.md.
    fn documented(section: &str) -> Vec<&'static str> {
        let docs = include_str!("../../../../docs/codes.md");
        let start = docs
            .find(&format!("\n## {section}\n"))
            .unwrap_or_else(|| panic!("docs/codes.md has no section {section}"));
        let body = &docs[start + section.len() + 5..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        let mut listed: Vec<&str> = body
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        listed.sort_unstable();
        listed
    }

    #[test]
    fn every_error_code_is_in_the_docs_table_and_no_other() {
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        assert_eq!(documented("Error codes"), codes);
        let distinct: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(distinct.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn every_problem_is_in_the_docs_table_and_no_other() {
        let mut codes: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        assert_eq!(documented("Problems"), codes);
        // ALL is complete: every variant's code is distinct and the match is exhaustive.
        for code in ProblemCode::ALL {
            let exhaustive = match code {
                ProblemCode::UnsupportedFormat
                | ProblemCode::ExtensionMismatch
                | ProblemCode::OverMaxSide
                | ProblemCode::Under200px
                | ProblemCode::OverByteLimit
                | ProblemCode::Animated
                | ProblemCode::ExifRotated
                | ProblemCode::Truncated => code.as_str(),
            };
            assert!(!exhaustive.is_empty());
        }
    }
}
