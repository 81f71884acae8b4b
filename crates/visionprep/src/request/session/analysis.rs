//! What the first read keeps of a whole session file (a few bytes per line), the chain the
//! agent re-sends, and the judgement of every image against it.

use super::line::{LineFacts, LineKind, inspect_line};
use super::{Chunked, MAX_LINE_FINDINGS, par_map};
use crate::request::facts::{ModelFacts, limit_findings};
use crate::request::finding::FindingCode;
use crate::request::finding::{CheckOptions, CheckReport, Finding, RequestSummary};
use crate::request::format::{InputFormat, LinesError, LinesInput, for_each_batch};
use crate::request::inspect::{ImageCheck, judge_image};
use crate::request::read::ReadError;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One entry of the file, as kept between the reads: 56 bytes, so that a session of millions
/// of lines is held in tens of megabytes.
pub(crate) struct Entry {
    /// Its id (0: none).
    pub(crate) id: u64,
    /// Its parent's id (0: none).
    pub(crate) parent: u64,
    pub(crate) no: usize,
    /// Its blocks by type: a range of [`Analysis::blocks`].
    pub(crate) blocks: std::ops::Range<u32>,
    /// Its media: a range of [`Analysis::media`].
    pub(crate) media: std::ops::Range<u32>,
    pub(crate) message_bytes: u32,
    /// Its message's model, by [`Names`] id (`u16::MAX`: none).
    pub(crate) model: u16,
    pub(crate) kind: LineKind,
    pub(crate) sidechain: bool,
    pub(crate) assistant: bool,
}

impl Entry {
    pub(crate) fn media(&self) -> std::ops::Range<usize> {
        self.media.start as usize..self.media.end as usize
    }

    pub(crate) fn model(&self) -> Option<u16> {
        (self.assistant && self.model != u16::MAX).then_some(self.model)
    }
}

/// The index of the next item of a list kept between the reads.
pub(crate) fn index(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// An image or document kept between the reads.
pub(crate) struct Kept {
    pub(crate) line: usize,
    /// The line's length, to tell that it is the same line when it is read again.
    pub(crate) len: usize,
    pub(crate) index: usize,
    pub(crate) uuid: Option<Arc<str>>,
    pub(crate) image: Option<ImageCheck>,
    pub(crate) document: Option<Finding>,
    /// Set once the chain is known.
    pub(crate) resent: bool,
}

/// Names seen many times (models, block types), kept once.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) names: Vec<String>,
    pub(crate) ids: HashMap<String, u16>,
}

impl Names {
    pub(crate) fn id(&mut self, name: &str) -> u16 {
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

    pub(crate) fn name(&self, id: u16) -> &str {
        self.names
            .get(usize::from(id))
            .map_or("(other)", String::as_str)
    }
}

/// Everything the first read learns.
pub(crate) struct Analysis {
    pub(crate) format: InputFormat,
    pub(crate) entries: Chunked<Entry>,
    pub(crate) blocks: Vec<(u16, u32)>,
    pub(crate) media: Vec<Kept>,
    pub(crate) names: Names,
    pub(crate) lines: Vec<Finding>,
    pub(crate) bodies: Vec<CheckReport>,
    /// Body lines with something repair would change (errors, or images the API shrinks).
    pub(crate) body_lines: Vec<(usize, bool)>,
}

pub(crate) fn analyse(
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
    pub(crate) fn chain(&self) -> Vec<usize> {
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
pub(crate) struct Judged {
    pub(crate) report: CheckReport,
    pub(crate) facts: ModelFacts,
    pub(crate) max_side: u32,
}

pub(crate) fn judge(a: &mut Analysis, options: &CheckOptions) -> Judged {
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
            downsized += usize::from(
                check
                    .findings
                    .iter()
                    .any(|f| f.code == FindingCode::Downsized),
            );
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
