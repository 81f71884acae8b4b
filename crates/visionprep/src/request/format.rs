//! How an input is laid out (one body, JSON Lines of messages, an agent's session file), told
//! once, and the line reader the session streams use.

use crate::request::read::{Document, ReadError};
use std::io::{self, BufRead};
use std::path::Path;
use visionprep_core::body::is_session_entry;
use visionprep_core::json::{self};

/// How an input is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// Told from the content: a session file's first entry has a `type` and a `uuid`,
    /// `sessionId` or `message`; other JSON Lines are messages; anything else is one JSON
    /// document.
    #[default]
    Auto,
    /// A Claude Code session (`~/.claude/projects/*/SESSION.jsonl`): entries with `type`,
    /// `uuid`, `parentUuid` and, for user and assistant entries, a `message`.
    ClaudeCodeSession,
    /// JSON Lines of messages (`{"role", "content"}`), sent together as one conversation, or
    /// of request bodies, each a request of its own.
    MessagesJsonl,
    /// One JSON document: a request body or a list of messages.
    Body,
}

impl InputFormat {
    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::ClaudeCodeSession => "claude-code-session",
            InputFormat::MessagesJsonl => "messages-jsonl",
            InputFormat::Body => "body",
        }
    }
}

/// An input format other than `auto`, `claude-code-session`, `messages-jsonl` or `body`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown input format {0:?}: auto, claude-code-session, messages-jsonl or body")]
pub struct UnknownInputFormat(pub String);

impl std::str::FromStr for InputFormat {
    type Err = UnknownInputFormat;
    fn from_str(s: &str) -> Result<Self, UnknownInputFormat> {
        Ok(match s {
            "auto" => InputFormat::Auto,
            "claude-code-session" | "session" => InputFormat::ClaudeCodeSession,
            "messages-jsonl" | "jsonl" | "transcript" => InputFormat::MessagesJsonl,
            "body" | "json" => InputFormat::Body,
            other => return Err(UnknownInputFormat(other.to_owned())),
        })
    }
}

impl std::fmt::Display for InputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where JSON Lines are read from: a file (opened again for each read) or bytes in memory.
#[derive(Debug, Clone, Copy)]
pub enum LinesInput<'a> {
    /// A file.
    Path(&'a Path),
    /// Bytes already read.
    Bytes(&'a [u8]),
}

impl<'a> LinesInput<'a> {
    pub(crate) fn open(&self) -> io::Result<Box<dyn BufRead + 'a>> {
        Ok(match *self {
            LinesInput::Path(p) => Box::new(io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(p)?,
            )),
            LinesInput::Bytes(b) => Box::new(b),
        })
    }
}

/// Why JSON Lines could not be checked or repaired (a bad line is a finding, not this).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinesError {
    /// Reading the input or writing the output failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The input is not JSON Lines of messages or session entries at all.
    #[error("{0}")]
    Read(#[from] ReadError),
    /// The file changed between the two reads of a repair (an agent still writing to it?).
    #[error("the file changed while it was being repaired (is the agent still running?)")]
    Changed,
    /// The output named is the input: repair never writes over its input but in place.
    #[error(
        "{0} is the input itself: repair never writes over its input (repair in place keeps a backup)"
    )]
    OverInput(String),
    /// The output could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// Where.
        path: String,
        /// Why.
        source: io::Error,
    },
}

impl LinesError {
    /// Its stable code: `unreadable`, the document's own, `changed`, `invalid-options` (an
    /// output over the input) or `io`.
    pub fn code(&self) -> visionprep_core::ErrorCode {
        use visionprep_core::ErrorCode as C;
        match self {
            LinesError::Io(_) => C::Unreadable,
            LinesError::Read(e) => e.code(),
            LinesError::Changed => C::Changed,
            LinesError::OverInput(_) => C::InvalidOptions,
            LinesError::Write { .. } => C::Io,
        }
    }
}

/// Lines read per batch, at most: a batch is inspected in parallel.
const BATCH_LINES: usize = 2048;

/// Bytes read per batch, at most (a longer line is a batch of its own).
const BATCH_BYTES: usize = 32 << 20;

/// A UTF-8 byte order mark, which some editors put first.
pub(crate) const BOM: &[u8] = b"\xef\xbb\xbf";

/// One line as read: its number (1-based) and its bytes, terminator included.
pub(crate) struct RawLine {
    pub(crate) no: usize,
    pub(crate) bytes: Vec<u8>,
}

impl RawLine {
    /// The JSON text of the line: without its terminator (and a first line's byte order mark).
    pub(crate) fn text(&self) -> Result<&str, usize> {
        let mut b = self.bytes.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = b {
            b = rest;
        }
        if self.no == 1 {
            b = b.strip_prefix(BOM).unwrap_or(b);
        }
        std::str::from_utf8(b).map_err(|e| e.valid_up_to())
    }
}

/// Reads lines in batches and hands each batch to `f`.
pub(crate) fn for_each_batch(
    input: LinesInput<'_>,
    mut f: impl FnMut(Vec<RawLine>) -> Result<(), LinesError>,
) -> Result<(), LinesError> {
    let mut reader = input.open()?;
    let mut no = 0;
    let mut batch = Vec::new();
    let mut held = 0;
    loop {
        let mut bytes = Vec::new();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        no += 1;
        held += bytes.len();
        batch.push(RawLine { no, bytes });
        if batch.len() >= BATCH_LINES || held >= BATCH_BYTES {
            f(std::mem::take(&mut batch))?;
            held = 0;
        }
    }
    if !batch.is_empty() {
        f(batch)?;
    }
    Ok(())
}

/// Tells a session file from JSON Lines of messages and from one JSON document, by the first
/// line that is not blank: a session entry makes a session; a whole JSON object followed by
/// more lines makes JSON Lines; anything else is one document (pretty-printed JSON, a single
/// line).
pub fn detect_format(input: LinesInput<'_>) -> Result<InputFormat, LinesError> {
    let mut reader = input.open()?;
    let mut no = 0;
    let mut first = None;
    loop {
        let mut bytes = Vec::new();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(InputFormat::Body);
        }
        no += 1;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if first.is_some() {
            return Ok(InputFormat::MessagesJsonl);
        }
        let line = RawLine { no, bytes };
        let Ok(text) = line.text() else {
            return Ok(InputFormat::Body);
        };
        match json::parse(text) {
            Ok(value) if is_session_entry(text, &value) => {
                return Ok(InputFormat::ClaudeCodeSession);
            }
            Ok(value) if value.is_object() => first = Some(()),
            _ => return Ok(InputFormat::Body),
        }
    }
}

/// The line format of a document read whole that is JSON Lines (a session, or messages one
/// per line): such documents are checked and repaired here, the same as a file.
pub(crate) fn lines_format(doc: &Document) -> Option<InputFormat> {
    if doc.kind() != super::DocumentKind::Transcript || doc.parts.iter().all(|p| p.line.is_none()) {
        return None;
    }
    match detect_format(LinesInput::Bytes(doc.text().as_bytes())) {
        Ok(InputFormat::Body) | Err(_) => None,
        Ok(f) => Some(f),
    }
}

pub(crate) fn resolve_format(
    input: LinesInput<'_>,
    format: InputFormat,
) -> Result<InputFormat, LinesError> {
    match format {
        InputFormat::Auto => detect_format(input),
        f => Ok(f),
    }
}

pub(crate) fn read_whole(input: LinesInput<'_>) -> Result<Document, LinesError> {
    let bytes = match input {
        LinesInput::Path(p) => std::fs::read(p)?,
        LinesInput::Bytes(b) => b.to_vec(),
    };
    Ok(Document::read(bytes)?)
}
