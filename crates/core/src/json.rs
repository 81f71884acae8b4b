//! A lossless JSON reader: every value keeps its byte span in the text it came from.
//!
//! Request bodies and transcripts are edited in place (SPEC section 7: everything outside a
//! rewritten image block stays byte-for-byte as it was: key order, spacing, escapes), so they
//! are read into a tree of spans over the original text rather than into a value that would be
//! written back out differently. Strings are not copied: [`Value::str`] decodes one when asked.
//! An [`Edits`] list then splices new text over chosen spans.
//!
//! The reader accepts exactly RFC 8259 JSON (no comments, no trailing commas, no NaN), nested
//! at most [`MAX_DEPTH`] deep; hostile input gives a [`JsonError`] with its byte offset, never a
//! stack overflow.
//!
//! ```
//! use visionprep_core::json::{Edits, parse};
//! let text = r#"{"b": 1,  "a": {"type": "image", "x": "\u00e9"}}"#;
//! let root = parse(text).unwrap();
//! let a = root.get(text, "a").unwrap();
//! assert_eq!(a.get(text, "x").unwrap().str(text).unwrap(), "é");
//! let mut edits = Edits::default();
//! edits.replace(a.get(text, "x").unwrap().span(), "\"e\"");
//! assert_eq!(edits.apply(text).unwrap(), r#"{"b": 1,  "a": {"type": "image", "x": "e"}}"#);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// How deep arrays and objects may nest. Real bodies stay under 20; the API's own parser
/// refuses far less than hostile files reach.
pub const MAX_DEPTH: usize = 256;

/// One JSON value and where it is in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    start: usize,
    end: usize,
    kind: Kind,
}

/// What a [`Value`] is. Scalars keep only their span: read them from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as written.
    Number,
    /// A string; `escaped` when it holds a backslash (decoding then allocates).
    String {
        /// Whether the text between the quotes holds an escape.
        escaped: bool,
    },
    /// An array's elements, in order.
    Array(Vec<Value>),
    /// An object's members, in the order written (duplicates kept).
    Object(Vec<Member>),
}

/// One `"key": value` of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key, a string value.
    pub key: Value,
    /// The value.
    pub value: Value,
}

impl Value {
    /// The bytes of the text this value spans (strings include their quotes).
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }

    /// What it is.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The text of the value, as written.
    pub fn raw<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    /// The member `key` of an object (the last one, as JSON parsers do when a key repeats).
    pub fn get(&self, text: &str, key: &str) -> Option<&Value> {
        match &self.kind {
            Kind::Object(members) => members
                .iter()
                .rev()
                .find(|m| m.key.str(text).is_some_and(|k| k == key))
                .map(|m| &m.value),
            _ => None,
        }
    }

    /// The members of an object (empty for anything else).
    pub fn members(&self) -> &[Member] {
        match &self.kind {
            Kind::Object(members) => members,
            _ => &[],
        }
    }

    /// The elements of an array (empty for anything else).
    pub fn elements(&self) -> &[Value] {
        match &self.kind {
            Kind::Array(items) => items,
            _ => &[],
        }
    }

    /// Whether it is an object.
    pub fn is_object(&self) -> bool {
        matches!(self.kind, Kind::Object(_))
    }

    /// Whether it is an array.
    pub fn is_array(&self) -> bool {
        matches!(self.kind, Kind::Array(_))
    }

    /// A string's decoded text; `None` for anything else. Borrows when the string has no
    /// escape.
    pub fn str<'t>(&self, text: &'t str) -> Option<Cow<'t, str>> {
        match self.kind {
            Kind::String { escaped } => {
                let inner = &text[self.start + 1..self.end - 1];
                Some(if escaped {
                    Cow::Owned(unescape(inner))
                } else {
                    Cow::Borrowed(inner)
                })
            }
            _ => None,
        }
    }

    /// The text between a string's quotes when it holds no escape (no copy); `None` otherwise.
    pub fn plain_str<'t>(&self, text: &'t str) -> Option<&'t str> {
        match self.kind {
            Kind::String { escaped: false } => Some(&text[self.start + 1..self.end - 1]),
            _ => None,
        }
    }

    /// A number that is a non-negative integer, as `u64`.
    pub fn as_u64(&self, text: &str) -> Option<u64> {
        match self.kind {
            Kind::Number => self.raw(text).parse().ok(),
            _ => None,
        }
    }
}

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at line {line}, column {column}")]
pub struct JsonError {
    /// The byte offset.
    pub offset: usize,
    /// 1-based line of the offset.
    pub line: usize,
    /// 1-based column (in characters) of the offset.
    pub column: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl JsonError {
    /// Its stable code: `not-a-request` (a body that is not JSON).
    pub fn code(&self) -> crate::ErrorCode {
        crate::ErrorCode::NotARequest
    }
}

/// The first byte of `text` that ends a run of plain string characters: a quote, a
/// backslash or a control character. Eight bytes at a time (base64 image data is most of a
/// body's strings): a word is looked at byte by byte only when it may hold one.
fn find_special(text: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let special = |b: &u8| *b == b'"' || *b == b'\\' || *b < 0x20;
    // Whether any byte of `x` is zero / below `n` (n <= 128): exact as a yes-or-no.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut start = 0;
    let mut words = text.chunks_exact(8);
    for word in words.by_ref() {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        let maybe = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
        if maybe != 0
            && let Some(i) = word.iter().position(special)
        {
            return Some(start + i);
        }
        start += 8;
    }
    words
        .remainder()
        .iter()
        .position(special)
        .map(|i| start + i)
}

/// Reads one JSON value that spans the whole text (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_range(text, 0..text.len())
}

/// Reads one JSON value that spans `range` of `text` (a line of a JSON Lines file): spans
/// and error positions are offsets in the whole `text`.
///
/// ```
/// let text = "{\"a\":1}\n{\"b\":[2]}\n";
/// let second = visionprep_core::json::parse_range(text, 8..17).unwrap();
/// assert_eq!(second.get(text, "b").unwrap().span(), 13..16);
/// ```
pub fn parse_range(text: &str, range: Range<usize>) -> Result<Value, JsonError> {
    let end = floor_char_boundary(text, range.end);
    let mut p = Parser {
        text,
        bytes: &text.as_bytes()[..end],
        pos: floor_char_boundary(text, range.start.min(end)),
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.error("text after the end of the JSON value"));
    }
    Ok(value)
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> JsonError {
        let before = &self.text[..floor_char_boundary(self.text, self.pos)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        JsonError {
            offset: self.pos,
            line,
            column,
            what,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        let start = self.pos;
        let kind = match self.bytes.get(self.pos) {
            None => return Err(self.error("unexpected end of the text")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => self.string()?,
            Some(b't') => self.literal("true", Kind::Bool(true))?,
            Some(b'f') => self.literal("false", Kind::Bool(false))?,
            Some(b'n') => self.literal("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
        };
        Ok(Value {
            start,
            end: self.pos,
            kind,
        })
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<Kind, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Kind, JsonError> {
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("a number needs digits")),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("a number needs digits after its decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("a number needs digits in its exponent"));
            }
        }
        Ok(Kind::Number)
    }

    fn string(&mut self) -> Result<Kind, JsonError> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            // The text is UTF-8 already: only quotes, backslashes and control characters
            // need a look.
            let rest = &self.bytes[self.pos..];
            let Some(i) = find_special(rest) else {
                self.pos = self.bytes.len();
                return Err(self.error("a string is not closed"));
            };
            self.pos += i;
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(Kind::String { escaped });
                }
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                    match self.bytes.get(self.pos) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1;
                        }
                        Some(b'u') => {
                            let hex = self.bytes.get(self.pos + 1..self.pos + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.error("a \\u escape needs four hex digits"));
                            }
                            self.pos += 5;
                        }
                        _ => return Err(self.error("an unknown escape in a string")),
                    }
                }
                _ => return Err(self.error("a control character in a string")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Kind, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Kind::Array(items));
                }
                _ => return Err(self.error("expected , or ] in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Kind, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Kind::Object(members));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key in an object"));
            }
            let key = self.value(depth + 1)?;
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected : after a key"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member { key, value });
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Kind::Object(members));
                }
                _ => return Err(self.error("expected , or } in an object")),
            }
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Decodes the text between a string's quotes (already checked by the parser). A lone
/// surrogate escape becomes U+FFFD.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let esc = &rest[i + 1..];
        let (ch, used) = match esc.as_bytes().first() {
            Some(b'b') => ('\u{8}', 1),
            Some(b'f') => ('\u{c}', 1),
            Some(b'n') => ('\n', 1),
            Some(b'r') => ('\r', 1),
            Some(b't') => ('\t', 1),
            Some(b'u') => {
                let unit = |s: &str| s.get(..4).and_then(|h| u32::from_str_radix(h, 16).ok());
                match esc.get(1..).and_then(unit) {
                    Some(hi @ 0xD800..=0xDBFF) => {
                        let lo = esc
                            .get(5..7)
                            .filter(|s| *s == "\\u")
                            .and_then(|_| esc.get(7..))
                            .and_then(unit);
                        match lo {
                            Some(lo @ 0xDC00..=0xDFFF) => {
                                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                (char::from_u32(c).unwrap_or('\u{FFFD}'), 11)
                            }
                            _ => ('\u{FFFD}', 5),
                        }
                    }
                    Some(u) => (char::from_u32(u).unwrap_or('\u{FFFD}'), 5),
                    None => ('\u{FFFD}', 1),
                }
            }
            Some(&c) => (char::from(c), 1),
            None => ('\\', 0),
        };
        out.push(ch);
        rest = &esc[used.min(esc.len())..];
    }
    out.push_str(rest);
    out
}

/// `text` as a JSON string literal, quotes included, escaped the way `serde_json` writes it.
///
/// ```
/// assert_eq!(visionprep_core::json::quote("a \"b\"\n"), r#""a \"b\"\n""#);
/// ```
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Replacements of spans of one text, applied together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    edits: Vec<(Range<usize>, String)>,
}

/// Two edits touch the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("edits overlap at bytes {0:?}")]
pub struct OverlappingEdits(pub Range<usize>);

impl Edits {
    /// Replaces the bytes `span` with `with`.
    pub fn replace(&mut self, span: Range<usize>, with: impl Into<String>) {
        self.edits.push((span, with.into()));
    }

    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// How many replacements there are.
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// The text with every replacement made; everything else is copied unchanged.
    pub fn apply(mut self, text: &str) -> Result<String, OverlappingEdits> {
        self.edits.sort_by_key(|(span, _)| (span.start, span.end));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (span, with) in &self.edits {
            if span.start < at || span.end > text.len() || span.start > span.end {
                return Err(OverlappingEdits(span.clone()));
            }
            out.push_str(&text[at..span.start]);
            out.push_str(with);
            at = span.end;
        }
        out.push_str(&text[at..]);
        Ok(out)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number => "a number",
            Kind::String { .. } => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_word_scan_finds_what_a_byte_scan_finds(
            plain_run in proptest::collection::vec(0x23u8..0x5B, 0..80),
            tail in proptest::collection::vec(any::<u8>(), 0..20),
            insert in proptest::option::of((any::<proptest::sample::Index>(), any::<u8>())),
        ) {
            let mut text = plain_run;
            if let Some((at, b)) = insert {
                let at = at.index(text.len() + 1);
                text.insert(at, b);
            }
            text.extend(tail);
            let plain = text.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(super::find_special(&text), plain);
        }
    }

    use super::*;

    #[test]
    fn accepts_json_and_keeps_spans() {
        let text = " {\"a\" : [1, -2.5e+3, true, false, null, \"x\\\"y\"], \"b\":{}} \n";
        let v = parse(text).unwrap();
        assert_eq!(v.raw(text), &text[1..text.len() - 2]);
        let a = v.get(text, "a").unwrap();
        let raws: Vec<&str> = a.elements().iter().map(|e| e.raw(text)).collect();
        assert_eq!(
            raws,
            ["1", "-2.5e+3", "true", "false", "null", "\"x\\\"y\""]
        );
        assert_eq!(a.elements()[5].str(text).unwrap(), "x\"y");
        assert_eq!(a.elements()[0].as_u64(text), Some(1));
        assert!(v.get(text, "b").unwrap().members().is_empty());
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12g4\"",
            "{a:1}",
            "[1 2]",
            "1 2",
            "\"\u{1}\"",
            "NaN",
            "[",
            "{\"a\"}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        let err = parse("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((err.line, err.column), (2, 8));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep).unwrap_err().what, "nested too deep");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn unescapes_like_serde_json() {
        for s in ["plain", "a\"b\\c/d\n\t\r\u{8}\u{c}", "é 😀 \u{1}", ""] {
            let text = serde_json::to_string(s).unwrap();
            assert_eq!(parse(&text).unwrap().str(&text).unwrap(), s);
            assert_eq!(quote(s), text);
        }
        let text = r#""\ud83d\ude00 \u00e9 \/ \ud800x""#;
        assert_eq!(parse(text).unwrap().str(text).unwrap(), "😀 é / \u{FFFD}x");
    }

    #[test]
    fn edits_splice_and_refuse_overlaps() {
        let text = "[\"aa\", \"bb\", \"cc\"]";
        let v = parse(text).unwrap();
        let mut e = Edits::default();
        e.replace(v.elements()[2].span(), "1");
        e.replace(v.elements()[0].span(), "\"z\"");
        assert_eq!(e.apply(text).unwrap(), "[\"z\", \"bb\", 1]");
        let mut e = Edits::default();
        e.replace(1..5, "");
        e.replace(3..7, "");
        assert!(e.apply(text).is_err());
    }

    fn to_serde(text: &str, v: &Value) -> serde_json::Value {
        match v.kind() {
            Kind::Null => serde_json::Value::Null,
            Kind::Bool(b) => serde_json::Value::Bool(*b),
            Kind::Number => serde_json::from_str(v.raw(text)).unwrap(),
            Kind::String { .. } => serde_json::Value::String(v.str(text).unwrap().into_owned()),
            Kind::Array(items) => items.iter().map(|i| to_serde(text, i)).collect(),
            Kind::Object(members) => members
                .iter()
                .map(|m| {
                    (
                        m.key.str(text).unwrap().into_owned(),
                        to_serde(text, &m.value),
                    )
                })
                .collect(),
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            (-1e9f64..1e9).prop_map(|n| serde_json::json!(n)),
            any::<String>().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn reads_what_serde_json_reads(value in any_json(), pretty: bool) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            let parsed = parse(&text).unwrap();
            proptest::prop_assert_eq!(parsed.span(), 0..text.len());
            let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
            proptest::prop_assert_eq!(to_serde(&text, &parsed), expected);
        }

        #[test]
        fn never_panics_on_arbitrary_text(text in ".{0,64}") {
            let _ = parse(&text);
        }
    }

    #[test]
    fn repeated_keys_read_the_last() {
        let text = r#"{"k":1,"k":2}"#;
        assert_eq!(parse(text).unwrap().get(text, "k").unwrap().raw(text), "2");
    }
}
