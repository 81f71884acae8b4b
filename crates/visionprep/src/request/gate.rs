//! The gate a request passes on its way to the API (`visionprep proxy`): a Messages body, a
//! count_tokens body or a Message Batches create body is checked as `check` checks it; one
//! that passes goes on byte for byte, one with images the API would refuse goes on with
//! exactly those images repaired. No HTTP here: the proxy hands bodies in and sends what
//! comes out.

use super::batch_create::{is_batch_create, repair_batch_create};
use super::check::check_document;
use super::finding::{CheckReport, FindingCode};
use super::read::Document;
use super::repair::repair_document;
use super::rewrite::{ChangeKind, RepairOptions, RepairReport};
use serde::Serialize;

/// What a request is, by its method and path: the gate opens only Messages bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/messages`.
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `POST /v1/messages/batches`: a Message Batches create body.
    BatchCreate,
    /// Anything else: passed on untouched.
    Other,
}

impl Endpoint {
    /// The endpoint of `method` and `path` (the query, if any, is ignored; a trailing slash
    /// too).
    ///
    /// ```
    /// use visionprep::request::Endpoint;
    /// assert_eq!(Endpoint::of("POST", "/v1/messages?beta=true"), Endpoint::Messages);
    /// assert_eq!(Endpoint::of("GET", "/v1/messages/batches"), Endpoint::Other);
    /// ```
    pub fn of(method: &str, path: &str) -> Endpoint {
        if !method.eq_ignore_ascii_case("POST") {
            return Endpoint::Other;
        }
        let path = path.split('?').next().unwrap_or_default();
        match path.trim_end_matches('/') {
            "/v1/messages" => Endpoint::Messages,
            "/v1/messages/count_tokens" => Endpoint::CountTokens,
            "/v1/messages/batches" => Endpoint::BatchCreate,
            _ => Endpoint::Other,
        }
    }

    /// Whether the gate reads bodies of this endpoint.
    pub fn is_gated(self) -> bool {
        self != Endpoint::Other
    }
}

/// What the gate saw and did to one body: the figures of a proxy's log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GateStats {
    /// The model the (first) request names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Image blocks in the body.
    pub images: usize,
    /// Images rewritten (prepared again or dropped).
    pub rewritten: usize,
    /// Image tokens before, of the images that could be measured.
    pub image_tokens_before: u64,
    /// Image tokens after.
    pub image_tokens_after: u64,
    /// The body's bytes before.
    pub bytes_before: u64,
    /// The body's bytes after (equal when it went on unchanged).
    pub bytes_after: u64,
    /// Errors the API would still refuse the body for (an image no decoder reads, a rule no
    /// repair fixes): the body goes on anyway and the API answers.
    pub errors_left: usize,
    /// Why the body was not read (not JSON, not a request): it went on unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
}

/// The gate's verdict on one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gated {
    /// Send the body as it came, byte for byte.
    Unchanged(GateStats),
    /// Send this body instead: the same bytes but for the images rewritten.
    Rewritten(String, GateStats),
}

impl Gated {
    /// The figures, either way.
    pub fn stats(&self) -> &GateStats {
        match self {
            Gated::Unchanged(s) | Gated::Rewritten(_, s) => s,
        }
    }
}

fn totals(report: &CheckReport) -> (usize, u64) {
    report
        .requests
        .iter()
        .fold((0, 0), |(i, t), r| (i + r.images, t + r.image_tokens))
}

fn rewritten(report: &RepairReport) -> usize {
    report
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Unrepaired)
        .count()
}

/// Gates one body bound for `endpoint`: checked with `options.check`; repaired (as `repair`
/// repairs, with `options.shrink` and `options.drop_unreadable`) only when the API would
/// refuse it (or, with `shrink`, shrink an image in it). Anything the gate cannot read goes on
/// unchanged: the API gives its own answer, and the gate never makes a request worse.
///
/// ```
/// use visionprep::request::{Endpoint, Gated, RepairOptions, gate};
/// let body = br#"{"model": "claude-sonnet-4-6", "max_tokens": 10,
///     "messages": [{"role": "user", "content": "Hello"}]}"#;
/// let gated = gate(Endpoint::Messages, body, &RepairOptions::default());
/// assert!(matches!(gated, Gated::Unchanged(_)));
/// ```
pub fn gate(endpoint: Endpoint, body: &[u8], options: &RepairOptions) -> Gated {
    let unchanged = |stats| Gated::Unchanged(stats);
    match std::str::from_utf8(body) {
        Err(e) => unchanged(unread(body.len(), format!("not UTF-8 text: {e}"))),
        Ok(text) => match gate_text(endpoint, text.to_owned(), options) {
            (_, stats, false) => unchanged(stats),
            (text, stats, true) => Gated::Rewritten(text, stats),
        },
    }
}

/// [`gate`] on a body the caller gives up: the bytes to send come back with the figures, the
/// very same allocation when nothing changed (a 20 MB body is not copied to be forwarded).
pub fn gate_owned(
    endpoint: Endpoint,
    body: Vec<u8>,
    options: &RepairOptions,
) -> (Vec<u8>, GateStats) {
    match String::from_utf8(body) {
        Err(e) => {
            let stats = unread(
                e.as_bytes().len(),
                format!("not UTF-8 text: {}", e.utf8_error()),
            );
            (e.into_bytes(), stats)
        }
        Ok(text) => {
            let (text, stats, _) = gate_text(endpoint, text, options);
            (text.into_bytes(), stats)
        }
    }
}

/// The figures of a body that was not read, and why.
fn unread(bytes: usize, why: String) -> GateStats {
    GateStats {
        bytes_before: bytes as u64,
        bytes_after: bytes as u64,
        unread: Some(why),
        ..GateStats::default()
    }
}

/// The gate on text: what to send, the figures, and whether it was rewritten.
fn gate_text(
    endpoint: Endpoint,
    text: String,
    options: &RepairOptions,
) -> (String, GateStats, bool) {
    if !endpoint.is_gated() {
        let stats = unread(text.len(), "not a Messages endpoint".into());
        return (text, stats, false);
    }
    // Only base64 images are ever rewritten: a body without one goes on as it is, unparsed
    // (most requests of a session are text and tool calls).
    if !text.contains("base64") {
        let bytes = text.len() as u64;
        let stats = GateStats {
            bytes_before: bytes,
            bytes_after: bytes,
            ..GateStats::default()
        };
        return (text, stats, false);
    }
    if endpoint == Endpoint::BatchCreate {
        return match gate_batch(&text, options) {
            Gated::Rewritten(new, stats) => (new, stats, true),
            Gated::Unchanged(stats) => (text, stats, false),
        };
    }
    let bytes_before = text.len() as u64;
    let doc = match Document::try_from_text(text) {
        Ok(d) => d,
        Err((text, e)) => return (text, unread(bytes_before as usize, e.to_string()), false),
    };
    let before = check_document(&doc, &options.check);
    let (images, tokens) = totals(&before);
    let mut stats = GateStats {
        model: before.requests.first().map(|r| r.model.clone()),
        images,
        image_tokens_before: tokens,
        image_tokens_after: tokens,
        bytes_before,
        bytes_after: bytes_before,
        errors_left: before.errors().count(),
        ..GateStats::default()
    };
    let shrinkable = options.shrink
        && before
            .findings
            .iter()
            .any(|f| f.code == FindingCode::Downsized);
    if stats.errors_left == 0 && !shrinkable {
        return (doc.into_text(), stats, false);
    }
    let report = repair_document(&doc, options);
    if !report.changed() {
        return (doc.into_text(), stats, false);
    }
    stats.rewritten = rewritten(&report);
    stats.image_tokens_after = totals(&report.after).1;
    stats.bytes_after = report.text.len() as u64;
    stats.errors_left = report.after.errors().count();
    (report.text, stats, true)
}

/// [`gate`] for a Message Batches create body: each request's `params`.
fn gate_batch(text: &str, options: &RepairOptions) -> Gated {
    let bytes_before = text.len() as u64;
    let mut stats = GateStats {
        bytes_before,
        bytes_after: bytes_before,
        ..GateStats::default()
    };
    if !is_batch_create(text) {
        stats.unread = Some("not a Message Batches create body".into());
        return Gated::Unchanged(stats);
    }
    let repaired = match repair_batch_create(text, options) {
        Ok(r) => r,
        Err(e) => {
            stats.unread = Some(e.to_string());
            return Gated::Unchanged(stats);
        }
    };
    for r in &repaired.requests {
        let (images, before) = totals(&r.report.before);
        stats.model = stats.model.take().or_else(|| {
            let first = r.report.before.requests.first();
            first.map(|q| q.model.clone())
        });
        stats.images += images;
        stats.image_tokens_before += before;
        stats.image_tokens_after += totals(&r.report.after).1;
        stats.rewritten += rewritten(&r.report);
        stats.errors_left += r.report.after.errors().count();
    }
    if !repaired.changed() {
        return Gated::Unchanged(stats);
    }
    stats.bytes_after = repaired.text.len() as u64;
    Gated::Rewritten(repaired.text, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionprep_core::request::base64_encode;

    fn png(w: u32, h: u32) -> String {
        let mut out = std::io::Cursor::new(Vec::new());
        image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x ^ y) & 0xff) as u8]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        base64_encode(&out.into_inner())
    }

    fn body(data: &str) -> String {
        format!(
            r#"{{"model": "claude-sonnet-4-6", "max_tokens": 16, "stream": true,
  "messages": [{{"role": "user", "content": [{{"type": "image", "source": {{"type": "base64", "media_type": "image/png", "data": "{data}"}}}}, {{"type": "text", "text": "Describe"}}]}}]}}"#
        )
    }

    #[test]
    fn a_body_the_api_takes_goes_on_unchanged() {
        let text = body(&png(64, 48));
        let gated = gate(
            Endpoint::Messages,
            text.as_bytes(),
            &RepairOptions::default(),
        );
        let Gated::Unchanged(stats) = gated else {
            panic!("rewritten: {gated:?}");
        };
        assert_eq!(
            (stats.images, stats.rewritten, stats.errors_left),
            (1, 0, 0)
        );
        assert_eq!(stats.model.as_deref(), Some("claude-sonnet-4-6"));
    }

    #[test]
    fn an_image_over_8000_px_is_rewritten_and_the_rest_kept() {
        let text = body(&png(8100, 40));
        let gated = gate(
            Endpoint::Messages,
            text.as_bytes(),
            &RepairOptions::default(),
        );
        let Gated::Rewritten(new, stats) = gated else {
            panic!("unchanged: {gated:?}");
        };
        assert_eq!(
            (stats.images, stats.rewritten, stats.errors_left),
            (1, 1, 0)
        );
        assert!(stats.bytes_after < stats.bytes_before);
        assert!(
            new.starts_with(r#"{"model": "claude-sonnet-4-6", "max_tokens": 16, "stream": true,"#)
        );
        assert!(new.ends_with(r#"{"type": "text", "text": "Describe"}]}]}"#));
        let again = gate(
            Endpoint::CountTokens,
            new.as_bytes(),
            &RepairOptions::default(),
        );
        assert!(matches!(again, Gated::Unchanged(_)), "{again:?}");
    }

    #[test]
    fn what_the_gate_cannot_read_goes_on_unchanged() {
        for (endpoint, text) in [
            (Endpoint::Messages, "not json, base64"),
            (Endpoint::Messages, r#"[1, "base64""#),
            (Endpoint::BatchCreate, r#"{"model": "base64"}"#),
            (Endpoint::Other, "{}"),
        ] {
            let gated = gate(endpoint, text.as_bytes(), &RepairOptions::default());
            let Gated::Unchanged(stats) = gated else {
                panic!("{text}: rewritten");
            };
            assert!(stats.unread.is_some(), "{text}");
        }
        let bytes = [0xff, 0xfe, 0x00];
        assert!(matches!(
            gate(Endpoint::Messages, &bytes, &RepairOptions::default()),
            Gated::Unchanged(_)
        ));
    }

    #[test]
    fn an_owned_body_comes_back_as_it_was_when_nothing_changes() {
        let text = body(&png(64, 48)).into_bytes();
        let at = text.as_ptr();
        let (out, stats) = gate_owned(Endpoint::Messages, text, &RepairOptions::default());
        assert_eq!(out.as_ptr(), at, "not copied");
        assert_eq!((stats.images, stats.rewritten), (1, 0));
        let (out, stats) = gate_owned(Endpoint::Messages, vec![0xff, 0], &RepairOptions::default());
        assert_eq!((out, stats.unread.is_some()), (vec![0xff, 0], true));
        let (out, stats) = gate_owned(
            Endpoint::Messages,
            b"{nope base64".to_vec(),
            &RepairOptions::default(),
        );
        assert_eq!(
            (out, stats.unread.is_some()),
            (b"{nope base64".to_vec(), true)
        );
        let wide = body(&png(8100, 40)).into_bytes();
        let (out, stats) = gate_owned(Endpoint::Messages, wide.clone(), &RepairOptions::default());
        assert_eq!(stats.rewritten, 1);
        assert!(out.len() < wide.len());
    }

    #[test]
    fn batch_create_params_are_gated_each() {
        let good = body(&png(64, 48));
        let bad = body(&png(8100, 40));
        let text = format!(
            r#"{{"requests": [{{"custom_id": "a", "params": {good}}}, {{"custom_id": "b", "params": {bad}}}]}}"#
        );
        let gated = gate(
            Endpoint::BatchCreate,
            text.as_bytes(),
            &RepairOptions::default(),
        );
        let Gated::Rewritten(new, stats) = gated else {
            panic!("unchanged");
        };
        assert_eq!((stats.images, stats.rewritten), (2, 1));
        assert!(new.contains(&good));
    }
}
