//! Packing images, in order, into the fewest bodies that respect every limit.

mod image;
mod turn;

pub use image::{PackImage, Part};
pub(crate) use turn::json_len;
pub(crate) use turn::user_turn;
pub use turn::{PackError, PackOptions};
use turn::{label, starts_image};

use visionprep_core::request::{
    ContentBlock, ImageSource, Message, MessagesRequest, base64_decode,
};
use visionprep_core::{RequestLimits, Size};

/// What the images of earlier turns impose on a body.
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    count: usize,
    longest: u32,
    unknown: bool,
}

/// The displayed size of a base64 image, read from its header; `None` for URL and file images
/// and for data that is no readable image.
pub(super) fn source_size(source: &ImageSource) -> Option<Size> {
    let ImageSource::Base64 { data, .. } = source else {
        return None;
    };
    base64_size(data)
}

/// The displayed size of base64 image data, read from its header.
fn base64_size(data: &str) -> Option<Size> {
    let bytes = base64_decode(data).ok()?;
    crate::probe::probe_bytes(&bytes, &crate::Limits::default())
        .ok()
        .map(|p| p.displayed())
}

/// The images and documents inside a block kept as written (a `tool_result`'s screenshots):
/// the displayed size of each base64 image, `None` for other images; documents have no pixel
/// size to check and count as empty.
fn raw_media_sizes(raw: &visionprep_core::request::RawBlock) -> Vec<Option<Size>> {
    use visionprep_core::body::{MediaKind, Scan};
    let text = raw.json();
    let Ok(root) = visionprep_core::json::parse(text) else {
        return Vec::new();
    };
    let mut scan = Scan::default();
    scan.add_blocks(text, &root);
    scan.media
        .iter()
        .map(|m| match m.kind {
            MediaKind::Document => Some(Size::new(0, 0)),
            MediaKind::Image => {
                if m.source_type(text).as_deref() != Some("base64") {
                    return None;
                }
                base64_size(&m.source?.get(text, "data")?.str(text)?)
            }
        })
        .collect()
}

impl Held {
    fn of(messages: &[Message]) -> Held {
        messages
            .iter()
            .flat_map(|m| &m.content)
            .flat_map(|block| match block {
                ContentBlock::Image { source, .. } => vec![source_size(source)],
                ContentBlock::Text { .. } => Vec::new(),
                ContentBlock::Raw(raw) => raw_media_sizes(raw),
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

/// The exact serialised length of a body: history, then a user turn of new images.
#[derive(Debug)]
struct Sizer {
    skeleton: usize,
    held: usize,
}

impl Sizer {
    fn new(options: &PackOptions, held: usize) -> Sizer {
        Sizer {
            skeleton: json_len(&body(options, &[], held)),
            held,
        }
    }

    /// Length of a body whose new images are `open`: labels when it holds several images or a
    /// tile, a comma before each new block (the prompt block is in the skeleton).
    fn len(&self, open: &Open) -> usize {
        let labelled = self.held + open.count >= 2 || open.tiles;
        let labels = if labelled { open.label_bytes } else { 0 };
        let blocks = if labelled { 2 * open.count } else { open.count };
        self.skeleton + open.bytes + labels + blocks
    }
}

/// The state of the open body: its new images' count, limits, block and label bytes.
#[derive(Debug, Clone, Copy)]
struct Open {
    count: usize,
    state: Held,
    bytes: usize,
    label_bytes: usize,
    /// The number of the last image label.
    number: usize,
    tiles: bool,
}

impl Open {
    fn empty(held: Held) -> Open {
        Open {
            count: 0,
            state: held,
            bytes: 0,
            label_bytes: 0,
            number: held.count,
            tiles: false,
        }
    }

    /// The state with `image` added (not yet checked against the limits).
    fn with(&self, image: &PackImage) -> Open {
        let number = if self.count == 0 || starts_image(image) {
            self.number + 1
        } else {
            self.number
        };
        Open {
            count: self.count + 1,
            state: self.state.with(image),
            bytes: self.bytes + image.block_len(),
            label_bytes: self.label_bytes + json_len(&label(number, image.part.as_ref())),
            number,
            tiles: self.tiles || image.part.is_some(),
        }
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
        extra: options.extra.clone(),
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
    /// The open body's images (`pack` does not fill it).
    images: Vec<PackImage>,
    open: Open,
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
            open: Open::empty(held),
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

    /// Adds the tiles of one image, kept in one body where the limits allow: when they do not
    /// all fit in the open body but do in a new one, the open body is closed first. Returns
    /// the bodies closed.
    ///
    /// # Errors
    ///
    /// [`PackError::ImageTooLarge`] for a tile that can go in no body even alone: then no
    /// tile is kept and the packer is as it was.
    pub fn push_group(
        &mut self,
        images: Vec<PackImage>,
    ) -> Result<Vec<MessagesRequest>, PackError> {
        for (i, image) in images.iter().enumerate() {
            if let Some(reason) = self.refusal(image) {
                return Err(PackError::ImageTooLarge {
                    index: self.pushed + i,
                    reason,
                });
            }
        }
        let mut closed = Vec::new();
        if self.open.count > 0
            && !self.all_fit(self.open, &images)
            && self.all_fit(Open::empty(self.held), &images)
        {
            closed.push(body(self.options, &self.images, self.held.count));
            self.images.clear();
            self.open = Open::empty(self.held);
        }
        for image in images {
            closed.extend(self.push(image)?);
        }
        Ok(closed)
    }

    /// Whether `images` all fit, in order, in a body in state `open`.
    fn all_fit(&self, mut open: Open, images: &[PackImage]) -> bool {
        for image in images {
            match self.add(open, image) {
                Some(next) => open = next,
                None => return false,
            }
        }
        true
    }

    /// The state with `image` added, if the body stays within every limit.
    fn add(&self, open: Open, image: &PackImage) -> Option<Open> {
        let limits = self.options.limits;
        let next = open.with(image);
        (next.state.breaks(&limits).is_none()
            && self.sizer.len(&next) as u64 <= limits.max_request_bytes)
            .then_some(next)
    }

    /// Why `image` can go in no body even alone, if it cannot.
    fn refusal(&self, image: &PackImage) -> Option<String> {
        let limits = self.options.limits;
        let alone = Open::empty(self.held).with(image);
        match image.base64_len() {
            Some(b64) if b64 as u64 > limits.max_image_base64_bytes => Some(format!(
                "its base64 text is {b64} bytes, over the {}-byte limit",
                limits.max_image_base64_bytes
            )),
            _ => alone.state.breaks(&limits).or_else(|| {
                (self.sizer.len(&alone) as u64 > limits.max_request_bytes).then(|| {
                    format!(
                        "with it a body is over {} bytes, even alone",
                        limits.max_request_bytes
                    )
                })
            }),
        }
    }

    /// Checks `image` and counts it in: `true` when it opens a new body (the open one is full).
    fn place(&mut self, image: &PackImage) -> Result<bool, PackError> {
        let index = self.pushed;
        self.pushed += 1;
        if let Some(reason) = self.refusal(image) {
            return Err(PackError::ImageTooLarge { index, reason });
        }
        let alone = Open::empty(self.held).with(image);
        if self.open.count > 0
            && let Some(next) = self.add(self.open, image)
        {
            self.open = next;
            return Ok(false);
        }
        let opens = self.open.count > 0;
        self.open = alone;
        Ok(opens)
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
