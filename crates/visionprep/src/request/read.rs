//! Reading request bodies and transcripts exactly as they are written.

use std::ops::Range;
use visionprep_core::body::{Body, Scan, is_message, is_session_entry};
use visionprep_core::json::{self, JsonError, Value};

/// What a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// One Messages API request body.
    Body,
    /// A JSON array of messages (`[{"role", "content"}, ...]`): one conversation.
    Messages,
    /// JSON Lines: one message or one body per line. The message lines form one
    /// conversation, sent together; each body line is a request of its own.
    Transcript,
}

impl DocumentKind {
    /// `body`, `messages` or `transcript`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Body => "body",
            DocumentKind::Messages => "messages",
            DocumentKind::Transcript => "transcript",
        }
    }
}

/// Why a file cannot be read as a body or a transcript at all. (A transcript line that is not
/// a message is a finding on that line instead; the other lines are still read.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The bytes are not UTF-8 text.
    #[error("not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    /// Nothing but whitespace.
    #[error("the file is empty")]
    Empty,
    /// Not JSON, nor JSON Lines.
    #[error("not JSON: {0}")]
    NotJson(JsonError),
    /// JSON, but neither a body, a message nor a list of messages.
    #[error("not a Messages API body, a message or a transcript: {0}")]
    NotARequest(String),
}

impl ReadError {
    /// Its stable code: `empty` or `not-a-request`.
    pub fn code(&self) -> visionprep_core::ErrorCode {
        match self {
            ReadError::Empty => visionprep_core::ErrorCode::Empty,
            _ => visionprep_core::ErrorCode::NotARequest,
        }
    }
}

/// One top-level JSON value of a document: the whole of it, or one line.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// 1-based line of a JSON Lines file (`None` for a single document).
    pub line: Option<usize>,
    pub range: Range<usize>,
    pub shape: Shape,
}

#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Body(Value),
    Message(Value),
    Messages(Value),
    /// An agent's session entry (its message, if any, under `message`).
    Entry(Value),
    /// A line that is not JSON, or not a message or a body.
    Invalid(String),
}

/// A body or transcript, parsed without being rebuilt: spans into its text.
#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    kind: DocumentKind,
    pub(crate) parts: Vec<Part>,
}

/// Messages sent together: a body, or a transcript's message lines.
pub(crate) struct Unit<'d> {
    /// The model the body names.
    pub model: Option<String>,
    pub scan: Scan<'d>,
    /// The first line, for a transcript.
    pub line: Option<usize>,
    /// The size of the body that sends them.
    pub bytes: u64,
    /// The body, when the request is one.
    pub root: Option<&'d Value>,
    /// The messages, when the request is a list or a transcript's lines.
    pub messages: Vec<&'d Value>,
}

impl Document {
    /// Reads `bytes` as a request body, a JSON array of messages, or a JSON Lines transcript
    /// of messages or bodies.
    pub fn read(bytes: Vec<u8>) -> Result<Document, ReadError> {
        let text = String::from_utf8(bytes)
            .map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))?;
        Document::from_text(text)
    }

    /// [`Document::read`] of text.
    pub fn from_text(text: String) -> Result<Document, ReadError> {
        Document::try_from_text(text).map_err(|(_, e)| e)
    }

    /// [`Document::from_text`] that gives the text back with the error, for a caller that
    /// forwards what it could not read (the proxy).
    pub fn try_from_text(text: String) -> Result<Document, (String, ReadError)> {
        match Document::analyse(&text) {
            Ok((kind, parts)) => Ok(Document { text, kind, parts }),
            Err(e) => Err((text, e)),
        }
    }

    /// What `text` holds and where its parts are.
    fn analyse(text: &str) -> Result<(DocumentKind, Vec<Part>), ReadError> {
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        if text[start..].trim().is_empty() {
            return Err(ReadError::Empty);
        }
        let whole = json::parse_range(text, start..text.len());
        match whole {
            Ok(value) => {
                let shape = whole_shape(text, value)?;
                let kind = match shape {
                    Shape::Body(_) => DocumentKind::Body,
                    Shape::Messages(_) => DocumentKind::Messages,
                    _ => DocumentKind::Transcript,
                };
                let part = Part {
                    line: None,
                    range: start..text.len(),
                    shape,
                };
                Ok((kind, vec![part]))
            }
            Err(e) => {
                let parts = lines(text, start);
                let readable = parts.iter().any(|p| !matches!(p.shape, Shape::Invalid(_)));
                if parts.len() < 2 || !readable {
                    return Err(ReadError::NotJson(e));
                }
                Ok((DocumentKind::Transcript, parts))
            }
        }
    }

    /// The whole text, given back (the bytes a caller forwards when nothing changed).
    pub fn into_text(self) -> String {
        self.text
    }

    /// The whole text, as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What it holds.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The requests it makes: each body, and the conversation of its messages.
    pub(crate) fn units(&self) -> Vec<Unit<'_>> {
        let text = self.text.as_str();
        let mut units = Vec::new();
        let mut conversation: Option<Unit<'_>> = None;
        for (p, part) in self.parts.iter().enumerate() {
            let size = (part.range.end - part.range.start) as u64;
            match &part.shape {
                Shape::Body(root) => {
                    let Ok(body) = Body::read(text, root) else {
                        continue;
                    };
                    let mut scan = Scan::default();
                    body.scan_into(text, p, &mut scan);
                    units.push(Unit {
                        model: body.model(text).map(|m| m.into_owned()),
                        scan,
                        line: part.line,
                        bytes: size,
                        root: Some(root),
                        messages: Vec::new(),
                    });
                }
                Shape::Entry(entry) => {
                    // Counted as the conversation's messages in file order (checking and
                    // repairing follow the entries' parent chain instead).
                    if let Some(message) =
                        entry.get(text, "message").filter(|m| is_message(text, m))
                    {
                        let size = message.span().len() as u64;
                        add_to(&mut conversation, text, message, part.line, p, size);
                    }
                }
                Shape::Message(message) => {
                    add_to(&mut conversation, text, message, part.line, p, size);
                }
                Shape::Messages(list) => {
                    let mut scan = Scan::default();
                    for (i, message) in list.elements().iter().enumerate() {
                        scan.add_message(text, message, i, p);
                    }
                    units.push(Unit {
                        model: None,
                        scan,
                        line: part.line,
                        bytes: size + 64,
                        root: None,
                        messages: list.elements().iter().collect(),
                    });
                }
                Shape::Invalid(_) => {}
            }
        }
        units.extend(conversation);
        units
    }

    /// The line of part `p` (transcripts only).
    pub(crate) fn line_of(&self, p: usize) -> Option<usize> {
        self.parts.get(p).and_then(|part| part.line)
    }
}

/// Adds a transcript's message to its conversation, started by the first.
fn add_to<'d>(
    conversation: &mut Option<Unit<'d>>,
    text: &str,
    message: &'d Value,
    line: Option<usize>,
    part: usize,
    size: u64,
) {
    let unit = conversation.get_or_insert_with(|| Unit {
        model: None,
        scan: Scan::default(),
        line,
        // `{"model":"...","max_tokens":...,"messages":[]}` around them.
        bytes: 64,
        root: None,
        messages: Vec::new(),
    });
    let index = unit.scan.messages;
    unit.scan.add_message(text, message, index, part);
    unit.messages.push(message);
    unit.bytes += size + 1;
}

fn whole_shape(text: &str, value: Value) -> Result<Shape, ReadError> {
    if value.get(text, "messages").is_some() {
        return match Body::read(text, &value) {
            Ok(_) => Ok(Shape::Body(value)),
            Err(e) => Err(ReadError::NotARequest(e.to_string())),
        };
    }
    if is_message(text, &value) {
        return Ok(Shape::Message(value));
    }
    if value.is_array() && value.elements().iter().all(|m| is_message(text, m)) {
        return Ok(Shape::Messages(value));
    }
    Err(ReadError::NotARequest(format!(
        "{} without \"messages\", nor a message with \"role\" and \"content\"",
        value.kind()
    )))
}

/// Splits JSON Lines: every non-blank line is one part.
fn lines(text: &str, start: usize) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut at = start;
    for (n, line) in text[start..].split_inclusive('\n').enumerate() {
        let range = at..at + line.len();
        at += line.len();
        if line.trim().is_empty() {
            continue;
        }
        let shape = match json::parse_range(text, range.clone()) {
            Err(e) => Shape::Invalid(format!("not JSON: {e}")),
            Ok(v) if v.get(text, "messages").is_some() => match Body::read(text, &v) {
                Ok(_) => Shape::Body(v),
                Err(e) => Shape::Invalid(e.to_string()),
            },
            Ok(v) if is_message(text, &v) => Shape::Message(v),
            Ok(v) if is_session_entry(text, &v) => Shape::Entry(v),
            Ok(v) => Shape::Invalid(format!(
                "{} that is neither a message nor a request body",
                v.kind()
            )),
        };
        let trimmed = range.start..range.start + line.trim_end().len();
        parts.push(Part {
            line: Some(n + 1),
            range: trimmed,
            shape,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(text: &str) -> Result<DocumentKind, ReadError> {
        Document::from_text(text.to_owned()).map(|d| d.kind())
    }

    #[test]
    fn tells_bodies_lists_and_transcripts_apart() {
        assert_eq!(
            kind_of(r#"{"model":"m","messages":[]}"#),
            Ok(DocumentKind::Body)
        );
        assert_eq!(
            kind_of(r#"[{"role":"user","content":"a"}]"#),
            Ok(DocumentKind::Messages)
        );
        assert_eq!(
            kind_of(
                "{\"role\":\"user\",\"content\":\"a\"}\n{\"role\":\"assistant\",\"content\":\"b\"}\n"
            ),
            Ok(DocumentKind::Transcript)
        );
        assert_eq!(kind_of("  \n"), Err(ReadError::Empty));
        assert!(matches!(kind_of("{"), Err(ReadError::NotJson(_))));
        assert!(matches!(
            kind_of(r#"{"a":1}"#),
            Err(ReadError::NotARequest(_))
        ));
        assert!(matches!(
            kind_of(r#"{"messages":"x"}"#),
            Err(ReadError::NotARequest(_))
        ));
        assert_eq!(
            Document::read(vec![b'{', 0xff]).unwrap_err(),
            ReadError::NotUtf8(1)
        );
    }

    #[test]
    fn transcript_lines_form_one_conversation_and_bad_lines_are_kept_apart() {
        let text = "{\"role\":\"user\",\"content\":\"a\"}\nnot json\n\n{\"role\":\"assistant\",\"content\":[]}\n{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"z\"}]}\n";
        let doc = Document::from_text(text.to_owned()).unwrap();
        assert_eq!(doc.parts.len(), 4);
        assert!(matches!(doc.parts[1].shape, Shape::Invalid(_)));
        assert_eq!(doc.parts[2].line, Some(4));
        let units = doc.units();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].model.as_deref(), Some("m"));
        assert_eq!(units[1].scan.messages, 2);
        assert_eq!(units[1].line, Some(1));
    }
}
