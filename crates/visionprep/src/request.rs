//! Putting prepared images into request bodies the API accepts the first time.
//!
//! [`pack`] splits images, in order, into the fewest bodies that each respect every limit of
//! a profile: the image count, the 2000 px rule past 20 images, the per-image base64 cap and
//! the whole body's size, computed exactly (the length of the bytes `serde_json` writes).
//! Images come first, each introduced by `Image 1:`, `Image 2:`, ... when a body has several,
//! then the prompt (SPEC section 5).

use crate::prepare::Prepared;
use visionprep_core::request::{
    ContentBlock, ImageSource, Message, MessagesRequest, base64_encode,
};
use visionprep_core::{MediaType, RequestLimits, Size};

/// An image ready to be placed in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackImage {
    /// Its media type.
    pub media_type: MediaType,
    /// Its bytes, base64-encoded.
    pub data: String,
    /// Its size in pixels.
    pub size: Size,
}

impl PackImage {
    /// A prepared image, encoded.
    pub fn from_prepared(p: &Prepared) -> PackImage {
        PackImage {
            media_type: p.media_type,
            data: base64_encode(&p.bytes),
            size: p.output_size,
        }
    }

    fn block(&self) -> ContentBlock {
        ContentBlock::image(ImageSource::Base64 {
            media_type: self.media_type.as_str().to_owned(),
            data: self.data.clone(),
        })
    }
}

/// What every body carries besides the images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackOptions {
    /// The model id.
    pub model: String,
    /// `max_tokens` of each body.
    pub max_tokens: u32,
    /// The system prompt, if any.
    pub system: Option<String>,
    /// The question asked about the images (the last block).
    pub prompt: String,
    /// The limits each body must respect.
    pub limits: RequestLimits,
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
}

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    // Serialising plain data to a Vec cannot fail.
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

fn label(i: usize) -> ContentBlock {
    ContentBlock::text(format!("Image {i}:"))
}

/// The exact serialised length of a body holding images whose block lengths are `lens`.
struct Sizer {
    skeleton: usize,
    prompt: usize,
    /// `labels[n]`: the serialised length of the labels `Image 1:` .. `Image n:`.
    labels: Vec<usize>,
}

impl Sizer {
    fn new(options: &PackOptions) -> Sizer {
        let empty = body(options, Vec::new());
        Sizer {
            skeleton: json_len(&empty),
            prompt: json_len(&ContentBlock::text(&options.prompt)),
            labels: vec![0],
        }
    }

    /// Length with `n` images whose blocks total `image_bytes`: labels when n >= 2, commas
    /// between the blocks.
    fn len(&mut self, n: usize, image_bytes: usize) -> usize {
        while self.labels.len() <= n {
            let i = self.labels.len();
            let total = self.labels[i - 1] + json_len(&label(i));
            self.labels.push(total);
        }
        let labels = if n >= 2 { self.labels[n] } else { 0 };
        let blocks = n + if n >= 2 { n } else { 0 } + 1;
        self.skeleton + image_bytes + labels + self.prompt + (blocks - 1)
    }
}

fn body(options: &PackOptions, content: Vec<ContentBlock>) -> MessagesRequest {
    MessagesRequest {
        model: options.model.clone(),
        max_tokens: options.max_tokens,
        system: options.system.clone(),
        messages: vec![Message::user(content)],
    }
}

/// Packs `images` in order into the fewest bodies within `options.limits`.
///
/// Greedy filling is optimal here: every limit only gets easier as a body loses images, so
/// extending each body as far as it goes never forces an extra one later.
pub fn pack(
    images: &[PackImage],
    options: &PackOptions,
) -> Result<Vec<MessagesRequest>, PackError> {
    let limits = options.limits;
    let mut sizer = Sizer::new(options);
    let block_lens: Vec<usize> = images.iter().map(|i| json_len(&i.block())).collect();
    for (index, image) in images.iter().enumerate() {
        let reason = if image.data.len() as u64 > limits.max_image_base64_bytes {
            Some(format!(
                "its base64 text is {} bytes, over the {}-byte limit",
                image.data.len(),
                limits.max_image_base64_bytes
            ))
        } else if image.size.long_edge() > limits.max_side {
            Some(format!(
                "{} is over the {} px limit",
                image.size, limits.max_side
            ))
        } else if sizer.len(1, block_lens[index]) as u64 > limits.max_request_bytes {
            Some(format!(
                "alone it makes a body over {} bytes",
                limits.max_request_bytes
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(PackError::ImageTooLarge { index, reason });
        }
    }
    let mut bodies = Vec::new();
    let mut start = 0;
    while start < images.len() {
        let mut end = start;
        let mut bytes = 0usize;
        let mut longest = 0u32;
        while end < images.len() {
            let n = end - start + 1;
            let next_longest = longest.max(images[end].size.long_edge());
            let next_bytes = bytes + block_lens[end];
            let fits = n as u64 <= u64::from(limits.max_images)
                && next_longest <= limits.max_side_for(n as u32)
                && sizer.len(n, next_bytes) as u64 <= limits.max_request_bytes;
            if !fits {
                break;
            }
            bytes = next_bytes;
            longest = next_longest;
            end += 1;
        }
        bodies.push(build(&images[start..end], options));
        start = end;
    }
    Ok(bodies)
}

fn build(images: &[PackImage], options: &PackOptions) -> MessagesRequest {
    let mut content = Vec::new();
    for (i, image) in images.iter().enumerate() {
        if images.len() >= 2 {
            content.push(label(i + 1));
        }
        content.push(image.block());
    }
    content.push(ContentBlock::text(&options.prompt));
    body(options, content)
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
        PackImage {
            media_type: MediaType::Png,
            data: "A".repeat(data_len),
            size: Size::new(side, side),
        }
    }

    fn options() -> PackOptions {
        PackOptions {
            model: "claude-sonnet-4-5".into(),
            max_tokens: 1024,
            system: Some("Answer \"briefly\".".into()),
            prompt: "Compare these images.".into(),
            limits: RequestLimits::PORTABLE,
        }
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
