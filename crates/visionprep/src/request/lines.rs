//! JSON Lines read as a stream: agent session files and transcripts of any size.
//!
//! A coding agent keeps each session as JSON Lines, one entry per line; the entries that carry
//! a Messages API message hold it under `message`, and each names the entry before it in its
//! conversation (`parentUuid`). The agent re-sends the chain that ends at the last entry on
//! every turn, so one rejected image there fails every later message, `--resume` included.
//! Here such a file (or a transcript of bare messages, one per line) is read line by line,
//! twice at most, holding one batch of lines and a few bytes per line: memory follows the
//! largest line, not the file.
//!
//! The first read inspects every image on its own (decodes, format, label, byte cap, pixel
//! size). Once the whole file is seen, the model (the last assistant entry's `message.model`)
//! and the images sent together (the chain) are known, and each image is judged against them:
//! the 2000 px rule applies when the chain holds more than 20 images. Repair reads the file
//! again and rewrites only the lines whose images it changes; every other line is copied byte
//! for byte.

use super::check::{
    CheckOptions, CheckReport, Finding, ImageCheck, ModelFacts, RequestSummary, Severity,
    check_document, check_document_block, inspect_image, judge_image, limit_findings,
};
use super::read::{Document, ReadError};
use super::repair::{Action, Change, Job, RepairOptions, prepare_options, repair_images};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use visionprep_core::body::{MediaKind, Scan, is_message};
use visionprep_core::json::{self, Edits, Value};

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

impl std::str::FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "auto" => InputFormat::Auto,
            "claude-code-session" | "session" => InputFormat::ClaudeCodeSession,
            "messages-jsonl" | "jsonl" | "transcript" => InputFormat::MessagesJsonl,
            "body" | "json" => InputFormat::Body,
            other => {
                return Err(format!(
                    "unknown input format {other:?}: auto, claude-code-session, messages-jsonl or body"
                ));
            }
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
    fn open(&self) -> io::Result<Box<dyn BufRead + 'a>> {
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

/// Findings kept for lines that are not entries or messages; past that, one says how many
/// more there are (a file of garbage must not fill memory with findings).
const MAX_LINE_FINDINGS: usize = 1000;

/// Lines read per batch, at most: a batch is inspected in parallel.
const BATCH_LINES: usize = 2048;
/// Bytes read per batch, at most (a longer line is a batch of its own).
const BATCH_BYTES: usize = 32 << 20;

/// A UTF-8 byte order mark, which some editors put first.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// One line as read: its number (1-based) and its bytes, terminator included.
struct RawLine {
    no: usize,
    bytes: Vec<u8>,
}

impl RawLine {
    /// The JSON text of the line: without its terminator (and a first line's byte order mark).
    fn text(&self) -> Result<&str, usize> {
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
fn for_each_batch(
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

/// Maps `items` on rayon's pool, keeping their order: a few chunks a thread, so that lines
/// holding images (slow) and text lines (quick) even out. A scope of tasks compiles in a
/// fraction of the time of a parallel-iterator chain, which matters at the test build's
/// optimisation level.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let tasks = rayon::current_num_threads().max(1) * 4;
    let size = items.len().div_ceil(tasks).max(1);
    let mut out: Vec<Option<U>> = items.iter().map(|_| None).collect();
    rayon::scope(|scope| {
        for (input, output) in items.chunks(size).zip(out.chunks_mut(size)) {
            let f = &f;
            scope.spawn(move |_| {
                for (item, slot) in input.iter().zip(output) {
                    *slot = Some(f(item));
                }
            });
        }
    });
    out.into_iter().flatten().collect()
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

/// An agent's session entry: a `type`, and a `uuid`, `parentUuid`, `sessionId`, `leafUuid` or
/// a `message` that is not a bare message itself.
pub(crate) fn is_session_entry(text: &str, value: &Value) -> bool {
    value.get(text, "type").and_then(|t| t.str(text)).is_some()
        && !is_message(text, value)
        && ["uuid", "parentUuid", "sessionId", "leafUuid", "message"]
            .iter()
            .any(|k| value.get(text, k).is_some())
}

/// An entry's id, made compact: 64 bits of a hash of its text (FNV-1a, fixed: the same on
/// every machine and run). Two of a million entries share one with odds of about 1 in 30
/// million; 0 is kept for "none".
fn entry_id(s: &str) -> u64 {
    super::fnv1a(s.bytes()).max(1)
}

/// A list that grows by fixed chunks: no reallocation doubles its memory for a moment, as a
/// `Vec` of a million entries would.
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Chunked<T> {
    const CHUNK: usize = 1 << 15;

    fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < Self::CHUNK => c.push(value),
            _ => {
                #[allow(
                    clippy::disallowed_methods,
                    reason = "a fixed chunk size, not read from input"
                )]
                let mut c = Vec::with_capacity(Self::CHUNK);
                c.push(value);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

/// What one line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
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
struct LineMedia {
    /// Its index among the media of the line's message.
    index: usize,
    /// The image's inspection (`None` for a document).
    image: Option<ImageCheck>,
    /// A document's finding.
    document: Option<Finding>,
}

/// What the first read learns of one line.
struct LineFacts {
    no: usize,
    len: usize,
    kind: LineKind,
    id: Option<u64>,
    parent: Option<u64>,
    sidechain: bool,
    uuid: Option<String>,
    model: Option<String>,
    assistant: bool,
    message_bytes: u64,
    blocks: Vec<(String, u64)>,
    media: Vec<LineMedia>,
    finding: Option<Finding>,
    /// A body line, checked whole.
    body: Option<CheckReport>,
}

fn inspect_line(
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
    let invalid = |facts: &mut LineFacts, code: &'static str, message: String| {
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
            "unreadable-line"
        } else {
            "not-a-message"
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
                let mut report = check_document(&doc, options);
                for f in &mut report.findings {
                    f.line = Some(line.no);
                }
                for r in &mut report.requests {
                    r.line = Some(line.no);
                }
                facts.body = Some(report);
            }
            Err(e) => invalid(&mut facts, "not-a-message", e.to_string()),
        }
        return facts;
    } else if is_message(text, &value) {
        &value
    } else {
        invalid(
            &mut facts,
            "not-a-message",
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

/// One entry of the file, as kept between the reads: 56 bytes, so that a session of millions
/// of lines is held in tens of megabytes.
struct Entry {
    /// Its id (0: none).
    id: u64,
    /// Its parent's id (0: none).
    parent: u64,
    no: usize,
    /// Its blocks by type: a range of [`Analysis::blocks`].
    blocks: std::ops::Range<u32>,
    /// Its media: a range of [`Analysis::media`].
    media: std::ops::Range<u32>,
    message_bytes: u32,
    /// Its message's model, by [`Names`] id (`u16::MAX`: none).
    model: u16,
    kind: LineKind,
    sidechain: bool,
    assistant: bool,
}

impl Entry {
    fn media(&self) -> std::ops::Range<usize> {
        self.media.start as usize..self.media.end as usize
    }

    fn model(&self) -> Option<u16> {
        (self.assistant && self.model != u16::MAX).then_some(self.model)
    }
}

/// The index of the next item of a list kept between the reads.
fn index(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// An image or document kept between the reads.
struct Kept {
    line: usize,
    /// The line's length, to tell that it is the same line when it is read again.
    len: usize,
    index: usize,
    uuid: Option<Arc<str>>,
    image: Option<ImageCheck>,
    document: Option<Finding>,
    /// Set once the chain is known.
    resent: bool,
}

/// Names seen many times (models, block types), kept once.
#[derive(Default)]
struct Names {
    names: Vec<String>,
    ids: HashMap<String, u16>,
}

impl Names {
    fn id(&mut self, name: &str) -> u16 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u16::try_from(self.names.len()).unwrap_or(u16::MAX);
        if id < u16::MAX {
            self.names.push(name.to_owned());
            self.ids.insert(name.to_owned(), id);
        }
        id
    }

    fn name(&self, id: u16) -> &str {
        self.names
            .get(usize::from(id))
            .map_or("(other)", String::as_str)
    }
}

/// Everything the first read learns.
struct Analysis {
    format: InputFormat,
    entries: Chunked<Entry>,
    blocks: Vec<(u16, u32)>,
    media: Vec<Kept>,
    names: Names,
    lines: Vec<Finding>,
    bodies: Vec<CheckReport>,
    /// Body lines with something repair would change (errors, or images the API shrinks).
    body_lines: Vec<(usize, bool)>,
}

fn analyse(
    input: LinesInput<'_>,
    format: InputFormat,
    options: &CheckOptions,
) -> Result<Analysis, LinesError> {
    let cap = options
        .limits
        .unwrap_or_else(|| options.profile.limits())
        .max_image_base64_bytes;
    let mut a = Analysis {
        format,
        entries: Chunked::new(),
        blocks: Vec::new(),
        media: Vec::new(),
        names: Names::default(),
        lines: Vec::new(),
        bodies: Vec::new(),
        body_lines: Vec::new(),
    };
    let mut messages = 0usize;
    let mut skipped = 0usize;
    for_each_batch(input, |batch| {
        let facts: Vec<LineFacts> =
            par_map(&batch, |line| inspect_line(line, format, cap, options));
        for f in facts {
            if let Some(finding) = f.finding {
                if a.lines.len() < MAX_LINE_FINDINGS {
                    a.lines.push(finding);
                } else {
                    skipped += 1;
                }
            }
            if let Some(body) = f.body {
                let errors = !body.passes();
                let shrinkable = body.requests.iter().any(|r| r.downsized > 0);
                if errors || shrinkable {
                    a.body_lines.push((f.no, errors));
                }
                a.bodies.push(body);
            }
            if !matches!(f.kind, LineKind::Message | LineKind::Other) {
                continue;
            }
            // Paths: `message.content...` in a session entry, `messages.N.content...` for
            // the Nth message line of a transcript.
            let prefix = if format == InputFormat::ClaudeCodeSession {
                "message".to_owned()
            } else {
                format!("messages.{messages}")
            };
            messages += usize::from(f.kind == LineKind::Message);
            let uuid: Option<Arc<str>> = f.uuid.as_deref().map(Arc::from);
            let start = a.media.len();
            for m in f.media {
                let fix = |path: &mut String| path.insert_str(0, &prefix);
                let image = m.image.map(|mut c| {
                    fix(&mut c.path);
                    for finding in &mut c.findings {
                        fix(&mut finding.path);
                    }
                    c
                });
                let document = m.document.map(|mut d| {
                    fix(&mut d.path);
                    d
                });
                a.media.push(Kept {
                    line: f.no,
                    len: f.len,
                    index: m.index,
                    uuid: uuid.clone(),
                    image,
                    document,
                    resent: false,
                });
            }
            let model = f.model.as_deref().map_or(u16::MAX, |m| a.names.id(m));
            let first_block = index(a.blocks.len());
            for (name, n) in &f.blocks {
                let id = a.names.id(name);
                a.blocks.push((id, u32::try_from(*n).unwrap_or(u32::MAX)));
            }
            a.entries.push(Entry {
                id: f.id.unwrap_or(0),
                parent: f.parent.unwrap_or(0),
                no: f.no,
                blocks: first_block..index(a.blocks.len()),
                media: index(start)..index(a.media.len()),
                message_bytes: u32::try_from(f.message_bytes).unwrap_or(u32::MAX),
                model,
                kind: f.kind,
                sidechain: f.sidechain,
                assistant: f.assistant,
            });
        }
        Ok(())
    })?;
    if a.entries.is_empty() && a.bodies.is_empty() && a.lines.is_empty() {
        return Err(ReadError::Empty.into());
    }
    if let Some(last) = a.lines.last().cloned()
        && skipped > 0
    {
        a.lines.push(Finding {
            path: "line".into(),
            message: format!("{skipped} more lines like line {}", last.line.unwrap_or(0)),
            ..last
        });
    }
    if format != InputFormat::ClaudeCodeSession
        && a.entries.is_empty()
        && a.bodies.is_empty()
        && let Some(first) = a.lines.first()
    {
        return Err(ReadError::NotARequest(first.message.clone()).into());
    }
    Ok(a)
}

impl Analysis {
    /// The entries the agent sends together next: the `parentUuid` chain that ends at the last
    /// entry of the main conversation (a session), or every message line (a transcript).
    fn chain(&self) -> Vec<usize> {
        if self.format != InputFormat::ClaudeCodeSession {
            return (0..self.entries.len())
                .filter(|&i| self.entries[i].kind == LineKind::Message)
                .collect();
        }
        // Ids sorted, for the walk up the parents; an id written twice names its last entry.
        #[allow(
            clippy::disallowed_methods,
            reason = "the entries already held, one id each"
        )]
        let mut by_id: Vec<(u64, u32)> = Vec::with_capacity(self.entries.len());
        by_id.extend(
            self.entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.id != 0)
                .map(|(i, e)| (e.id, index(i))),
        );
        by_id.sort_unstable();
        let find = |id: u64| {
            let end = by_id.partition_point(|(k, _)| *k <= id);
            (end > 0 && by_id[end - 1].0 == id).then(|| by_id[end - 1].1 as usize)
        };
        let len = self.entries.len();
        let last = (0..len)
            .rev()
            .find(|&i| self.entries[i].id != 0 && !self.entries[i].sidechain)
            .or_else(|| (0..len).rev().find(|&i| self.entries[i].id != 0));
        let mut chain = Vec::new();
        let mut seen = vec![false; len];
        let mut at = last;
        // Parents that loop back end the chain where it meets itself.
        while let Some(i) = at
            && !std::mem::replace(&mut seen[i], true)
        {
            chain.push(i);
            let parent = self.entries[i].parent;
            at = if parent == 0 { None } else { find(parent) };
        }
        chain.reverse();
        chain
    }
}

/// A checked file: its report, and what repair would do.
struct Judged {
    report: CheckReport,
    facts: ModelFacts,
    max_side: u32,
}

fn judge(a: &mut Analysis, options: &CheckOptions) -> Judged {
    let chain = a.chain();
    let mut findings = Vec::new();
    // The model of the last assistant message sent, else of the last one in the file.
    let model_of = Entry::model;
    let named = chain
        .iter()
        .rev()
        .find_map(|&i| model_of(&a.entries[i]))
        .or_else(|| a.entries.iter().rev().find_map(model_of))
        .map(|id| a.names.name(id).to_owned());
    let facts = ModelFacts::resolve(options, named.as_deref(), &mut findings);
    let limits = facts.limits;
    let mut count = 0usize;
    let mut bytes = 64u64;
    let mut messages = 0usize;
    let mut blocks: BTreeMap<String, u64> = BTreeMap::new();
    for &i in &chain {
        let e = &a.entries[i];
        if e.kind != LineKind::Message {
            continue;
        }
        messages += 1;
        bytes += u64::from(e.message_bytes) + 1;
        count += e.media().len();
        for (name, n) in &a.blocks[e.blocks.start as usize..e.blocks.end as usize] {
            *blocks.entry(a.names.name(*name).to_owned()).or_default() += u64::from(*n);
        }
        for k in &mut a.media[e.media()] {
            k.resent = true;
        }
    }
    let max_side = limits.max_side_for(u32::try_from(count).unwrap_or(u32::MAX));
    let first_line = chain.first().map(|&i| a.entries[i].no);
    findings.extend(limit_findings(&facts, options.profile, count, bytes, None));
    let mut image_tokens = 0;
    let mut downsized = 0;
    let mut images = 0;
    for k in &mut a.media {
        let uuid = k.uuid.as_deref().map(str::to_owned);
        let place = |f: &mut Finding| {
            f.line = Some(k.line);
            f.uuid.clone_from(&uuid);
        };
        if let Some(d) = &mut k.document {
            place(d);
            findings.push(d.clone());
        }
        let Some(check) = &mut k.image else {
            continue;
        };
        // An image off the chain is not sent with the others: only the 8000 px rule holds.
        let side = if k.resent { max_side } else { limits.max_side };
        judge_image(check, side, &facts, options.token_rule);
        for f in &mut check.findings {
            place(f);
        }
        findings.extend(check.findings.iter().cloned());
        if k.resent {
            images += 1;
            image_tokens += check.tokens.unwrap_or(0);
            downsized += usize::from(check.findings.iter().any(|f| f.code == "downsized"));
        }
    }
    findings.append(&mut a.lines);
    let mut requests = Vec::new();
    if !chain.is_empty() || a.bodies.is_empty() {
        requests.push(RequestSummary {
            line: first_line,
            model: facts.price.id.clone(),
            model_known: facts.known,
            messages,
            blocks,
            images,
            documents: count - images,
            max_images: limits.max_images,
            bytes,
            max_request_bytes: limits.max_request_bytes,
            image_tokens,
            image_usd: facts.token_price.map(|p| p.times(image_tokens)),
            downsized,
        });
    }
    for body in a.bodies.drain(..) {
        findings.extend(body.findings);
        requests.extend(body.requests);
    }
    findings.sort_by_key(|f| f.line.unwrap_or(0));
    requests.sort_by_key(|r| r.line.unwrap_or(0));
    Judged {
        report: CheckReport {
            kind: match a.format {
                InputFormat::ClaudeCodeSession => "claude-code-session",
                _ => "transcript",
            },
            requests,
            findings,
        },
        facts,
        max_side,
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

fn resolve_format(input: LinesInput<'_>, format: InputFormat) -> Result<InputFormat, LinesError> {
    match format {
        InputFormat::Auto => detect_format(input),
        f => Ok(f),
    }
}

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
    let mut a = analyse(input, format, options)?;
    Ok(judge(&mut a, options).report)
}

fn read_whole(input: LinesInput<'_>) -> Result<Document, LinesError> {
    let bytes = match input {
        LinesInput::Path(p) => std::fs::read(p)?,
        LinesInput::Bytes(b) => b.to_vec(),
    };
    Ok(Document::read(bytes)?)
}

/// What [`repair_lines`] did.
#[derive(Debug, Clone)]
pub struct LinesRepair {
    /// Each image changed or left broken, in file order.
    pub changes: Vec<Change>,
    /// The check of the input.
    pub before: CheckReport,
    /// The lines written differently from the input.
    pub lines_changed: Vec<usize>,
}

impl LinesRepair {
    /// Whether anything was changed.
    pub fn changed(&self) -> bool {
        !self.lines_changed.is_empty()
    }
}

/// An image of a line to repair.
struct LineJob {
    index: usize,
    check: ImageCheck,
    action: Action,
    resent: bool,
    uuid: Option<Arc<str>>,
}

/// Repairs a session file or a JSON Lines transcript as a stream, writing it to `out`: each
/// line whose images the API would refuse (or, with [`RepairOptions::shrink`], shrink) is
/// written with those images prepared for the session's model; every other line is copied
/// byte for byte. `uuid` and `parentUuid` are never touched. A [`InputFormat::Body`] document
/// is repaired whole.
pub fn repair_lines(
    input: LinesInput<'_>,
    format: InputFormat,
    options: &RepairOptions,
    out: &mut dyn Write,
) -> Result<LinesRepair, LinesError> {
    let format = resolve_format(input, format)?;
    if format == InputFormat::Body {
        let report = super::repair_document(&read_whole(input)?, options);
        out.write_all(report.text.as_bytes())?;
        let lines_changed = if report.changed() {
            vec![1]
        } else {
            Vec::new()
        };
        return Ok(LinesRepair {
            changes: report.changes,
            before: report.before,
            lines_changed,
        });
    }
    let mut a = analyse(input, format, &options.check)?;
    let judged = judge(&mut a, &options.check);
    let mut plan: BTreeMap<usize, (usize, Vec<LineJob>)> = BTreeMap::new();
    let mut body_lines = std::collections::BTreeSet::new();
    for k in a.media.drain(..) {
        let Some(check) = k.image else { continue };
        let Some(action) = Action::for_image(&check, options.shrink) else {
            continue;
        };
        let entry = plan.entry(k.line).or_insert_with(|| (k.len, Vec::new()));
        entry.1.push(LineJob {
            index: k.index,
            check,
            action,
            resent: k.resent,
            uuid: k.uuid,
        });
    }
    for &(line, errors) in &a.body_lines {
        if errors || options.shrink {
            body_lines.insert(line);
        }
    }
    let chain_options = prepare_options(&judged.facts, judged.max_side, options);
    let lone_options = prepare_options(&judged.facts, judged.facts.limits.max_side, options);
    let mut changes = Vec::new();
    let mut lines_changed = Vec::new();
    for_each_batch(input, |batch| {
        if batch.iter().any(|l| {
            plan.get(&l.no)
                .is_some_and(|(len, _)| *len != l.bytes.len())
        }) {
            return Err(LinesError::Changed);
        }
        let done: Vec<Option<(String, Vec<Change>)>> = par_map(&batch, |line| {
            if let Some((_, jobs)) = plan.get(&line.no) {
                let text = line.text().ok()?;
                Some(repair_line(
                    text,
                    line.no,
                    format,
                    jobs,
                    options,
                    &chain_options,
                    &lone_options,
                ))
            } else if body_lines.contains(&line.no) {
                let text = line.text().ok()?;
                let doc = Document::from_text(text.to_owned()).ok()?;
                let r = super::repair_document(&doc, options);
                let changes = r
                    .changes
                    .into_iter()
                    .map(|mut c| {
                        c.line = Some(line.no);
                        c
                    })
                    .collect();
                Some((r.text, changes))
            } else {
                None
            }
        });
        for (line, done) in batch.iter().zip(done) {
            match done {
                Some((text, line_changes)) => {
                    let original = line.text().unwrap_or_default();
                    if text != original {
                        lines_changed.push(line.no);
                    }
                    // The line's own start (a byte order mark) and terminator are kept.
                    let at = if line.no == 1 && line.bytes.starts_with(BOM) {
                        BOM.len()
                    } else {
                        0
                    };
                    out.write_all(&line.bytes[..at])?;
                    out.write_all(text.as_bytes())?;
                    out.write_all(&line.bytes[at + original.len()..])?;
                    changes.extend(line_changes);
                }
                None => out.write_all(&line.bytes)?,
            }
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(LinesRepair {
        changes,
        before: judged.report,
        lines_changed,
    })
}

/// Repairs the images of one line, a message or a session entry, leaving the rest of it as
/// it is.
fn repair_line(
    text: &str,
    no: usize,
    format: InputFormat,
    jobs: &[LineJob],
    options: &RepairOptions,
    chain_options: &crate::prepare::PrepareOptions,
    lone_options: &crate::prepare::PrepareOptions,
) -> (String, Vec<Change>) {
    let unchanged = || (text.to_owned(), Vec::new());
    let Ok(value) = json::parse(text) else {
        return unchanged();
    };
    let message = if format == InputFormat::ClaudeCodeSession {
        match value.get(text, "message") {
            Some(m) => m,
            None => return unchanged(),
        }
    } else {
        &value
    };
    let mut scan = Scan::default();
    scan.add_message_at(text, message, "", 0, 0);
    let mut work = Vec::new();
    for job in jobs {
        let Some(media) = scan.media.get(job.index) else {
            continue;
        };
        work.push(Job {
            media,
            check: &job.check,
            line: Some(no),
            uuid: job.uuid.as_deref(),
            action: job.action,
            options: (job.action == Action::Prepare).then(|| {
                if job.resent {
                    chain_options.clone()
                } else {
                    lone_options.clone()
                }
            }),
        });
    }
    let mut edits = Edits::default();
    let changes = repair_images(text, &work, options, &mut edits);
    match edits.apply(text) {
        Ok(repaired) => (repaired, changes),
        Err(_) => unchanged(),
    }
}

/// Where a repaired file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairTarget {
    /// A new file (never the input).
    File(std::path::PathBuf),
    /// Over the input, which is kept next to it as `FILE.bak` (`FILE.bak.2`, ... when that
    /// exists): the agent's own file, repaired where it reads it.
    InPlace,
    /// Nowhere: say what would change.
    DryRun,
}

/// What [`repair_file`] did.
#[derive(Debug)]
pub struct FileRepair {
    /// What changed, and the check of the input.
    pub repair: LinesRepair,
    /// The check of the output.
    pub after: CheckReport,
    /// Where the output was written (`None` for a dry run, or in place with nothing to change).
    pub written: Option<std::path::PathBuf>,
    /// The original, kept when repairing in place.
    pub backup: Option<std::path::PathBuf>,
}

impl FileRepair {
    /// The errors left in the output (the API would still refuse it).
    pub fn remaining(&self) -> impl Iterator<Item = &Finding> {
        self.after.errors()
    }
}

/// Repairs a file (a session, a transcript or a body, told by `format`) with
/// [`repair_lines`], then checks what it wrote. The output is written to a temporary file
/// beside its destination and renamed into place only once whole, with the input's
/// permissions (a session file is often private); in place, the original is first kept as a
/// backup (a hard link where the file system allows, else a copy). If the input changes while
/// it is repaired (an agent still appending to it), nothing is written.
pub fn repair_file(
    input: &Path,
    target: &RepairTarget,
    format: InputFormat,
    options: &RepairOptions,
) -> Result<FileRepair, LinesError> {
    if let RepairTarget::File(out) = target {
        let same = match (std::fs::canonicalize(out), std::fs::canonicalize(input)) {
            (Ok(a), Ok(b)) => a == b,
            _ => out == input,
        };
        if same {
            return Err(LinesError::OverInput(out.display().to_string()));
        }
    }
    let format = resolve_format(LinesInput::Path(input), format)?;
    let before = std::fs::metadata(input)?;
    let destination = match target {
        RepairTarget::File(out) => out.clone(),
        RepairTarget::InPlace => input.to_path_buf(),
        RepairTarget::DryRun => std::env::temp_dir().join("visionprep-dry-run"),
    };
    let write_error = |source: io::Error| LinesError::Write {
        path: destination.display().to_string(),
        source,
    };
    let mut temp = crate::folder::write_temp(&destination, b"").map_err(write_error)?;
    let repair = {
        let mut writer = io::BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        let repair = repair_lines(LinesInput::Path(input), format, options, &mut writer)?;
        writer.flush().map_err(write_error)?;
        repair
    };
    temp.as_file().sync_data().map_err(write_error)?;
    let now = std::fs::metadata(input)?;
    if now.len() != before.len() || now.modified().ok() != before.modified().ok() {
        return Err(LinesError::Changed);
    }
    let after = check_lines(LinesInput::Path(temp.path()), format, &options.check)?;
    let (written, backup) = match target {
        RepairTarget::DryRun => (None, None),
        RepairTarget::InPlace if !repair.changed() => (None, None),
        RepairTarget::InPlace => {
            let backup = backup_path(input);
            if std::fs::hard_link(input, &backup).is_err() {
                std::fs::copy(input, &backup).map_err(|source| LinesError::Write {
                    path: backup.display().to_string(),
                    source,
                })?;
            }
            temp.as_file()
                .set_permissions(before.permissions())
                .map_err(write_error)?;
            temp.persist(input).map_err(|e| write_error(e.error))?;
            (Some(input.to_path_buf()), Some(backup))
        }
        RepairTarget::File(out) => {
            temp.as_file()
                .set_permissions(before.permissions())
                .map_err(write_error)?;
            temp.persist(out).map_err(|e| write_error(e.error))?;
            (Some(out.clone()), None)
        }
    };
    Ok(FileRepair {
        repair,
        after,
        written,
        backup,
    })
}

/// `FILE.bak`, or `FILE.bak.2`, `.bak.3`, ... when that exists: a backup is never overwritten.
fn backup_path(input: &Path) -> std::path::PathBuf {
    let base = format!("{}.bak", input.display());
    let mut path = std::path::PathBuf::from(&base);
    let mut n = 2;
    while path.exists() {
        path = std::path::PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionprep_core::request::base64_encode;

    /// A PNG's signature and header, which is all a check reads (no encoder is built into
    /// this test crate: the pipeline's code reached from a test costs a minute to compile).
    fn png(w: u32, h: u32) -> String {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 4, b'I', b'D', b'A', b'T', 0x78, 0x9C, 0x03, 0x00]);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        base64_encode(&v)
    }

    /// A session entry with an image in a tool result.
    fn shot(id: &str, parent: Option<&str>, media_type: &str, data: &str) -> String {
        let parent = parent.map_or("null".to_owned(), |p| format!("\"{p}\""));
        format!(
            r#"{{"parentUuid":{parent},"type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{{"type":"image","source":{{"type":"base64","media_type":"{media_type}","data":"{data}"}}}}]}}]}},"uuid":"{id}","sessionId":"s"}}"#
        )
    }

    fn said(id: &str, parent: Option<&str>, model: &str) -> String {
        let parent = parent.map_or("null".to_owned(), |p| format!("\"{p}\""));
        format!(
            r#"{{"parentUuid":{parent},"type":"assistant","message":{{"role":"assistant","model":"{model}","content":[{{"type":"text","text":"ok"}}]}},"uuid":"{id}","sessionId":"s"}}"#
        )
    }

    fn check(text: &str) -> CheckReport {
        check_lines(
            LinesInput::Bytes(text.as_bytes()),
            InputFormat::Auto,
            &CheckOptions::default(),
        )
        .unwrap()
    }

    fn codes(r: &CheckReport) -> Vec<(usize, &'static str)> {
        r.errors().map(|f| (f.line.unwrap_or(0), f.code)).collect()
    }

    #[test]
    fn formats_are_told_from_the_first_line() {
        let detect = |t: &str| detect_format(LinesInput::Bytes(t.as_bytes())).unwrap();
        let entry = said("a", None, "m");
        assert_eq!(detect(&entry), InputFormat::ClaudeCodeSession);
        assert_eq!(
            detect(&format!("\n\n{entry}\n")),
            InputFormat::ClaudeCodeSession
        );
        let message = r#"{"role":"user","content":"hi"}"#;
        assert_eq!(
            detect(&format!("{message}\n{message}\n")),
            InputFormat::MessagesJsonl
        );
        assert_eq!(detect(message), InputFormat::Body);
        assert_eq!(
            detect("{\n  \"model\": \"m\",\n  \"messages\": []\n}\n"),
            InputFormat::Body
        );
        assert_eq!(
            detect(r#"[{"role":"user","content":"a"}]"#),
            InputFormat::Body
        );
        assert_eq!(detect(""), InputFormat::Body);
        assert_eq!(
            "claude-code-session".parse(),
            Ok(InputFormat::ClaudeCodeSession)
        );
        assert!("yaml".parse::<InputFormat>().is_err());
    }

    #[test]
    fn ids_are_compact_and_distinct() {
        assert_eq!(entry_id(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(entry_id("msg-1"), entry_id("msg-2"));
        assert_eq!(entry_id("msg-1"), entry_id("msg-1"));
    }

    #[test]
    fn the_2000_px_rule_counts_the_chain_only() {
        let small = png(300, 200);
        let wide = png(2100, 8);
        let mut lines = vec![said("a0", None, "claude-sonnet-4-6")];
        for i in 1..=20 {
            lines.push(shot(
                &format!("a{i}"),
                Some(&format!("a{}", i - 1)),
                "image/png",
                &small,
            ));
        }
        // The 21st image, on a branch the user left: not sent with the 20.
        lines.push(shot("x", Some("a20"), "image/png", &wide));
        lines.push(said("a21", Some("a20"), "claude-sonnet-4-6"));
        let text = lines.join("\n");
        let r = check(&text);
        assert_eq!(r.requests[0].images, 20);
        assert!(r.passes(), "{:?}", codes(&r));
        // On the chain, it makes 21: over 2000 px is refused.
        lines.push(shot("a22", Some("a21"), "image/png", &wide));
        let r = check(&lines.join("\n"));
        assert_eq!(r.requests[0].images, 21);
        assert_eq!(codes(&r), vec![(24, "over-max-side")]);
        assert_eq!(
            r.findings
                .iter()
                .find(|f| f.code == "over-max-side")
                .unwrap()
                .uuid
                .as_deref(),
            Some("a22")
        );
    }

    #[test]
    fn the_chain_survives_loops_compaction_sidechains_and_synthetic_models() {
        let png = png(300, 300);
        let lines = [
            shot("old", None, "image/jpeg", &png),
            // A compaction boundary starts a new chain.
            r#"{"parentUuid":null,"logicalParentUuid":"old","type":"system","subtype":"compact_boundary","content":"Conversation compacted","uuid":"b","sessionId":"s"}"#.to_owned(),
            said("c", Some("b"), "claude-opus-4-7"),
            said("d", Some("c"), "<synthetic>"),
            // A sidechain entry last: the main chain still ends at `d`.
            r#"{"parentUuid":null,"isSidechain":true,"type":"user","message":{"role":"user","content":"explore"},"uuid":"e","sessionId":"s"}"#.to_owned(),
        ];
        let r = check(&lines.join("\n"));
        assert_eq!(r.requests[0].model, "claude-opus-4-7");
        assert_eq!(r.requests[0].messages, 2);
        assert_eq!(r.requests[0].line, Some(2));
        // The mislabelled JPEG is before the boundary: still an error (it is in the file and
        // goes back in if the session is rewound), not counted as sent.
        assert_eq!(codes(&r), vec![(1, "media-type-mismatch")]);
        assert_eq!(r.requests[0].images, 0);
        // Parents in a loop end where the chain meets itself.
        let looped = [said("p", Some("q"), "m"), said("q", Some("p"), "m")].join("\n");
        assert_eq!(check(&looped).requests[0].messages, 2);
    }

    #[test]
    fn unreadable_lines_are_notes_in_a_session_and_errors_in_a_transcript() {
        let session = format!("{}\n{{\"type\":\"user\",\"messa\n", said("a", None, "m"));
        let r = check(&session);
        assert!(r.passes());
        assert_eq!(
            r.findings
                .iter()
                .filter(|f| f.code == "unreadable-line")
                .count(),
            1
        );
        let transcript = "{\"role\":\"user\",\"content\":\"a\"}\nnot json\n";
        let r = check(transcript);
        assert_eq!(codes(&r), vec![(2, "not-a-message")]);
    }

    #[test]
    fn a_file_of_garbage_keeps_few_findings() {
        let mut text = said("a", None, "m");
        for _ in 0..(MAX_LINE_FINDINGS + 50) {
            text.push_str("\nnot json at all");
        }
        let r = check(&text);
        let lines: Vec<&Finding> = r.findings.iter().filter(|f| f.path == "line").collect();
        assert_eq!(lines.len(), MAX_LINE_FINDINGS + 1);
        assert!(lines.last().unwrap().message.starts_with("50 more lines"));
    }
}
