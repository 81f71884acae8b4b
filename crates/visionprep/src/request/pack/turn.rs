//! The options of packing and the user turn a body's images go in: labels, then the prompt.

use super::image::{PackImage, Part};
use visionprep_core::ErrorCode;
use visionprep_core::RequestLimits;
use visionprep_core::request::{ContentBlock, Message, RawBlock, System};

/// What every body carries besides the new images.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackOptions {
    /// The model id.
    pub model: String,
    /// `max_tokens` of each body.
    pub max_tokens: u32,
    /// The system prompt, if any.
    pub system: Option<System>,
    /// Other members of every body, as written (`tools`, `tool_choice`, `thinking`, ...: a
    /// conversation with tool calls needs its tool definitions).
    pub extra: Vec<(String, RawBlock)>,
    /// Earlier turns of the conversation, sent first in every body. Their images count toward
    /// the image limit and the 2000 px rule, their bytes toward the body size. The new images
    /// and the prompt form the user turn that follows them.
    pub history: Vec<Message>,
    /// The question asked about the images (the last block).
    pub prompt: String,
    /// The limits each body must respect.
    pub limits: RequestLimits,
}

impl PackOptions {
    /// Options for `model` with `max_tokens` 1024, no system prompt and no history.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>, limits: RequestLimits) -> Self {
        PackOptions {
            model: model.into(),
            max_tokens: 1024,
            system: None,
            extra: Vec::new(),
            history: Vec::new(),
            prompt: prompt.into(),
            limits,
        }
    }
}

/// Why images could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// This image cannot go in any body, even alone.
    #[error("image {index} cannot be sent: {reason}")]
    ImageTooLarge {
        /// Its position in the input (0-based).
        index: usize,
        /// Which limit it breaks.
        reason: String,
    },
    /// The earlier turns alone already break a limit: no body can continue them.
    #[error("the conversation so far cannot be sent again: {reason}")]
    HistoryTooLarge {
        /// Which limit it breaks.
        reason: String,
    },
}

impl PackError {
    /// Its stable code: `image-too-large` or `request-too-large`.
    pub fn code(&self) -> ErrorCode {
        match self {
            PackError::ImageTooLarge { .. } => ErrorCode::ImageTooLarge,
            PackError::HistoryTooLarge { .. } => ErrorCode::RequestTooLarge,
        }
    }
}

pub(crate) fn json_len<T: serde::Serialize>(value: &T) -> usize {
    // Serialising plain data to a Vec cannot fail.
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// The label of an image numbered `number`: `Image 3:`, or for a tile `Image 3, part 2 of 6:
/// rows 1092-2184`.
pub(crate) fn label(number: usize, part: Option<&Part>) -> ContentBlock {
    ContentBlock::text(match part {
        None => format!("Image {number}:"),
        Some(p) => format!(
            "Image {number}, part {} of {}: {}",
            p.index + 1,
            p.count,
            p.region
        ),
    })
}

/// Whether `image`, coming after others in a body, starts a new image number (tiles after
/// the first of their image keep its number).
pub(crate) fn starts_image(image: &PackImage) -> bool {
    image.part.as_ref().is_none_or(|p| p.index == 0)
}

/// The content of a user turn: `images` (labelled `Image {first}:` on, when `labelled` or
/// when any is a tile), then the prompt. Tiles of one image share its number.
pub(crate) fn user_turn(
    images: &[PackImage],
    first: usize,
    labelled: bool,
    prompt: &str,
) -> Message {
    let labelled = labelled || images.iter().any(|i| i.part.is_some());
    let mut content = Vec::new();
    let mut number = first.saturating_sub(1);
    for (i, image) in images.iter().enumerate() {
        if i == 0 || starts_image(image) {
            number += 1;
        }
        if labelled {
            content.push(label(number, image.part.as_ref()));
        }
        content.push(image.block());
    }
    content.push(ContentBlock::text(prompt));
    Message::user(content)
}
