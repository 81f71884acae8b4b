//! Building one body turn by turn.

use super::pack::user_turn;
use super::{Finding, PackImage, check};
use visionprep_core::RequestLimits;
use visionprep_core::request::{ContentBlock, Message, MessagesRequest, System};

/// One conversation, built turn by turn: the body to send after each user turn.
///
/// User turns put their images first, labelled `Image N:` (numbered across the whole
/// conversation) once the conversation holds several, then the text.
///
/// ```
/// use visionprep::core::{RequestLimits, Size};
/// use visionprep::request::{Conversation, PackImage};
/// let mut chat = Conversation::new("claude-sonnet-4-6", 1024);
/// chat.user(&[PackImage::url("https://example.com/a.png")], "What is this?");
/// chat.assistant("A bar chart of sales by month.");
/// chat.user(&[PackImage::file("file_011CNha8iCJcU1wXNR6q4V8w")], "And this one?");
/// let texts: Vec<_> = chat.request().messages[2].content.iter().filter_map(|b| match b {
///     visionprep::core::request::ContentBlock::Text { text } => Some(text.as_str()),
///     _ => None,
/// }).collect();
/// assert_eq!(texts, ["Image 2:", "And this one?"]);
/// assert!(chat.check(&RequestLimits::portable()).is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    request: MessagesRequest,
}

impl Conversation {
    /// An empty conversation with `model`.
    pub fn new(model: impl Into<String>, max_tokens: u32) -> Conversation {
        Conversation {
            request: MessagesRequest::new(model, max_tokens, Vec::new()),
        }
    }

    /// Continues a conversation read from a body (its model, system prompt and turns).
    pub fn from_request(request: MessagesRequest) -> Conversation {
        Conversation { request }
    }

    /// Sets the system prompt.
    pub fn system(&mut self, text: impl Into<String>) -> &mut Conversation {
        self.request.system = Some(System::Text(text.into()));
        self
    }

    /// Adds a user turn: `images` first, then `text`.
    pub fn user(&mut self, images: &[PackImage], text: &str) -> &mut Conversation {
        let before = self.request.media_count();
        let labelled = before + images.len() >= 2;
        self.request
            .messages
            .push(user_turn(images, before + 1, labelled, text));
        self
    }

    /// Adds the model's answer.
    pub fn assistant(&mut self, text: impl Into<String>) -> &mut Conversation {
        self.request
            .messages
            .push(Message::assistant(vec![ContentBlock::text(text)]));
        self
    }

    /// The body as it stands.
    pub fn request(&self) -> &MessagesRequest {
        &self.request
    }

    /// The body, taken out.
    pub fn into_request(self) -> MessagesRequest {
        self.request
    }

    /// What the API would refuse in the body as it stands (see [`check`]).
    pub fn check(&self, limits: &RequestLimits) -> Vec<Finding> {
        check(&self.request, limits)
    }
}
