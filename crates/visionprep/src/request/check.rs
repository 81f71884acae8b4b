//! Checking bodies built elsewhere as the API would, before they are sent.

use super::*;

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
