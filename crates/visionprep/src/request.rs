//! Putting images into request bodies the API accepts the first time.
//!
//! [`pack`] splits images, in order, into the fewest bodies that each respect every limit of
//! a profile: the image count, the 2000 px rule past 20 images, the per-image base64 cap and
//! the whole body's size, computed exactly (the length of the bytes `serde_json` writes).
//! Earlier turns of a conversation ([`PackOptions::history`]) go in every body and count
//! toward every limit. [`Conversation`] builds one body turn by turn. Either way the images
//! of a user turn come first, each introduced by `Image 1:`, `Image 2:`, ... when the body
//! holds several, then the prompt (SPEC section 5).

use crate::prepare::Prepared;
use visionprep_core::request::{
    ContentBlock, ImageSource, Message, MessagesRequest, base64_decode, base64_encode,
};
use visionprep_core::{RequestLimits, Size};

/// An image to place in a body: prepared bytes, a URL or an uploaded file.
///
/// The pixel size is known for prepared images; for a URL or a file id it is what the caller
/// says with [`PackImage::with_size`]. An image of unknown size is never put in a body of more
/// than 20 images, where the 2000 px rule could not be checked.
///
/// ```
/// use visionprep::core::Size;
/// use visionprep::request::PackImage;
/// let chart = PackImage::url("https://example.com/chart.png").with_size(Size::new(1200, 800));
/// let scan = PackImage::file("file_011CNha8iCJcU1wXNR6q4V8w");
/// assert_eq!(chart.size(), Some(Size::new(1200, 800)));
/// assert_eq!(scan.size(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackImage {
    source: ImageSource,
    size: Option<Size>,
}

impl PackImage {
    /// A prepared image, base64-encoded.
    pub fn from_prepared(p: &Prepared) -> PackImage {
        PackImage {
            source: ImageSource::Base64 {
                media_type: p.media_type.as_str().to_owned(),
                data: base64_encode(&p.bytes),
            },
            size: Some(p.output_size),
        }
    }

    /// Bytes already base64-encoded, with their media type and size.
    pub fn base64(media_type: impl Into<String>, data: impl Into<String>, size: Size) -> PackImage {
        PackImage {
            source: ImageSource::Base64 {
                media_type: media_type.into(),
                data: data.into(),
            },
            size: Some(size),
        }
    }

    /// An image the API fetches from `url`.
    pub fn url(url: impl Into<String>) -> PackImage {
        PackImage {
            source: ImageSource::Url { url: url.into() },
            size: None,
        }
    }

    /// An image uploaded with the Files API.
    pub fn file(file_id: impl Into<String>) -> PackImage {
        PackImage {
            source: ImageSource::File {
                file_id: file_id.into(),
            },
            size: None,
        }
    }

    /// The same image with its pixel size known.
    #[must_use]
    pub fn with_size(mut self, size: Size) -> PackImage {
        self.size = Some(size);
        self
    }

    /// Where the image comes from.
    pub fn source(&self) -> &ImageSource {
        &self.source
    }

    /// Its pixel size, when known.
    pub fn size(&self) -> Option<Size> {
        self.size
    }

    /// The image of an existing block: base64 images are measured from their bytes (an
    /// unreadable one has no size), URL and file images have none.
    pub fn from_source(source: &ImageSource) -> PackImage {
        PackImage {
            source: source.clone(),
            size: source_size(source),
        }
    }

    fn base64_len(&self) -> Option<usize> {
        match &self.source {
            ImageSource::Base64 { data, .. } => Some(data.len()),
            _ => None,
        }
    }

    fn block(&self) -> ContentBlock {
        ContentBlock::image(self.source.clone())
    }

    /// The serialised length of [`PackImage::block`], without copying the data:
    /// `{"type":"image","source":` + the source + `}`.
    fn block_len(&self) -> usize {
        const WRAPPER: usize = r#"{"type":"image","source":}"#.len();
        WRAPPER + json_len(&self.source)
    }
}

/// What every body carries besides the new images.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackOptions {
    /// The model id.
    pub model: String,
    /// `max_tokens` of each body.
    pub max_tokens: u32,
    /// The system prompt, if any.
    pub system: Option<String>,
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

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    // Serialising plain data to a Vec cannot fail.
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

fn label(number: usize) -> ContentBlock {
    ContentBlock::text(format!("Image {number}:"))
}

/// The content of a user turn: `images` (labelled `Image {first}:` on, when `labelled`), then
/// the prompt.
fn user_turn(images: &[PackImage], first: usize, labelled: bool, prompt: &str) -> Message {
    let mut content = Vec::new();
    for (i, image) in images.iter().enumerate() {
        if labelled {
            content.push(label(first + i));
        }
        content.push(image.block());
    }
    content.push(ContentBlock::text(prompt));
    Message::user(content)
}

/// What the images of earlier turns impose on a body.
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    count: usize,
    longest: u32,
    unknown: bool,
}

/// The displayed size of a base64 image, read from its header; `None` for URL and file images
/// and for data that is no readable image.
fn source_size(source: &ImageSource) -> Option<Size> {
    let ImageSource::Base64 { data, .. } = source else {
        return None;
    };
    let bytes = base64_decode(data).ok()?;
    crate::probe::probe_bytes(&bytes, &crate::Limits::default())
        .ok()
        .map(|p| p.displayed())
}

impl Held {
    fn of(messages: &[Message]) -> Held {
        messages
            .iter()
            .flat_map(|m| &m.content)
            .filter_map(|block| match block {
                ContentBlock::Image { source, .. } => Some(source_size(source)),
                ContentBlock::Text { .. } => None,
            })
            .fold(Held::default(), Held::with_size)
    }

    fn with(self, image: &PackImage) -> Held {
        self.with_size(image.size)
    }

    fn with_size(self, size: Option<Size>) -> Held {
        Held {
            count: self.count + 1,
            longest: self.longest.max(size.map_or(0, |s| s.long_edge())),
            unknown: self.unknown || size.is_none(),
        }
    }

    /// The image-count and pixel-size limits, for a body holding exactly these images.
    fn breaks(&self, limits: &RequestLimits) -> Option<String> {
        let count = u32::try_from(self.count).unwrap_or(u32::MAX);
        let max_side = limits.max_side_for(count);
        if count > limits.max_images {
            Some(format!(
                "{count} images, over the limit of {}",
                limits.max_images
            ))
        } else if self.longest > max_side {
            Some(format!(
                "an image of {} px is over the {max_side} px limit for a body of {count} images",
                self.longest
            ))
        } else if self.unknown && count > limits.many_images_threshold {
            Some(format!(
                "an image of unknown size cannot be checked against the {max_side} px limit \
                 for a body of {count} images"
            ))
        } else {
            None
        }
    }
}

/// The exact serialised length of a body: history, then a user turn of `n` new images.
#[derive(Debug)]
struct Sizer {
    skeleton: usize,
    held: usize,
    /// `labels[n]`: the serialised length of the labels of the first `n` new images.
    labels: Vec<usize>,
}

impl Sizer {
    fn new(options: &PackOptions, held: usize) -> Sizer {
        Sizer {
            skeleton: json_len(&body(options, &[], held)),
            held,
            labels: vec![0],
        }
    }

    /// Length with `n` new images whose blocks total `image_bytes`; labels when the body holds
    /// several images, a comma before each new block (the prompt block is in the skeleton).
    fn len(&mut self, n: usize, image_bytes: usize) -> usize {
        while self.labels.len() <= n {
            let i = self.labels.len();
            let total = self.labels[i - 1] + json_len(&label(self.held + i));
            self.labels.push(total);
        }
        let labelled = self.held + n >= 2;
        let labels = if labelled { self.labels[n] } else { 0 };
        let blocks = if labelled { 2 * n } else { n };
        self.skeleton + image_bytes + labels + blocks
    }
}

fn body(options: &PackOptions, images: &[PackImage], held: usize) -> MessagesRequest {
    let mut messages = options.history.clone();
    messages.push(user_turn(
        images,
        held + 1,
        held + images.len() >= 2,
        &options.prompt,
    ));
    MessagesRequest {
        model: options.model.clone(),
        max_tokens: options.max_tokens,
        system: options.system.clone(),
        messages,
    }
}

/// Packs `images` in order into the fewest bodies within `options.limits`, each body the
/// history followed by a user turn with its share of the images and the prompt.
///
/// Greedy filling is optimal here: every limit only gets easier as a body loses images, so
/// extending each body as far as it goes never forces an extra one later. [`Packer`] does the
/// same one image at a time, for runs too large to hold every image at once.
///
/// # Errors
///
/// [`PackError::ImageTooLarge`] names the first image that cannot go in a body even alone (after
/// the history), [`PackError::HistoryTooLarge`] a history that breaks a limit by itself.
pub fn pack(
    images: &[PackImage],
    options: &PackOptions,
) -> Result<Vec<MessagesRequest>, PackError> {
    let mut packer = Packer::new(options)?;
    let mut bodies = Vec::new();
    let mut start = 0;
    for (end, image) in images.iter().enumerate() {
        if packer.place(image)? {
            bodies.push(body(options, &images[start..end], packer.held.count));
            start = end;
        }
    }
    if start < images.len() {
        bodies.push(body(options, &images[start..], packer.held.count));
    }
    Ok(bodies)
}

/// Packs images as they come, handing out each body as soon as the next image does not fit
/// in it: memory holds one body's images, however many there are. The bodies are the ones
/// [`pack`] makes from the same images.
///
/// ```
/// use visionprep::core::{Profile, Size};
/// use visionprep::request::{PackImage, PackOptions, Packer};
/// // claude.ai takes 20 images a message.
/// let options = PackOptions::new("claude-sonnet-4-6", "Describe it.", Profile::ClaudeAi.limits());
/// let mut packer = Packer::new(&options)?;
/// let mut bodies = Vec::new();
/// for i in 0..45 {
///     let image = PackImage::base64("image/png", "iVBORw0KGgo=", Size::new(800, 600));
///     bodies.extend(packer.push(image)?); // a full body comes out every 20 images
/// }
/// bodies.extend(packer.finish());
/// let counts: Vec<usize> = bodies.iter().map(|b| b.images().count()).collect();
/// assert_eq!(counts, [20, 20, 5]);
/// # Ok::<(), visionprep::request::PackError>(())
/// ```
#[derive(Debug)]
pub struct Packer<'o> {
    options: &'o PackOptions,
    held: Held,
    sizer: Sizer,
    /// The open body's images, their state and block bytes.
    images: Vec<PackImage>,
    /// How many images the open body holds (`images` is not filled by [`pack`]).
    open: usize,
    state: Held,
    bytes: usize,
    pushed: usize,
}

impl<'o> Packer<'o> {
    /// A packer for bodies with `options`.
    ///
    /// # Errors
    ///
    /// [`PackError::HistoryTooLarge`] when the history alone breaks a limit.
    pub fn new(options: &'o PackOptions) -> Result<Packer<'o>, PackError> {
        let limits = options.limits;
        let held = Held::of(&options.history);
        let sizer = Sizer::new(options, held.count);
        // The body with the history and the prompt alone.
        let history_only = sizer.skeleton as u64;
        if let Some(reason) = held.breaks(&limits).or_else(|| {
            (history_only > limits.max_request_bytes).then(|| {
                format!(
                    "it makes a body of {history_only} bytes, over {}",
                    limits.max_request_bytes
                )
            })
        }) {
            return Err(PackError::HistoryTooLarge { reason });
        }
        Ok(Packer {
            options,
            held,
            sizer,
            images: Vec::new(),
            open: 0,
            state: held,
            bytes: 0,
            pushed: 0,
        })
    }

    /// Adds the next image; returns the body it closed when it did not fit in the open one.
    ///
    /// # Errors
    ///
    /// [`PackError::ImageTooLarge`] (with the image's position among those pushed) when the
    /// image can go in no body even alone: it is not kept, and the packer goes on.
    pub fn push(&mut self, image: PackImage) -> Result<Option<MessagesRequest>, PackError> {
        let closes = self.place(&image)?;
        let closed = closes.then(|| body(self.options, &self.images, self.held.count));
        if closes {
            self.images.clear();
        }
        self.images.push(image);
        Ok(closed)
    }

    /// Checks `image` and counts it in: `true` when it opens a new body (the open one is full).
    fn place(&mut self, image: &PackImage) -> Result<bool, PackError> {
        let limits = self.options.limits;
        let index = self.pushed;
        self.pushed += 1;
        let len = image.block_len();
        let reason = match image.base64_len() {
            Some(b64) if b64 as u64 > limits.max_image_base64_bytes => Some(format!(
                "its base64 text is {b64} bytes, over the {}-byte limit",
                limits.max_image_base64_bytes
            )),
            _ => self.held.with(image).breaks(&limits).or_else(|| {
                (self.sizer.len(1, len) as u64 > limits.max_request_bytes).then(|| {
                    format!(
                        "with it a body is over {} bytes, even alone",
                        limits.max_request_bytes
                    )
                })
            }),
        };
        if let Some(reason) = reason {
            return Err(PackError::ImageTooLarge { index, reason });
        }
        let next = self.state.with(image);
        let fits = self.open == 0
            || (next.breaks(&limits).is_none()
                && self.sizer.len(self.open + 1, self.bytes + len) as u64
                    <= limits.max_request_bytes);
        if fits {
            self.state = next;
            self.bytes += len;
            self.open += 1;
            return Ok(false);
        }
        self.state = self.held.with(image);
        self.bytes = len;
        self.open = 1;
        Ok(true)
    }

    /// Images waiting in the open body.
    pub fn pending(&self) -> usize {
        self.images.len()
    }

    /// The open body, if it holds any image.
    pub fn finish(self) -> Option<MessagesRequest> {
        (!self.images.is_empty()).then(|| body(self.options, &self.images, self.held.count))
    }
}

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
/// assert!(chat.check(&RequestLimits::PORTABLE).is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    request: MessagesRequest,
}

impl Conversation {
    /// An empty conversation with `model`.
    pub fn new(model: impl Into<String>, max_tokens: u32) -> Conversation {
        Conversation {
            request: MessagesRequest {
                model: model.into(),
                max_tokens,
                system: None,
                messages: Vec::new(),
            },
        }
    }

    /// Continues a conversation read from a body (its model, system prompt and turns).
    pub fn from_request(request: MessagesRequest) -> Conversation {
        Conversation { request }
    }

    /// Sets the system prompt.
    pub fn system(&mut self, text: impl Into<String>) -> &mut Conversation {
        self.request.system = Some(text.into());
        self
    }

    /// Adds a user turn: `images` first, then `text`.
    pub fn user(&mut self, images: &[PackImage], text: &str) -> &mut Conversation {
        let before = self.request.images().count();
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

/// Something wrong with a request body, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Where: `messages[0].content[2]`, or `body`.
    pub path: String,
    /// A stable code: `invalid-base64`, `data-url-prefix`, `empty-image`, `not-an-image`,
    /// `unsupported-format`, `media-type-mismatch`, `over-byte-limit`, `over-max-side`,
    /// `unreadable-image`, `too-many-images`, `request-too-large`.
    pub code: &'static str,
    /// What the API would say or do, for people.
    pub message: String,
}

/// Checks a body against `limits` the way the API would, without sending it: every base64
/// image decodes, is an API format, matches its declared media type, is within the per-image
/// cap and the pixel limit (2000 px when the body has more than 20 images, all turns counted);
/// the image count and the serialised size are within the request limits. Images given by URL
/// or file id are counted but cannot be inspected.
pub fn check(body: &MessagesRequest, limits: &RequestLimits) -> Vec<Finding> {
    use visionprep_core::request::{Base64Error, base64_decode};
    let mut findings = Vec::new();
    let mut add = |path: &str, code: &'static str, message: String| {
        findings.push(Finding {
            path: path.to_owned(),
            code,
            message,
        });
    };
    let count = body.images().count();
    if count as u64 > u64::from(limits.max_images) {
        add(
            "messages",
            "too-many-images",
            format!("{count} images, over the limit of {}", limits.max_images),
        );
    }
    let max_side = limits.max_side_for(u32::try_from(count).unwrap_or(u32::MAX));
    for (path, source) in body.images() {
        let ImageSource::Base64 { media_type, data } = source else {
            continue;
        };
        let bytes = match base64_decode(data) {
            Ok(b) => b,
            Err(e) => {
                let code = match e {
                    Base64Error::DataUrlPrefix => "data-url-prefix",
                    Base64Error::Empty => "empty-image",
                    _ => "invalid-base64",
                };
                add(&path, code, e.to_string());
                continue;
            }
        };
        if data.len() as u64 > limits.max_image_base64_bytes {
            add(
                &path,
                "over-byte-limit",
                format!(
                    "image exceeds the limit: {} bytes > {} bytes",
                    data.len(),
                    limits.max_image_base64_bytes
                ),
            );
        }
        let Some(format) = visionprep_core::sniff(&bytes) else {
            add(&path, "not-an-image", "the data is not an image".into());
            continue;
        };
        match format.media_type() {
            None => add(
                &path,
                "unsupported-format",
                format!("{format} is not a format the API accepts"),
            ),
            Some(actual) if actual.as_str() != media_type => add(
                &path,
                "media-type-mismatch",
                format!("the data is {actual} but media_type says {media_type}"),
            ),
            Some(_) => {}
        }
        match crate::probe::probe_bytes(&bytes, &crate::Limits::default()) {
            Ok(p) if p.displayed().long_edge() > max_side => add(
                &path,
                "over-max-side",
                format!(
                    "{} is over the {max_side} px limit for a body of {count} images",
                    p.displayed()
                ),
            ),
            Ok(_) => {}
            Err(e) => add(&path, "unreadable-image", e.to_string()),
        }
    }
    let size = json_len(body) as u64;
    if size > limits.max_request_bytes {
        add(
            "body",
            "request-too-large",
            format!(
                "the body is {size} bytes, over the {}-byte request limit",
                limits.max_request_bytes
            ),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(side: u32, data_len: usize) -> PackImage {
        PackImage::base64("image/png", "A".repeat(data_len), Size::new(side, side))
    }

    fn options() -> PackOptions {
        let mut o = PackOptions::new(
            "claude-sonnet-4-5",
            "Compare these images.",
            RequestLimits::PORTABLE,
        );
        o.system = Some("Answer \"briefly\".".into());
        o
    }

    #[test]
    fn one_image_has_no_label_several_do() {
        let one = pack(&[image(100, 8)], &options()).unwrap();
        assert_eq!(one.len(), 1);
        let json = serde_json::to_string(&one[0]).unwrap();
        assert_eq!(
            json,
            r#"{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"Answer \"briefly\".","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAAAAAA"}},{"type":"text","text":"Compare these images."}]}]}"#
        );
        let two = pack(&[image(100, 4), image(100, 4)], &options()).unwrap();
        let texts: Vec<String> = two[0].messages[0]
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.clone()),
                ContentBlock::Image { .. } => None,
            })
            .collect();
        assert_eq!(texts, ["Image 1:", "Image 2:", "Compare these images."]);
    }

    #[test]
    fn the_2000px_rule_splits_21_images() {
        // 21 images, one of them 2400 px: a body of 21 would break the many-image rule.
        let mut images: Vec<PackImage> = (0..21).map(|_| image(1000, 4)).collect();
        images[20] = image(2400, 4);
        let bodies = pack(&images, &options()).unwrap();
        let counts: Vec<usize> = bodies.iter().map(|b| b.images().count()).collect();
        assert_eq!(counts, [20, 1]);
        // All 21 small: one body.
        let small: Vec<PackImage> = (0..21).map(|_| image(2000, 4)).collect();
        assert_eq!(pack(&small, &options()).unwrap().len(), 1);
        // 101 images: two bodies of at most 100.
        let many: Vec<PackImage> = (0..101).map(|_| image(500, 4)).collect();
        let counts: Vec<usize> = pack(&many, &options())
            .unwrap()
            .iter()
            .map(|b| b.images().count())
            .collect();
        assert_eq!(counts, [100, 1]);
    }

    #[test]
    fn check_names_each_offending_block() {
        use visionprep_core::request::base64_encode;
        let png = {
            let mut v =
                b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x23\x28\0\0\x00\x10\x08\x02\0\0\0\0\0\0\0"
                    .to_vec();
            v.extend_from_slice(b"\0\0\0\0IDAT\0\0\0\0\0\0\0\0IEND\xaeB`\x82");
            v
        };
        let block = |media: &str, data: String| {
            ContentBlock::image(ImageSource::Base64 {
                media_type: media.into(),
                data,
            })
        };
        let body = MessagesRequest {
            model: "m".into(),
            max_tokens: 10,
            system: None,
            messages: vec![Message::user(vec![
                block("image/jpeg", base64_encode(&png)),
                block(
                    "image/png",
                    format!("data:image/png;base64,{}", base64_encode(&png)),
                ),
                block("image/png", "@@@@".into()),
                block("image/png", base64_encode(b"hello there")),
                ContentBlock::image(ImageSource::Url {
                    url: "https://x".into(),
                }),
                ContentBlock::text("?"),
            ])],
        };
        let found: Vec<(String, &str)> = check(&body, &RequestLimits::PORTABLE)
            .into_iter()
            .map(|f| (f.path, f.code))
            .collect();
        assert_eq!(
            found,
            [
                ("messages[0].content[0]".to_owned(), "media-type-mismatch"),
                ("messages[0].content[0]".to_owned(), "over-max-side"),
                ("messages[0].content[1]".to_owned(), "data-url-prefix"),
                ("messages[0].content[2]".to_owned(), "invalid-base64"),
                ("messages[0].content[3]".to_owned(), "not-an-image"),
            ]
        );
        // Packed bodies pass.
        let packed = pack(&[image(100, 8)], &options()).unwrap();
        assert!(
            check(&packed[0], &RequestLimits::PORTABLE)
                .iter()
                .all(|f| f.code == "not-an-image")
        );
    }

    #[test]
    fn history_counts_toward_every_limit() {
        // 15 images of unknown size earlier in the conversation: a body may then hold only 5
        // new images, since past 20 the 2000 px rule could not be checked.
        let mut opts = options();
        let earlier: Vec<PackImage> = (0..15)
            .map(|i| PackImage::url(format!("https://example.com/{i}.png")))
            .collect();
        let mut chat = Conversation::new("claude-sonnet-4-5", 1024);
        chat.user(&earlier, "What changed?").assistant("Nothing.");
        opts.history = chat.request().messages.clone();
        let bodies = pack(&vec![image(1000, 4); 10], &opts).unwrap();
        assert_eq!(bodies.len(), 2);
        for b in &bodies {
            assert_eq!(b.images().count(), 20);
            assert_eq!(b.messages.len(), 3);
            assert_eq!(b.messages[..2], opts.history[..]);
            assert!(
                check(b, &opts.limits)
                    .iter()
                    .all(|f| f.code == "not-an-image")
            );
        }
        // Labels go on numbering after the history's images.
        let ContentBlock::Text { text } = &bodies[1].messages[2].content[0] else {
            panic!("no label");
        };
        assert_eq!(text, "Image 16:");
        // Known sizes under 2000 px: 15 + 10 fit one body.
        let sized: Vec<PackImage> = earlier
            .iter()
            .map(|i| i.clone().with_size(Size::new(1500, 1000)))
            .collect();
        let mut chat = Conversation::new("claude-sonnet-4-5", 1024);
        chat.user(&sized, "What changed?").assistant("Nothing.");
        // Sizes of URL images are not in the JSON: the history only knows it has 15 images.
        opts.history = chat.request().messages.clone();
        assert_eq!(pack(&vec![image(1000, 4); 10], &opts).unwrap().len(), 2);
        // A history over 100 images cannot be continued.
        let mut chat = Conversation::new("claude-sonnet-4-5", 1024);
        chat.user(&vec![PackImage::url("https://example.com/x.png"); 101], "?");
        opts.history = chat.request().messages.clone();
        let err = pack(&[image(100, 4)], &opts).unwrap_err();
        assert!(matches!(err, PackError::HistoryTooLarge { .. }), "{err}");
    }

    #[test]
    fn conversation_labels_and_round_trips() {
        let mut chat = Conversation::new("claude-sonnet-4-5", 512);
        chat.system("Be brief.")
            .user(&[image(10, 4), PackImage::file("file_1")], "Compare.")
            .assistant("Same.")
            .user(&[], "Sure?");
        let json = serde_json::to_string(chat.request()).unwrap();
        assert_eq!(
            json,
            r#"{"model":"claude-sonnet-4-5","max_tokens":512,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Image 1:"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},{"type":"text","text":"Image 2:"},{"type":"image","source":{"type":"file","file_id":"file_1"}},{"type":"text","text":"Compare."}]},{"role":"assistant","content":[{"type":"text","text":"Same."}]},{"role":"user","content":[{"type":"text","text":"Sure?"}]}]}"#
        );
        let back: MessagesRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(Conversation::from_request(back), chat);
    }

    #[test]
    fn packer_reports_an_image_that_cannot_fit_and_goes_on() {
        let cap = RequestLimits::PORTABLE.max_image_base64_bytes as usize;
        let opts = options();
        let mut packer = Packer::new(&opts).unwrap();
        assert_eq!(packer.push(image(100, 4)).unwrap(), None);
        let err = packer.push(image(100, cap + 4)).unwrap_err();
        assert!(
            matches!(err, PackError::ImageTooLarge { index: 1, .. }),
            "{err}"
        );
        assert_eq!(packer.push(image(100, 4)).unwrap(), None);
        assert_eq!(packer.pending(), 2);
        let last = packer.finish().unwrap();
        assert_eq!(last.images().count(), 2);
    }

    #[test]
    fn block_length_is_the_serialised_length() {
        for image in [
            image(100, 7),
            PackImage::url("https://example.com/a \"quoted\" \\ path.png"),
            PackImage::file("file_\u{e9}\n"),
        ] {
            assert_eq!(image.block_len(), json_len(&image.block()), "{image:?}");
        }
    }

    #[test]
    fn images_that_can_never_fit_are_errors() {
        let cap = RequestLimits::PORTABLE.max_image_base64_bytes as usize;
        let err = pack(&[image(100, 4), image(100, cap + 4)], &options()).unwrap_err();
        assert!(
            matches!(err, PackError::ImageTooLarge { index: 1, .. }),
            "{err}"
        );
        let err = pack(&[image(9000, 4)], &options()).unwrap_err();
        assert!(err.to_string().contains("8000"), "{err}");
    }
}
