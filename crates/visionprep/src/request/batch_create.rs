//! Message Batches create bodies (`{"requests": [{"custom_id", "params"}, ...]}`), checked and
//! repaired request by request: each `params` is a Messages API body of its own, and
//! everything outside the images that change is kept byte for byte.

use super::read::{Document, ReadError};
use super::repair::repair_document;
use super::rewrite::{RepairOptions, RepairReport};
use visionprep_core::json::{Edits, Value, parse};

/// One request of a batch create body, repaired.
#[derive(Debug, Clone)]
pub struct BatchRequestRepair {
    /// Its `custom_id` (empty when it has none: the API will refuse it for that).
    pub custom_id: String,
    /// Its position in `requests`, from 0.
    pub index: usize,
    /// Its `params` repaired (paths are those inside `params`).
    pub report: RepairReport,
}

/// A batch create body with every request's `params` repaired.
#[derive(Debug, Clone)]
pub struct BatchCreateRepair {
    /// The body with each changed `params` replaced, the rest as it was.
    pub text: String,
    /// Every request, in order.
    pub requests: Vec<BatchRequestRepair>,
}

impl BatchCreateRepair {
    /// Whether any request changed.
    pub fn changed(&self) -> bool {
        self.requests.iter().any(|r| r.report.changed())
    }
}

/// The `requests` array of a batch create body, or `None` for any other JSON.
fn requests<'v>(text: &str, root: &'v Value) -> Option<&'v [Value]> {
    let requests = root.get(text, "requests")?;
    let list = requests.elements();
    let all = requests.is_array() && list.iter().all(|r| r.get(text, "params").is_some());
    (all && !list.is_empty()).then_some(list)
}

/// Whether `text` is a Message Batches create body: an object whose `requests` is a
/// non-empty array of objects with `params`.
pub fn is_batch_create(text: &str) -> bool {
    parse(text).is_ok_and(|root| requests(text, &root).is_some())
}

/// Repairs each request's `params` of a Message Batches create body as
/// [`repair_document`] repairs a body: images the API would refuse (or, with
/// [`RepairOptions::shrink`], shrink) are prepared again; nothing else changes.
///
/// ```
/// use visionprep::request::{RepairOptions, repair_batch_create};
/// let body = r#"{"requests": [{"custom_id": "a", "params": {"model": "claude-sonnet-4-6",
///     "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}}]}"#;
/// let repaired = repair_batch_create(body, &RepairOptions::default())?;
/// assert!(!repaired.changed());
/// assert_eq!(repaired.text, body);
/// # Ok::<(), visionprep::request::ReadError>(())
/// ```
pub fn repair_batch_create(
    text: &str,
    options: &RepairOptions,
) -> Result<BatchCreateRepair, ReadError> {
    let root = parse(text).map_err(ReadError::NotJson)?;
    let list = requests(text, &root).ok_or_else(|| {
        ReadError::NotARequest("not a Message Batches create body (no requests with params)".into())
    })?;
    let mut edits = Edits::default();
    let mut out = Vec::new();
    for (index, request) in list.iter().enumerate() {
        let Some(params) = request.get(text, "params") else {
            continue;
        };
        let custom_id = request
            .get(text, "custom_id")
            .and_then(|v| v.str(text))
            .map(|s| s.into_owned())
            .unwrap_or_default();
        let doc = Document::from_text(params.raw(text).to_owned())?;
        let report = repair_document(&doc, options);
        if report.changed() {
            edits.replace(params.span(), report.text.clone());
        }
        out.push(BatchRequestRepair {
            custom_id,
            index,
            report,
        });
    }
    let text = edits
        .apply(text)
        .map_err(|e| ReadError::NotARequest(format!("overlapping params at {:?}", e.0)))?;
    Ok(BatchCreateRepair {
        text,
        requests: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionprep_core::request::base64_encode;

    fn png(w: u32, h: u32) -> String {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 9]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        base64_encode(&out.into_inner())
    }

    fn request(id: &str, media_type: &str, data: &str) -> String {
        format!(
            r#"{{"custom_id": "{id}", "params": {{"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{{"role": "user", "content": [{{"type": "image", "source": {{"type": "base64", "media_type": "{media_type}", "data": "{data}"}}}}, {{"type": "text", "text": "What?"}}]}}]}}}}"#
        )
    }

    #[test]
    fn only_the_params_that_break_a_rule_change() {
        let good = request("good", "image/png", &png(40, 30));
        // Declared as JPEG, but PNG bytes: the API refuses the mismatch.
        let bad = request("bad", "image/jpeg", &png(40, 30));
        let body = format!("{{\n  \"requests\": [{good}, {bad}]\n}}\n");
        assert!(is_batch_create(&body));
        let r =
            repair_batch_create(&body, &RepairOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.changed());
        assert_eq!(r.requests.len(), 2);
        assert!(!r.requests[0].report.changed());
        assert_eq!(r.requests[1].custom_id, "bad");
        assert!(r.requests[1].report.changed());
        // The first request and the framing are kept byte for byte.
        assert!(
            r.text
                .starts_with(&format!("{{\n  \"requests\": [{good}, "))
        );
        assert!(r.text.ends_with("]\n}\n"));
        let again = repair_batch_create(&r.text, &RepairOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!again.changed());
        assert!(again.requests.iter().all(|q| q.report.after.passes()));
    }

    #[test]
    fn other_json_is_not_a_batch_body() {
        for text in [
            r#"{"model": "x", "messages": []}"#,
            r#"{"requests": []}"#,
            r#"{"requests": [{"custom_id": "a"}]}"#,
            "[1, 2]",
            "not json",
        ] {
            assert!(!is_batch_create(text), "{text}");
            assert!(repair_batch_create(text, &RepairOptions::default()).is_err());
        }
    }
}
