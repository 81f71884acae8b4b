//! File names as report text, lossless for names that are not UTF-8.

/// A file name as report text, lossless even when the name is not UTF-8 (Unix names are any
/// bytes but `/` and NUL; JSON strings are Unicode).
///
/// A UTF-8 name is its own text. Any other name is escaped: each byte that is not part of
/// valid UTF-8 becomes `\xNN` (two upper-case hex digits) and each backslash `\\`, and the
/// report says so (`path_escaped: true`), so [`PathText::unescape`] gives the bytes back.
///
/// ```
/// use visionprep_core::PathText;
/// let raw = b"photos/caf\xe9\\1.jpg"; // Latin-1 e-acute and a backslash
/// let text = PathText::escape(raw);
/// assert_eq!(text.text, r"photos/caf\xE9\\1.jpg");
/// assert!(text.escaped);
/// assert_eq!(PathText::unescape(&text.text), Some(raw.to_vec()));
/// assert_eq!(PathText::escape("café.jpg".as_bytes()).text, "café.jpg");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathText {
    /// The text to show.
    pub text: String,
    /// Whether it is escaped (the name is not UTF-8).
    pub escaped: bool,
}

impl PathText {
    /// The text of a name given as its bytes.
    pub fn escape(bytes: &[u8]) -> PathText {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return PathText {
                text: text.to_owned(),
                escaped: false,
            };
        }
        let mut text = String::new();
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    text.push_str("\\\\");
                } else {
                    text.push(c);
                }
            }
            for b in chunk.invalid() {
                text.push_str(&format!("\\x{b:02X}"));
            }
        }
        PathText {
            text,
            escaped: true,
        }
    }

    /// The bytes of an escaped name; `None` when `text` is not a valid escape.
    pub fn unescape(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find('\\') {
            out.extend_from_slice(&rest.as_bytes()[..i]);
            let tail = &rest[i + 1..];
            if let Some(after) = tail.strip_prefix('\\') {
                out.push(b'\\');
                rest = after;
            } else {
                let hex = tail.strip_prefix('x')?.get(..2)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &tail[3..];
            }
        }
        out.extend_from_slice(rest.as_bytes());
        Some(out)
    }
}
