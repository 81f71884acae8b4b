//! The opt-in live cross-check: what the API's `count_tokens` endpoint says of a body, beside
//! visionprep's estimate.
//!
//! Building what is sent is pure ([`count_bodies`]); sending it needs the `count` feature
//! ([`CountClient`]). Each body is counted twice: as it is, and with every image block
//! replaced by a one-word text block, so that the API's own image tokens (the difference) can
//! be set beside visionprep's image estimate. Nothing here is ever called unless asked.

use super::body::check_unit;
use super::finding::CheckOptions;
use super::read::Document;
use visionprep_core::body::MediaKind;
use visionprep_core::json::{Edits, quote};

/// The top-level members `count_tokens` takes (its API reference); the others a Messages body
/// may hold (`max_tokens`, `stream`, `temperature`, `metadata`, ...) are left out.
pub const COUNT_FIELDS: [&str; 10] = [
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "mcp_servers",
    "context_management",
    "output_config",
    "output_format",
];

/// The text that stands for an image in the body counted without images.
const IMAGE_STAND_IN: &str = r#"{"type":"text","text":"image"}"#;

/// One request ready for `count_tokens`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountBody {
    /// The transcript line it starts on.
    pub line: Option<usize>,
    /// The model it is counted for.
    pub model: String,
    /// The body to send, as JSON: the original's members, byte for byte, minus the ones the
    /// endpoint refuses.
    pub json: String,
    /// The same with every image block replaced by a one-word text block.
    pub without_images: String,
    /// Members left out.
    pub stripped: Vec<String>,
    /// Image blocks.
    pub images: usize,
    /// visionprep's estimate of their tokens (the check options' rule).
    pub estimate: u64,
}

/// Why a request cannot be counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CountRefusal {
    /// `count_tokens` takes base64 images only.
    #[error(
        "{} image(s) given by URL or file id ({}): the count_tokens endpoint takes base64 images only",
        paths.len(), paths.join(", ")
    )]
    NotBase64 {
        /// Where they are.
        paths: Vec<String>,
    },
}

/// The bodies `count_tokens` would be sent for each request of `doc`, or why one cannot be.
pub fn count_bodies(
    doc: &Document,
    options: &CheckOptions,
) -> Vec<Result<CountBody, CountRefusal>> {
    let text = doc.text();
    let mut out = Vec::new();
    for unit in doc.units() {
        let checked = check_unit(doc, &unit, options);
        let images: Vec<_> = unit
            .scan
            .media
            .iter()
            .filter(|m| m.kind == MediaKind::Image)
            .collect();
        let not_base64: Vec<String> = images
            .iter()
            .filter(|m| matches!(m.source_type(text).as_deref(), Some("url" | "file")))
            .map(|m| m.source_path(text))
            .collect();
        if !not_base64.is_empty() {
            out.push(Err(CountRefusal::NotBase64 { paths: not_base64 }));
            continue;
        }
        let model = checked.facts.price.id.clone();
        let build = |edited: &str| -> (String, Vec<String>) {
            assemble(&unit, edited, &model, options.force_model)
        };
        let (json, stripped) = build(text);
        let mut edits = Edits::default();
        for m in &images {
            edits.replace(m.block.span(), IMAGE_STAND_IN);
        }
        // Image blocks found by the walk are disjoint: the edits never overlap.
        let edited = edits.apply(text).unwrap_or_else(|_| text.to_owned());
        // Spans after an edit moved: rebuild from the edited text.
        let without_images = match Document::from_text(edited) {
            Ok(d) => {
                let units = d.units();
                let same = units.iter().find(|u| u.line == unit.line);
                match same {
                    Some(u) => assemble(u, d.text(), &model, options.force_model).0,
                    None => json.clone(),
                }
            }
            Err(_) => json.clone(),
        };
        out.push(Ok(CountBody {
            line: unit.line,
            model,
            json,
            without_images,
            stripped,
            images: images.len(),
            estimate: checked.summary.image_tokens,
        }));
    }
    out
}

/// `{"model": ..., "messages": [...], ...}` from the unit's own text.
fn assemble(
    unit: &super::read::Unit<'_>,
    text: &str,
    model: &str,
    force_model: bool,
) -> (String, Vec<String>) {
    let mut members = vec![format!("\"model\":{}", quote(model))];
    let mut stripped = Vec::new();
    match unit.root {
        Some(root) => {
            for m in root.members() {
                let Some(key) = m.key.str(text) else {
                    continue;
                };
                if key == "model" {
                    if !force_model {
                        members[0] = format!("\"model\":{}", m.value.raw(text));
                    }
                } else if COUNT_FIELDS.contains(&key.as_ref()) {
                    members.push(format!("{}:{}", m.key.raw(text), m.value.raw(text)));
                } else {
                    stripped.push(key.into_owned());
                }
            }
        }
        None => {
            let raws: Vec<&str> = unit.messages.iter().map(|v| v.raw(text)).collect();
            members.push(format!("\"messages\":[{}]", raws.join(",")));
        }
    }
    (format!("{{{}}}", members.join(",")), stripped)
}

#[cfg(feature = "count")]
mod client {
    use std::time::Duration;

    /// What went wrong talking to the API.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum CountError {
        /// The API answered with an error (its `error.type` and `error.message`).
        #[error("the API answered {status} {kind}: {message}")]
        Api {
            /// The HTTP status.
            status: u16,
            /// `authentication_error`, `invalid_request_error`, ...
            kind: String,
            /// Its message.
            message: String,
        },
        /// Still rate-limited or overloaded after every retry.
        #[error("the API was still busy (HTTP {status}) after {attempts} attempts")]
        Busy {
            /// The last status (429 or 5xx).
            status: u16,
            /// Attempts made.
            attempts: u32,
        },
        /// The connection failed.
        #[error("cannot reach {url}: {message}")]
        Transport {
            /// The endpoint.
            url: String,
            /// Why.
            message: String,
        },
        /// The answer was not the JSON the endpoint sends.
        #[error("unexpected answer from the API: {0}")]
        BadAnswer(String),
    }

    impl CountError {
        /// Its stable code: `api`.
        pub fn code(&self) -> visionprep_core::ErrorCode {
            visionprep_core::ErrorCode::Api
        }
    }

    /// What the API counted for one request, beside visionprep's estimate.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    pub struct Counted {
        /// `input_tokens` of the request as it is.
        pub api_input_tokens: u64,
        /// `input_tokens` with its images replaced by one-word text blocks.
        pub api_without_images: u64,
        /// The difference: the API's count of the image tokens (a few low: the stand-ins).
        pub api_image_tokens: i64,
        /// visionprep's estimate of the same images.
        pub estimated_image_tokens: u64,
        /// `api_image_tokens - estimated_image_tokens`.
        pub difference: i64,
    }

    impl CountError {
        /// The key was refused (HTTP 401 or 403): every other request would be too.
        pub fn is_auth(&self) -> bool {
            matches!(
                self,
                CountError::Api {
                    status: 401 | 403,
                    ..
                }
            )
        }
    }

    /// A `count_tokens` client with a bounded retry policy: on HTTP 429, 529 and 5xx it waits
    /// what `retry-after` says (at most [`CountClient::max_wait`]) or 1, 2, 4 ... seconds, and
    /// gives up after [`CountClient::max_attempts`] attempts.
    #[derive(Debug, Clone)]
    pub struct CountClient {
        base_url: String,
        api_key: String,
        agent: ureq::Agent,
        /// Attempts per request, the first included. Default 5.
        pub max_attempts: u32,
        /// The longest single wait. Default 60 s.
        pub max_wait: Duration,
    }

    impl CountClient {
        /// A client for `base_url` (`https://api.anthropic.com`, or a stub's address).
        pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> CountClient {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(120)))
                .user_agent(concat!("visionprep/", env!("CARGO_PKG_VERSION")))
                .build()
                .into();
            CountClient {
                base_url: base_url.into().trim_end_matches('/').to_owned(),
                api_key: api_key.into(),
                agent,
                max_attempts: 5,
                max_wait: Duration::from_secs(60),
            }
        }

        /// Counts a request as it is and without its images (one call when it has none), and
        /// sets the API's image tokens beside visionprep's estimate.
        pub fn count_body(&self, body: &super::CountBody) -> Result<Counted, CountError> {
            let total = self.count(&body.json)?;
            let without = if body.images == 0 {
                total
            } else {
                self.count(&body.without_images)?
            };
            let images = total as i64 - without as i64;
            Ok(Counted {
                api_input_tokens: total,
                api_without_images: without,
                api_image_tokens: images,
                estimated_image_tokens: body.estimate,
                difference: images - body.estimate as i64,
            })
        }

        /// The `input_tokens` the API counts for `json` (a body from
        /// [`super::count_bodies`]).
        pub fn count(&self, json: &str) -> Result<u64, CountError> {
            let url = format!("{}/v1/messages/count_tokens", self.base_url);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let sent = self
                    .agent
                    .post(&url)
                    .header("x-api-key", &self.api_key)
                    .header("anthropic-version", "2023-06-01")
                    .header("content-type", "application/json")
                    .send(json);
                let mut response = sent.map_err(|e| CountError::Transport {
                    url: url.clone(),
                    message: e.to_string(),
                })?;
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0);
                let text = response
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_string()
                    .map_err(|e| CountError::BadAnswer(e.to_string()))?;
                if status == 200 {
                    return input_tokens(&text);
                }
                let busy = status == 429 || status >= 500;
                if busy && attempt < self.max_attempts {
                    let backoff = Duration::from_secs(1u64 << (attempt - 1).min(6));
                    let wait = retry_after
                        .map_or(backoff, Duration::from_secs_f64)
                        .min(self.max_wait);
                    std::thread::sleep(wait);
                    continue;
                }
                if busy {
                    return Err(CountError::Busy {
                        status,
                        attempts: attempt,
                    });
                }
                return Err(api_error(status, &text));
            }
        }
    }

    fn input_tokens(text: &str) -> Result<u64, CountError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CountError::BadAnswer(e.to_string()))?;
        v.get("input_tokens")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| CountError::BadAnswer(format!("no input_tokens in {text}")))
    }

    fn api_error(status: u16, text: &str) -> CountError {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let field = |k: &str| {
            v.get("error")
                .and_then(|e| e.get(k))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        CountError::Api {
            status,
            kind: field("type").unwrap_or_else(|| "error".into()),
            message: field("message").unwrap_or_else(|| text.chars().take(300).collect()),
        }
    }
}

#[cfg(feature = "count")]
pub use client::{CountClient, CountError, Counted};
