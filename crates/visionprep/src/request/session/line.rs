//! The first read's view of one line: what it is, its ids, its model and its images inspected.

use super::entry_id;
use crate::request::body::check_body;
use crate::request::finding::FindingCode;
use crate::request::finding::{CheckOptions, CheckReport, Finding, Severity};
use crate::request::format::{InputFormat, RawLine};
use crate::request::inspect::{ImageCheck, check_document_block, inspect_image};
use crate::request::read::Document;
use visionprep_core::body::{MediaKind, Scan, is_message};
use visionprep_core::json::{self};

/// What one line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Blank,
    /// A message: a session's user or assistant entry, or a transcript's message line.
    Message,
    /// A session entry without a message (a summary, a snapshot, a hook event).
    Other,
    /// A whole request body on one line.
    Body,
    /// Not JSON, or not what the format holds.
    Invalid,
}

/// One image or document found on a line, inspected.
pub(crate) struct LineMedia {
    /// Its index among the media of the line's message.
    pub(crate) index: usize,
    /// The image's inspection (`None` for a document).
    pub(crate) image: Option<ImageCheck>,
    /// A document's finding.
    pub(crate) document: Option<Finding>,
}

/// What the first read learns of one line.
pub(crate) struct LineFacts {
    pub(crate) no: usize,
    pub(crate) len: usize,
    pub(crate) kind: LineKind,
    pub(crate) id: Option<u64>,
    pub(crate) parent: Option<u64>,
    pub(crate) sidechain: bool,
    pub(crate) uuid: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) assistant: bool,
    pub(crate) message_bytes: u64,
    pub(crate) blocks: Vec<(String, u64)>,
    pub(crate) media: Vec<LineMedia>,
    pub(crate) finding: Option<Finding>,
    /// A body line, checked whole.
    pub(crate) body: Option<CheckReport>,
}

pub(crate) fn inspect_line(
    line: &RawLine,
    format: InputFormat,
    cap: u64,
    options: &CheckOptions,
) -> LineFacts {
    let mut facts = LineFacts {
        no: line.no,
        len: line.bytes.len(),
        kind: LineKind::Blank,
        id: None,
        parent: None,
        sidechain: false,
        uuid: None,
        model: None,
        assistant: false,
        message_bytes: 0,
        blocks: Vec::new(),
        media: Vec::new(),
        finding: None,
        body: None,
    };
    let session = format == InputFormat::ClaudeCodeSession;
    let invalid = |facts: &mut LineFacts, code: FindingCode, message: String| {
        facts.kind = LineKind::Invalid;
        facts.finding = Some(Finding {
            path: "line".into(),
            line: Some(line.no),
            uuid: None,
            // An agent skips a line it cannot read; the API never sees it.
            severity: if session {
                Severity::Note
            } else {
                Severity::Error
            },
            code,
            message,
        });
    };
    // A line that cannot be read at all: skipped by an agent, refused in a transcript.
    let unreadable = |facts: &mut LineFacts, message: String| {
        let code = if session {
            FindingCode::UnreadableLine
        } else {
            FindingCode::NotAMessage
        };
        invalid(facts, code, message);
    };
    let text = match line.text() {
        Ok(t) => t,
        Err(at) => {
            unreadable(
                &mut facts,
                format!("not UTF-8 text (invalid byte at column {})", at + 1),
            );
            return facts;
        }
    };
    if text.trim().is_empty() {
        return facts;
    }
    let value = match json::parse(text) {
        Ok(v) => v,
        Err(e) => {
            unreadable(
                &mut facts,
                if session {
                    format!("not JSON ({e}): the agent skips it; left as it is")
                } else {
                    format!("not JSON: {e}")
                },
            );
            return facts;
        }
    };
    let message = if session {
        let str_of = |key: &str| value.get(text, key).and_then(|v| v.str(text));
        if let Some(uuid) = str_of("uuid") {
            facts.id = Some(entry_id(&uuid));
            facts.uuid = Some(uuid.into_owned());
        }
        facts.parent = str_of("parentUuid").map(|p| entry_id(&p));
        facts.sidechain = value
            .get(text, "isSidechain")
            .is_some_and(|v| v.raw(text) == "true");
        match value.get(text, "message").filter(|m| is_message(text, m)) {
            Some(m) => m,
            None => {
                facts.kind = LineKind::Other;
                return facts;
            }
        }
    } else if value.get(text, "messages").is_some() {
        facts.kind = LineKind::Body;
        match Document::from_text(text.to_owned()) {
            Ok(doc) => {
                let mut report = check_body(&doc, options);
                for f in &mut report.findings {
                    f.line = Some(line.no);
                }
                for r in &mut report.requests {
                    r.line = Some(line.no);
                }
                facts.body = Some(report);
            }
            Err(e) => invalid(&mut facts, FindingCode::NotAMessage, e.to_string()),
        }
        return facts;
    } else if is_message(text, &value) {
        &value
    } else {
        invalid(
            &mut facts,
            FindingCode::NotAMessage,
            format!(
                "{} that is neither a message nor a request body",
                value.kind()
            ),
        );
        return facts;
    };
    facts.kind = LineKind::Message;
    facts.message_bytes = message.span().len() as u64;
    let str_of = |key: &str| message.get(text, key).and_then(|v| v.str(text));
    facts.assistant = str_of("role").as_deref() == Some("assistant");
    // Claude Code writes its own error notices as assistant entries of model `<synthetic>`.
    facts.model = str_of("model")
        .filter(|m| !m.starts_with('<'))
        .map(|m| m.into_owned());
    let mut scan = Scan::default();
    scan.add_message_at(text, message, "", 0, 0);
    facts.blocks = scan.blocks.into_iter().collect();
    for (index, media) in scan.media.iter().enumerate() {
        facts.media.push(match media.kind {
            MediaKind::Image => LineMedia {
                index,
                image: Some(inspect_image(text, media, cap)),
                document: None,
            },
            MediaKind::Document => LineMedia {
                index,
                image: None,
                document: check_document_block(text, media),
            },
        });
    }
    facts
}
