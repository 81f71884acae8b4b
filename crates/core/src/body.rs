//! Reading whole Messages API bodies as they are, every block kind included (SPEC section 5).
//!
//! A body read here is never rebuilt: [`Body`] and [`Scan`] are views over a lossless
//! [`json`](crate::json) tree, so whatever the API adds later (a new block type, a new field)
//! is simply carried along and counted by its `type`. What they find is every image and
//! document block, wherever it nests (a user turn, a `tool_result`'s content, a document's
//! content, a server tool's result), each with the JSON path the API uses in its errors:
//! `messages.16.content.2.tool_result.content.0.image`, then `.source.base64` for its data.
//!
//! ```
//! use visionprep_core::body::{Body, MediaKind, Scan};
//! let text = r#"{"model":"claude-sonnet-4-6","max_tokens":100,"messages":[
//!   {"role":"user","content":"Take a screenshot"},
//!   {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"computer","input":{"action":"screenshot"}}]},
//!   {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[
//!     {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}]}"#;
//! let root = visionprep_core::json::parse(text).unwrap();
//! let body = Body::read(text, &root).unwrap();
//! assert_eq!(body.model(text).as_deref(), Some("claude-sonnet-4-6"));
//! let scan = body.scan(text);
//! assert_eq!(scan.media[0].kind, MediaKind::Image);
//! assert_eq!(scan.media[0].source_path(text), "messages.2.content.0.tool_result.content.0.image.source.base64");
//! assert_eq!(scan.blocks["tool_result"], 1);
//! ```

use crate::json::{Kind, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Members never searched for images: a tool call's `input` is the model's arguments (any JSON
/// at all), `cache_control` and `citations` are settings and references.
const OPAQUE: [&str; 3] = ["input", "cache_control", "citations"];

/// An image or a document: what the API counts toward its per-request limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `{"type": "image", ...}`
    Image,
    /// `{"type": "document", ...}` (PDF, plain text or custom content)
    Document,
}

/// One image or document block found in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media<'v> {
    /// Image or document.
    pub kind: MediaKind,
    /// The block's path in the API's style: `messages.3.content.0.tool_result.content.1.image`.
    pub path: String,
    /// The block itself.
    pub block: &'v Value,
    /// Its `source` object, when it has one.
    pub source: Option<&'v Value>,
    /// The index of the message that holds it (`None` for a block outside `messages`).
    pub message: Option<usize>,
    /// Which part of a multi-part input it comes from (a line of a transcript); 0 for a body.
    pub part: usize,
}

impl Media<'_> {
    /// The source's `type` (`base64`, `url`, `file`, `text`, `content`, ...), when it has one.
    pub fn source_type<'t>(&self, text: &'t str) -> Option<Cow<'t, str>> {
        self.source?.get(text, "type")?.str(text)
    }

    /// The path of the source, as the API names it: `...image.source.base64`.
    pub fn source_path(&self, text: &str) -> String {
        match self.source_type(text) {
            Some(t) => format!("{}.source.{t}", self.path),
            None => format!("{}.source", self.path),
        }
    }
}

/// Everything found in a body or a run of messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan<'v> {
    /// Blocks by `type`, nested ones included; a block without a string `type` counts as
    /// `"(untyped)"`.
    pub blocks: BTreeMap<String, u64>,
    /// Image and document blocks, in document order.
    pub media: Vec<Media<'v>>,
    /// Messages seen.
    pub messages: usize,
}

impl<'v> Scan<'v> {
    /// Images and documents: what the API compares with its per-request limit.
    pub fn media_count(&self) -> usize {
        self.media.len()
    }

    /// Image blocks only.
    pub fn images(&self) -> impl Iterator<Item = &Media<'v>> {
        self.media.iter().filter(|m| m.kind == MediaKind::Image)
    }

    /// Adds one message (`{"role", "content"}`) with its index in the conversation.
    pub fn add_message(&mut self, text: &str, message: &'v Value, index: usize, part: usize) {
        self.add_message_at(text, message, &format!("messages.{index}"), index, part);
    }

    /// Adds a message kept inside an envelope (an agent's session entry, a transcript line):
    /// its blocks' paths start at `prefix` (`message.content.0...`) instead of `messages.N`.
    pub fn add_message_at(
        &mut self,
        text: &str,
        message: &'v Value,
        prefix: &str,
        index: usize,
        part: usize,
    ) {
        self.messages += 1;
        let mut path = prefix.to_owned();
        if let Some(content) = message.get(text, "content") {
            path.push_str(".content");
            self.blocks_in(text, content, &mut path, Some(index), part);
        }
    }

    /// Adds a `system` prompt given as blocks (a string holds none).
    pub fn add_system(&mut self, text: &str, system: &'v Value, part: usize) {
        let mut path = "system".to_owned();
        self.blocks_in(text, system, &mut path, None, part);
    }

    /// Adds a block, or an array of blocks, found outside a body (a block kept as written).
    pub fn add_blocks(&mut self, text: &str, value: &'v Value) {
        let mut path = String::new();
        if value.is_array() {
            self.blocks_in(text, value, &mut path, None, 0);
        } else {
            self.block(text, value, &mut path, None, 0);
        }
    }

    fn blocks_in(
        &mut self,
        text: &str,
        list: &'v Value,
        path: &mut String,
        message: Option<usize>,
        part: usize,
    ) {
        for (i, block) in list.elements().iter().enumerate() {
            let len = path.len();
            path.push_str(&format!(".{i}"));
            self.block(text, block, path, message, part);
            path.truncate(len);
        }
    }

    /// A typed object: counted, recorded when it is an image or a document, searched for
    /// nested blocks in every member but the opaque ones.
    fn block(
        &mut self,
        text: &str,
        block: &'v Value,
        path: &mut String,
        message: Option<usize>,
        part: usize,
    ) {
        if !block.is_object() {
            return;
        }
        let kind = block.get(text, "type").and_then(|t| t.str(text));
        let name = kind.as_deref().unwrap_or("(untyped)");
        *self.blocks.entry(name.to_owned()).or_default() += 1;
        let len = path.len();
        if let Some(kind) = &kind {
            path.push('.');
            path.push_str(kind);
        }
        let media = match kind.as_deref() {
            Some("image") => Some(MediaKind::Image),
            Some("document") => Some(MediaKind::Document),
            _ => None,
        };
        let source = block.get(text, "source").filter(|s| s.is_object());
        if let Some(kind) = media {
            self.media.push(Media {
                kind,
                path: path.clone(),
                block,
                source,
                message,
                part,
            });
        }
        for member in block.members() {
            let Some(key) = member.key.str(text) else {
                continue;
            };
            if key == "type" || OPAQUE.contains(&key.as_ref()) {
                continue;
            }
            let value = &member.value;
            let inner = path.len();
            path.push('.');
            path.push_str(&key);
            match value.kind() {
                Kind::Array(items) if items.iter().any(is_typed(text)) => {
                    self.blocks_in(text, value, path, message, part);
                }
                // A document's `content` source holds blocks; a server tool's result is
                // an object that holds more (`web_fetch_result` -> `document`).
                Kind::Object(_) if key == "source" => {
                    if let Some(content) = value.get(text, "content") {
                        path.push_str(&source_type_segment(text, value));
                        path.push_str(".content");
                        self.blocks_in(text, content, path, message, part);
                    }
                }
                Kind::Object(_) if is_typed(text)(value) => {
                    self.block(text, value, path, message, part);
                }
                _ => {}
            }
            path.truncate(inner);
        }
        path.truncate(len);
    }
}

fn source_type_segment(text: &str, source: &Value) -> String {
    match source.get(text, "type").and_then(|t| t.str(text)) {
        Some(t) => format!(".{t}"),
        None => String::new(),
    }
}

fn is_typed(text: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v: &Value| v.is_object() && v.get(text, "type").is_some_and(|t| t.str(text).is_some())
}

/// Why a JSON value is not a Messages body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The top level is not an object.
    #[error("a request body is a JSON object, this is {0}")]
    NotAnObject(String),
    /// No `messages` member.
    #[error("a request body needs \"messages\"")]
    NoMessages,
    /// `messages` is not an array.
    #[error("\"messages\" must be an array, it is {0}")]
    MessagesNotAnArray(String),
}

impl BodyError {
    /// Its stable code: `not-a-request`.
    pub fn code(&self) -> crate::ErrorCode {
        crate::ErrorCode::NotARequest
    }
}

/// A Messages API request body (`{"model", "messages", ...}`), read without rebuilding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body<'v> {
    root: &'v Value,
    messages: &'v Value,
}

impl<'v> Body<'v> {
    /// Reads `root` (parsed from `text`) as a body: an object with a `messages` array.
    /// Everything else in it is optional and kept as it is.
    pub fn read(text: &str, root: &'v Value) -> Result<Body<'v>, BodyError> {
        if !root.is_object() {
            return Err(BodyError::NotAnObject(root.kind().to_string()));
        }
        let messages = root.get(text, "messages").ok_or(BodyError::NoMessages)?;
        if !messages.is_array() {
            return Err(BodyError::MessagesNotAnArray(messages.kind().to_string()));
        }
        Ok(Body { root, messages })
    }

    /// The whole body.
    pub fn root(&self) -> &'v Value {
        self.root
    }

    /// The `model` member, when it is a string.
    pub fn model<'t>(&self, text: &'t str) -> Option<Cow<'t, str>> {
        self.root.get(text, "model")?.str(text)
    }

    /// The messages, in order.
    pub fn messages(&self) -> &'v [Value] {
        self.messages.elements()
    }

    /// Every block of the body (system prompt and messages) and every image and document.
    pub fn scan(&self, text: &str) -> Scan<'v> {
        let mut scan = Scan::default();
        self.scan_into(text, 0, &mut scan);
        scan
    }

    /// Adds the body's blocks to `scan`, as part `part`.
    pub fn scan_into(&self, text: &str, part: usize, scan: &mut Scan<'v>) {
        if let Some(system) = self.root.get(text, "system") {
            scan.add_system(text, system, part);
        }
        for (i, message) in self.messages().iter().enumerate() {
            scan.add_message(text, message, i, part);
        }
    }
}

/// Whether a JSON value is one message: an object with a string `role` and a `content`.
pub fn is_message(text: &str, value: &Value) -> bool {
    value
        .get(text, "role")
        .is_some_and(|r| r.str(text).is_some())
        && value.get(text, "content").is_some()
}

/// Whether a JSON value is an agent's session entry: a `type`, and a `uuid`, `parentUuid`,
/// `sessionId`, `leafUuid` or a `message`, without being a bare message itself.
pub fn is_session_entry(text: &str, value: &Value) -> bool {
    value.get(text, "type").and_then(|t| t.str(text)).is_some()
        && !is_message(text, value)
        && ["uuid", "parentUuid", "sessionId", "leafUuid", "message"]
            .iter()
            .any(|k| value.get(text, k).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn scan_of(text: &str) -> (Vec<String>, BTreeMap<String, u64>) {
        let root = parse(text).unwrap();
        let body = Body::read(text, &root).unwrap();
        let scan = body.scan(text);
        let paths = scan.media.iter().map(|m| m.source_path(text)).collect();
        (paths, scan.blocks)
    }

    #[test]
    fn finds_media_wherever_it_nests() {
        let text = r#"{"model":"m","system":[{"type":"text","text":"be brief","cache_control":{"type":"ephemeral"}}],
        "messages":[
          {"role":"user","content":[
            {"type":"image","source":{"type":"url","url":"https://x/a.png"},"cache_control":{"type":"ephemeral"}},
            {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},
            {"type":"document","source":{"type":"content","content":[{"type":"text","text":"p1"},{"type":"image","source":{"type":"file","file_id":"file_1"}}]}},
            {"type":"text","text":"Look"}]},
          {"role":"assistant","content":[
            {"type":"thinking","thinking":"hmm","signature":"sig"},
            {"type":"redacted_thinking","data":"xyz"},
            {"type":"tool_use","id":"t","name":"n","input":{"type":"image","source":{"type":"base64","data":"not one"}}},
            {"type":"server_tool_use","id":"s","name":"web_fetch","input":{"url":"u"}},
            {"type":"web_fetch_tool_result","tool_use_id":"s","content":{"type":"web_fetch_result","url":"u","content":{"type":"document","source":{"type":"text","media_type":"text/plain","data":"hi"}}}}]},
          {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"done"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
            {"type":"tool_result","tool_use_id":"u","content":"plain"},
            {"type":"search_result","source":"https://s","title":"t","content":[{"type":"text","text":"r"}]},
            {"type":"brand_new_block","payload":{"type":"image","source":{"type":"url","url":"u"}}}]}]}"#;
        let (paths, blocks) = scan_of(text);
        assert_eq!(
            paths,
            [
                "messages.0.content.0.image.source.url",
                "messages.0.content.1.document.source.base64",
                "messages.0.content.2.document.source.content",
                "messages.0.content.2.document.source.content.content.1.image.source.file",
                "messages.1.content.4.web_fetch_tool_result.content.web_fetch_result.content.document.source.text",
                "messages.2.content.0.tool_result.content.1.image.source.base64",
                "messages.2.content.3.brand_new_block.payload.image.source.url",
            ]
        );
        // The tool call's input is the model's arguments, never an image.
        assert_eq!(blocks["tool_use"], 1);
        assert_eq!(blocks["image"], 4);
        assert_eq!(blocks["text"], 5);
        assert_eq!(blocks["brand_new_block"], 1);
        assert_eq!(blocks["thinking"], 1);
        assert!(!blocks.contains_key("ephemeral"));
    }

    #[test]
    fn what_is_not_a_body() {
        for (text, err) in [
            ("[]", BodyError::NotAnObject("an array".into())),
            ("{\"model\":\"m\"}", BodyError::NoMessages),
            (
                "{\"messages\":{}}",
                BodyError::MessagesNotAnArray("an object".into()),
            ),
        ] {
            let root = parse(text).unwrap();
            assert_eq!(Body::read(text, &root), Err(err));
        }
        let text = r#"{"role":"user","content":"hi"}"#;
        assert!(is_message(text, &parse(text).unwrap()));
    }
}
