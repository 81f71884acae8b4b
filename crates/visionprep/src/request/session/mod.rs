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

mod analysis;
mod line;
mod repair;

use analysis::{analyse, judge};
pub use repair::LinesRepair;
pub(crate) use repair::repair_stream;

use crate::request::finding::{CheckOptions, CheckReport};
use crate::request::format::{InputFormat, LinesError, LinesInput};

/// Findings kept for lines that are not entries or messages; past that, one says how many
/// more there are (a file of garbage must not fill memory with findings).
pub(crate) const MAX_LINE_FINDINGS: usize = 1000;

/// Maps `items` on rayon's pool, keeping their order: a few chunks a thread, so that lines
/// holding images (slow) and text lines (quick) even out. A scope of tasks compiles in a
/// fraction of the time of a parallel-iterator chain, which matters at the test build's
/// optimisation level.
pub(crate) fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
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

/// An entry's id, made compact: 64 bits of a hash of its text (FNV-1a, fixed: the same on
/// every machine and run). Two of a million entries share one with odds of about 1 in 30
/// million; 0 is kept for "none".
pub(crate) fn entry_id(s: &str) -> u64 {
    super::fnv1a(s.bytes()).max(1)
}

/// A list that grows by fixed chunks: no reallocation doubles its memory for a moment, as a
/// `Vec` of a million entries would.
pub(crate) struct Chunked<T> {
    pub(crate) chunks: Vec<Vec<T>>,
    pub(crate) len: usize,
}

impl<T> Chunked<T> {
    const CHUNK: usize = 1 << 15;

    pub(crate) fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, value: T) {
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

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

/// Checks session or message lines (`format` is not [`InputFormat::Body`]) as a stream: the
/// first read inspects every line, then the chain is judged as a whole.
pub(crate) fn check_stream(
    input: LinesInput<'_>,
    format: InputFormat,
    options: &CheckOptions,
) -> Result<CheckReport, LinesError> {
    let mut a = analyse(input, format, options)?;
    Ok(judge(&mut a, options).report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::finding::FindingCode;
    use crate::request::format::detect_format;
    use crate::request::{Finding, check_lines};
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

    fn codes(r: &CheckReport) -> Vec<(usize, FindingCode)> {
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
        assert_eq!(codes(&r), vec![(24, FindingCode::OverMaxSide)]);
        assert_eq!(
            r.findings
                .iter()
                .find(|f| f.code == FindingCode::OverMaxSide)
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
        assert_eq!(codes(&r), vec![(1, FindingCode::MediaTypeMismatch)]);
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
                .filter(|f| f.code == FindingCode::UnreadableLine)
                .count(),
            1
        );
        let transcript = "{\"role\":\"user\",\"content\":\"a\"}\nnot json\n";
        let r = check(transcript);
        assert_eq!(codes(&r), vec![(2, FindingCode::NotAMessage)]);
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
