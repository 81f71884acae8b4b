//! Messages API request bodies, in the exact JSON shape the API takes (SPEC section 5).
//!
//! ```
//! use visionprep_core::request::{ContentBlock, ImageSource, Message, MessagesRequest};
//! let body = MessagesRequest::new("claude-sonnet-4-6", 1024, vec![Message::user(vec![
//!     ContentBlock::image(ImageSource::Url { url: "https://example.com/a.png".into() }),
//!     ContentBlock::text("What is in this image?"),
//! ])]);
//! let json = serde_json::to_string(&body).unwrap();
//! assert_eq!(json, r#"{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}},{"type":"text","text":"What is in this image?"}]}]}"#);
//! ```

pub use crate::base64::{Base64Error, base64_decode, base64_encode};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;

/// A whole request body: `{"model", "max_tokens", "system"?, "messages", ...}`.
///
/// What visionprep builds is typed (text and image blocks); what it reads from elsewhere may
/// hold anything the API takes: blocks of other kinds are kept as [`RawBlock`]s and members
/// other than these four (`tools`, `tool_choice`, `thinking`, `metadata`, ...) in
/// [`MessagesRequest::extra`], each exactly as written, so a body read and written again is
/// the same JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagesRequest {
    /// The model id.
    pub model: String,
    /// The most tokens the answer may have.
    pub max_tokens: u32,
    /// The system prompt, if any.
    pub system: Option<System>,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Every other member, in the order read, as written.
    pub extra: Vec<(String, RawBlock)>,
}

impl MessagesRequest {
    /// A body with no system prompt and no other members.
    pub fn new(model: impl Into<String>, max_tokens: u32, messages: Vec<Message>) -> Self {
        MessagesRequest {
            model: model.into(),
            max_tokens,
            system: None,
            messages,
            extra: Vec::new(),
        }
    }

    /// Every typed image block of the body, with its JSON path
    /// (`messages.0.content.2.image`), in order. Images nested in other blocks (a
    /// `tool_result`'s screenshots) are in [`RawBlock`]s: see [`MessagesRequest::media_count`].
    pub fn images(&self) -> impl Iterator<Item = (String, &ImageSource)> {
        self.messages.iter().enumerate().flat_map(|(m, msg)| {
            msg.content
                .iter()
                .enumerate()
                .filter_map(move |(c, block)| match block {
                    ContentBlock::Image { source, .. } => {
                        Some((format!("messages.{m}.content.{c}.image"), source))
                    }
                    _ => None,
                })
        })
    }

    /// Images and documents anywhere in the messages, nested ones included: what the API
    /// counts toward its per-request limit.
    pub fn media_count(&self) -> usize {
        self.messages
            .iter()
            .flat_map(|m| &m.content)
            .map(ContentBlock::media_count)
            .sum()
    }
}

impl Serialize for MessagesRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("model", &self.model)?;
        map.serialize_entry("max_tokens", &self.max_tokens)?;
        if let Some(system) = &self.system {
            map.serialize_entry("system", system)?;
        }
        map.serialize_entry("messages", &self.messages)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MessagesRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let members =
            d.deserialize_map(RawMembers("a Messages API request body (a JSON object)"))?;
        let mut body = MessagesRequest::new(String::new(), 0, Vec::new());
        let (mut model, mut max_tokens, mut messages) = (false, false, false);
        for (key, raw) in members {
            let json = raw.get();
            match key.as_str() {
                "model" => {
                    body.model = serde_json::from_str(json).map_err(de::Error::custom)?;
                    model = true;
                }
                "max_tokens" => {
                    body.max_tokens = serde_json::from_str(json).map_err(de::Error::custom)?;
                    max_tokens = true;
                }
                "system" => {
                    body.system = Some(serde_json::from_str(json).map_err(de::Error::custom)?);
                }
                "messages" => {
                    body.messages = serde_json::from_str(json).map_err(de::Error::custom)?;
                    messages = true;
                }
                _ => body.extra.push((key, RawBlock(raw))),
            }
        }
        for (present, name) in [
            (model, "model"),
            (max_tokens, "max_tokens"),
            (messages, "messages"),
        ] {
            if !present {
                return Err(de::Error::missing_field(name));
            }
        }
        Ok(body)
    }
}

/// The system prompt: a string, or text blocks (which may carry `cache_control`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum System {
    /// `"system": "..."`
    Text(String),
    /// `"system": [{"type": "text", ...}, ...]`
    Blocks(Vec<ContentBlock>),
}

impl From<String> for System {
    fn from(text: String) -> Self {
        System::Text(text)
    }
}

impl From<&str> for System {
    fn from(text: &str) -> Self {
        System::Text(text.to_owned())
    }
}

impl Serialize for System {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            System::Text(t) => t.serialize(s),
            System::Blocks(b) => b.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for System {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let json = raw.get();
        if json.starts_with('"') {
            serde_json::from_str(json)
                .map(System::Text)
                .map_err(de::Error::custom)
        } else {
            serde_json::from_str(json)
                .map(System::Blocks)
                .map_err(de::Error::custom)
        }
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
///
/// Read from elsewhere, a turn keeps how it was written: a `content` given as a plain string
/// is written back as one, and members other than `role` and `content` are kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said. A plain string in a body read from elsewhere is one text block.
    pub content: Vec<ContentBlock>,
    /// The content was a plain string (written back as one while it is one text block).
    plain: bool,
    /// Other members, as written.
    extra: Vec<(String, RawBlock)>,
}

impl Message {
    /// A user turn.
    pub fn user(content: Vec<ContentBlock>) -> Message {
        Message {
            role: Role::User,
            content,
            plain: false,
            extra: Vec::new(),
        }
    }

    /// An assistant turn.
    pub fn assistant(content: Vec<ContentBlock>) -> Message {
        Message {
            role: Role::Assistant,
            content,
            plain: false,
            extra: Vec::new(),
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("role", &self.role)?;
        match self.content.as_slice() {
            [ContentBlock::Text { text }] if self.plain => map.serialize_entry("content", text)?,
            blocks => map.serialize_entry("content", blocks)?,
        }
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let members = d.deserialize_map(RawMembers("a message (a JSON object)"))?;
        let mut role = None;
        let mut content = None;
        let mut plain = false;
        let mut extra = Vec::new();
        for (key, raw) in members {
            let json = raw.get();
            match key.as_str() {
                "role" => role = Some(serde_json::from_str(json).map_err(de::Error::custom)?),
                "content" => {
                    plain = json.starts_with('"');
                    content = Some(if plain {
                        let text: String = serde_json::from_str(json).map_err(de::Error::custom)?;
                        vec![ContentBlock::Text { text }]
                    } else {
                        serde_json::from_str(json).map_err(de::Error::custom)?
                    });
                }
                _ => extra.push((key, RawBlock(raw))),
            }
        }
        Ok(Message {
            role: role.ok_or_else(|| de::Error::missing_field("role"))?,
            content: content.ok_or_else(|| de::Error::missing_field("content"))?,
            plain,
            extra,
        })
    }
}

/// Reads an object's members as written, in order.
struct RawMembers(&'static str);

impl<'de> Visitor<'de> for RawMembers {
    type Value = Vec<(String, Box<RawValue>)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
            members.push((k, v));
        }
        Ok(members)
    }
}

/// A JSON value kept exactly as it was written: a block of a kind visionprep does not build
/// (`tool_use`, `tool_result`, `document`, `thinking`, server tools, a text or image block with
/// `cache_control`, kinds the API adds later) or a body member it does not model.
#[derive(Debug, Clone)]
pub struct RawBlock(Box<RawValue>);

impl RawBlock {
    /// Wraps JSON text, which must be one valid JSON value.
    pub fn new(json: impl Into<String>) -> Result<RawBlock, serde_json::Error> {
        RawValue::from_string(json.into()).map(RawBlock)
    }

    /// The JSON text, as written.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// The block's `type`, when it is an object that has one.
    pub fn kind(&self) -> Option<String> {
        let root = crate::json::parse(self.json()).ok()?;
        Some(
            root.get(self.json(), "type")?
                .str(self.json())?
                .into_owned(),
        )
    }

    /// Images and documents inside (the block itself included).
    pub fn media_count(&self) -> usize {
        let text = self.json();
        let Ok(root) = crate::json::parse(text) else {
            return 0;
        };
        let mut scan = crate::body::Scan::default();
        scan.add_blocks(text, &root);
        scan.media_count()
    }
}

impl PartialEq for RawBlock {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

impl Eq for RawBlock {}

impl Serialize for RawBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawBlock)
    }
}

/// A content block: text or an image, which visionprep builds, or any other kind, kept as
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        transformations: Option<Transformations>,
    },
    /// Any other block, or a text or image block with members beyond these (`cache_control`,
    /// `citations`), exactly as written.
    Raw(RawBlock),
}

/// The typed blocks, as the API spells them; nothing else may be in them.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Typed {
    Text {
        text: String,
    },
    Image {
        source: ImageSource,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transformations: Option<Transformations>,
    },
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Out<'a> {
            Text {
                text: &'a str,
            },
            Image {
                source: &'a ImageSource,
                #[serde(skip_serializing_if = "Option::is_none")]
                transformations: &'a Option<Transformations>,
            },
        }
        match self {
            ContentBlock::Text { text } => Out::Text { text }.serialize(s),
            ContentBlock::Image {
                source,
                transformations,
            } => Out::Image {
                source,
                transformations,
            }
            .serialize(s),
            ContentBlock::Raw(raw) => raw.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Ok(match serde_json::from_str::<Typed>(raw.get()) {
            Ok(Typed::Text { text }) => ContentBlock::Text { text },
            Ok(Typed::Image {
                source,
                transformations,
            }) => ContentBlock::Image {
                source,
                transformations,
            },
            Err(_) => ContentBlock::Raw(RawBlock(raw)),
        })
    }
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

    /// Images and documents in the block, nested ones included.
    pub fn media_count(&self) -> usize {
        match self {
            ContentBlock::Text { .. } => 0,
            ContentBlock::Image { .. } => 1,
            ContentBlock::Raw(raw) => raw.media_count(),
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
        assert_eq!(body.system, Some(System::from("be brief")));
        assert_eq!(body.messages[0].content, vec![ContentBlock::text("hello")]);
        let paths: Vec<String> = body.images().map(|(p, _)| p).collect();
        assert_eq!(paths, ["messages.2.content.0.image"]);
        assert!(serde_json::from_str::<MessagesRequest>(r#"{"model":"m"}"#).is_err());
    }

    #[test]
    fn every_other_block_and_member_is_kept_as_written() {
        let json = r#"{"tools":[{"name":"computer","input_schema":{"type":"object"}}],"model":"m","max_tokens":10,
            "system":[{"type":"text","text":"be brief","cache_control":{"type":"ephemeral"}}],
            "messages":[
            {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"tool_use","id":"t","name":"computer","input":{"action":"screenshot"}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
              {"type":"image","source":{"type":"url","url":"u"},"cache_control":{"type":"ephemeral"}},
              {"type":"text","text":"now?"}]}],
            "thinking":{"type":"enabled","budget_tokens":2000},"some_future_field":[1,2.50,{"x":null}]}"#;
        let body: MessagesRequest = serde_json::from_str(json).unwrap();
        assert_eq!(body.media_count(), 2);
        assert_eq!(
            body.images().count(),
            0,
            "both images are inside kept blocks"
        );
        let ContentBlock::Raw(raw) = &body.messages[1].content[0] else {
            panic!("a tool_result is kept as written");
        };
        assert_eq!(raw.kind().as_deref(), Some("tool_result"));
        assert_eq!(body.messages[1].content[2], ContentBlock::text("now?"));
        let keys: Vec<&str> = body.extra.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["tools", "thinking", "some_future_field"]);
        assert_eq!(body.extra[2].1.json(), "[1,2.50,{\"x\":null}]");
        let again = serde_json::to_string(&body).unwrap();
        let a: serde_json::Value = serde_json::from_str(json).unwrap();
        let b: serde_json::Value = serde_json::from_str(&again).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            serde_json::from_str::<MessagesRequest>(&again).unwrap(),
            body
        );
    }
}
