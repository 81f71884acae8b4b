//! Messages API request bodies, in the exact JSON shape the API takes (SPEC section 5).
//!
//! ```
//! use visionprep_core::request::{ContentBlock, ImageSource, Message, MessagesRequest};
//! let body = MessagesRequest {
//!     model: "claude-sonnet-4-6".into(),
//!     max_tokens: 1024,
//!     system: None,
//!     messages: vec![Message::user(vec![
//!         ContentBlock::image(ImageSource::Url { url: "https://example.com/a.png".into() }),
//!         ContentBlock::text("What is in this image?"),
//!     ])],
//! };
//! let json = serde_json::to_string(&body).unwrap();
//! assert_eq!(json, r#"{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}},{"type":"text","text":"What is in this image?"}]}]}"#);
//! ```

use serde::{Deserialize, Deserializer, Serialize};

/// A whole request body: `{"model", "max_tokens", "system"?, "messages"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesRequest {
    /// The model id.
    pub model: String,
    /// The most tokens the answer may have.
    pub max_tokens: u32,
    /// The system prompt, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The conversation so far.
    pub messages: Vec<Message>,
}

impl MessagesRequest {
    /// Every image block of the body, with its JSON path (`messages[0].content[2]`), in order.
    pub fn images(&self) -> impl Iterator<Item = (String, &ImageSource)> {
        self.messages.iter().enumerate().flat_map(|(m, msg)| {
            msg.content
                .iter()
                .enumerate()
                .filter_map(move |(c, block)| match block {
                    ContentBlock::Image { source, .. } => {
                        Some((format!("messages[{m}].content[{c}]"), source))
                    }
                    ContentBlock::Text { .. } => None,
                })
        })
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user.
    User,
    /// The model.
    Assistant,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said. A plain string in a body read from elsewhere becomes one text block.
    #[serde(deserialize_with = "content_blocks")]
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// A user turn.
    pub fn user(content: Vec<ContentBlock>) -> Message {
        Message {
            role: Role::User,
            content,
        }
    }

    /// An assistant turn.
    pub fn assistant(content: Vec<ContentBlock>) -> Message {
        Message {
            role: Role::Assistant,
            content,
        }
    }
}

fn content_blocks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ContentBlock>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Blocks(Vec<ContentBlock>),
    }
    Ok(match Content::deserialize(d)? {
        Content::Text(text) => vec![ContentBlock::Text { text }],
        Content::Blocks(blocks) => blocks,
    })
}

/// A content block: text or an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// `{"type": "text", "text": ...}`
    Text {
        /// The text.
        text: String,
    },
    /// `{"type": "image", "source": ..., "transformations"?: ...}`
    Image {
        /// Where the image comes from.
        source: ImageSource,
        /// What the API does with an image it would resize.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transformations: Option<Transformations>,
    },
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> ContentBlock {
        ContentBlock::Text { text: text.into() }
    }

    /// An image block without transformations.
    pub fn image(source: ImageSource) -> ContentBlock {
        ContentBlock::Image {
            source,
            transformations: None,
        }
    }
}

/// The three ways to give an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    /// The bytes, base64-encoded, with their media type.
    Base64 {
        /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`: must match the bytes.
        media_type: String,
        /// Standard base64, padded, no `data:` prefix.
        data: String,
    },
    /// A URL the API fetches.
    Url {
        /// The URL.
        url: String,
    },
    /// A file uploaded with the Files API.
    File {
        /// The file's id (`file_...`).
        file_id: String,
    },
}

/// `{"oversized_image": "error"}`: reject, instead of silently shrinking, an image the API would
/// resize (the error names the target size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transformations {
    /// What to do with an image over the model's native resolution.
    pub oversized_image: OversizedImage,
}

/// The only value the API defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OversizedImage {
    /// Reject the request.
    Error,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const INVALID: u8 = 0xFF;

/// The value of each byte in the alphabet, [`INVALID`] for the others.
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Standard padded base64 of `bytes` (what `data` holds). Its length is exactly
/// [`crate::base64_len`]`(bytes.len())`.
///
/// ```
/// assert_eq!(visionprep_core::request::base64_encode(b"Claude"), "Q2xhdWRl");
/// assert_eq!(visionprep_core::request::base64_encode(b"ok"), "b2s=");
/// ```
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Why a `data` string is not valid base64 for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// It starts with `data:...;base64,` (a data URL), which the API rejects.
    #[error("a data: URL prefix was left in (the API wants the base64 text alone)")]
    DataUrlPrefix,
    /// Empty: "image cannot be empty".
    #[error("the image data is empty")]
    Empty,
    /// A character outside the standard alphabet, or padding in the wrong place.
    #[error("invalid base64 at character {0}")]
    InvalidCharacter(usize),
    /// The length is not a multiple of 4.
    #[error("the base64 text's length {0} is not a multiple of 4")]
    BadLength(usize),
}

/// Decodes standard padded base64 (whitespace is not allowed, as in the API).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    if text.starts_with("data:") {
        return Err(Base64Error::DataUrlPrefix);
    }
    if text.is_empty() {
        return Err(Base64Error::Empty);
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(Base64Error::BadLength(bytes.len()));
    }
    let value = |c: u8| -> Option<u32> {
        match DECODE[usize::from(c)] {
            INVALID => None,
            v => Some(u32::from(v)),
        }
    };
    let mut out = Vec::new();
    let quads = bytes.len() / 4;
    for (q, quad) in bytes.chunks(4).enumerate() {
        let last = q + 1 == quads;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(Base64Error::InvalidCharacter(q * 4 + 4 - pad));
        }
        let mut n = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            let v = if i >= 4 - pad {
                0
            } else {
                value(c).ok_or(Base64Error::InvalidCharacter(q * 4 + i))?
            };
            n = (n << 6) | v;
        }
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_the_length_rule() {
        for len in 0..50usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let text = base64_encode(&data);
            assert_eq!(text.len() as u64, crate::base64_len(len as u64));
            if len > 0 {
                assert_eq!(base64_decode(&text).unwrap(), data);
            }
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_encode(b"M"), "TQ==");
    }

    #[test]
    fn base64_errors() {
        assert_eq!(
            base64_decode("data:image/png;base64,AAAA"),
            Err(Base64Error::DataUrlPrefix)
        );
        assert_eq!(base64_decode(""), Err(Base64Error::Empty));
        assert_eq!(base64_decode("abc"), Err(Base64Error::BadLength(3)));
        assert_eq!(base64_decode("ab!d"), Err(Base64Error::InvalidCharacter(2)));
        assert!(base64_decode("TQ==TWFu").is_err(), "padding before the end");
        assert!(base64_decode("T===").is_err());
    }

    #[test]
    fn blocks_serialise_in_the_api_shape() {
        let cases = [
            (
                ContentBlock::text("Image 1:"),
                r#"{"type":"text","text":"Image 1:"}"#,
            ),
            (
                ContentBlock::image(ImageSource::Base64 {
                    media_type: "image/jpeg".into(),
                    data: "/9j/".into(),
                }),
                r#"{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}"#,
            ),
            (
                ContentBlock::image(ImageSource::File {
                    file_id: "file_011".into(),
                }),
                r#"{"type":"image","source":{"type":"file","file_id":"file_011"}}"#,
            ),
            (
                ContentBlock::Image {
                    source: ImageSource::Url {
                        url: "https://x/y.png".into(),
                    },
                    transformations: Some(Transformations {
                        oversized_image: OversizedImage::Error,
                    }),
                },
                r#"{"type":"image","source":{"type":"url","url":"https://x/y.png"},"transformations":{"oversized_image":"error"}}"#,
            ),
        ];
        for (block, json) in cases {
            assert_eq!(serde_json::to_string(&block).unwrap(), json);
            assert_eq!(serde_json::from_str::<ContentBlock>(json).unwrap(), block);
        }
    }

    #[test]
    fn bodies_read_from_elsewhere() {
        let json = r#"{"model":"m","max_tokens":10,"system":"be brief","messages":[
            {"role":"user","content":"hello"},
            {"role":"assistant","content":[{"type":"text","text":"hi"}]},
            {"role":"user","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]}"#;
        let body: MessagesRequest = serde_json::from_str(json).unwrap();
        assert_eq!(body.system.as_deref(), Some("be brief"));
        assert_eq!(body.messages[0].content, vec![ContentBlock::text("hello")]);
        let paths: Vec<String> = body.images().map(|(p, _)| p).collect();
        assert_eq!(paths, ["messages[2].content[0]"]);
        assert!(serde_json::from_str::<MessagesRequest>(r#"{"model":"m"}"#).is_err());
    }
}
