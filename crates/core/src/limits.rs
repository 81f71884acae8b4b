//! The API's hard limits, grouped in named profiles (SPEC section 2).
//!
//! An image or request over one of these is rejected outright, and a rejected image stays in a
//! conversation's history and breaks every later turn, so they are checked before sending.
//! The per-image byte limit is measured on the **base64 text**, not the raw file:
//! see [`base64_len`].

use std::fmt;
use std::str::FromStr;

/// The length of the standard (padded) base64 encoding of `raw_len` bytes: `4 * ceil(n / 3)`.
///
/// The API's "image exceeds 5 MB maximum: 6278112 bytes > 5242880 bytes" error counts exactly
/// this. Saturates instead of overflowing.
///
/// ```
/// assert_eq!(visionprep_core::base64_len(3_932_160), 5_242_880);
/// assert_eq!(visionprep_core::base64_len(1), 4);
/// ```
pub const fn base64_len(raw_len: u64) -> u64 {
    raw_len.div_ceil(3).saturating_mul(4)
}

/// The largest raw byte count whose base64 text is at most `base64_cap` bytes.
///
/// ```
/// assert_eq!(visionprep_core::max_raw_len(5_242_880), 3_932_160);
/// ```
pub const fn max_raw_len(base64_cap: u64) -> u64 {
    base64_cap / 4 * 3
}

/// A named set of limits for where the request is sent (SPEC section 2, decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Profile {
    /// Accepted everywhere: 5 MiB base64 per image, 20 MB a request (Bedrock's). Default.
    #[default]
    Portable,
    /// The direct Claude API since mid-2026: 10 MiB base64 per image, 32 MB a request.
    Api,
    /// Amazon Bedrock: 5 MiB base64 per image, 20 MB a request (InvokeModel payload).
    Bedrock,
    /// Google Cloud Vertex AI: 5 MiB base64 per image, 20 MB a request (assumed: see `limits.toml`).
    Vertex,
    /// claude.ai uploads: 10 MB per image, 20 images a message.
    ClaudeAi,
}

impl Profile {
    /// Every profile, in documentation order.
    pub const ALL: [Profile; 5] = [
        Profile::Portable,
        Profile::Api,
        Profile::Bedrock,
        Profile::Vertex,
        Profile::ClaudeAi,
    ];

    /// The limits of this profile, from the shipped data (`limits.toml`, which cites its
    /// sources). Images per request are the 200k-token-model figure (100) except on claude.ai;
    /// use [`Profile::limits_for`] for a model's own.
    pub fn limits(self) -> RequestLimits {
        data::builtin()[self as usize]
    }

    /// The limits of this profile for `model`: its byte limits, and the images (and
    /// documents) a request may hold for that model (100 for a 200k-token context window,
    /// 600 for larger ones; claude.ai takes 20 a message whatever the model).
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use visionprep_core::{PriceTable, Profile};
    /// let table = PriceTable::builtin();
    /// let sonnet_4_5 = table.get("claude-sonnet-4-5").unwrap();
    /// let fable = table.get("claude-fable-5-2").unwrap();
    /// assert_eq!(Profile::Api.limits_for(sonnet_4_5).max_images, 100);
    /// assert_eq!(Profile::Api.limits_for(fable).max_images, 600);
    /// assert_eq!(Profile::ClaudeAi.limits_for(fable).max_images, 20);
    /// # }
    /// ```
    pub fn limits_for(self, model: &crate::ModelPrice) -> RequestLimits {
        let mut limits = self.limits();
        if self != Profile::ClaudeAi {
            limits.max_images = model.images_per_request();
        }
        limits
    }

    /// The name used on the command line: `portable`, `api`, `bedrock`, `vertex`, `claude-ai`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Profile::Portable => "portable",
            Profile::Api => "api",
            Profile::Bedrock => "bedrock",
            Profile::Vertex => "vertex",
            Profile::ClaudeAi => "claude-ai",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A profile name that is not one of [`Profile::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {0:?} (expected portable, api, bedrock, vertex or claude-ai)")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['_', '.'], "-");
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == norm || (norm == "claudeai" && *p == Profile::ClaudeAi))
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

/// The numbers a request must stay within. Plain data: start from [`Profile::limits`] and change
/// what the API has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RequestLimits {
    /// Images (and documents) per request: from the model (100 for a 200k-token context
    /// window, 600 for larger ones, see [`Profile::limits_for`]); 20 on claude.ai.
    pub max_images: u32,
    /// Pixels per side of any image: 8000 (API error "...exceed max allowed size: 8000
    /// pixels").
    pub max_side: u32,
    /// A request with more than this many images uses [`Self::max_side_many_images`]: 20.
    pub many_images_threshold: u32,
    /// Pixels per side when a request has more than [`Self::many_images_threshold`] images:
    /// 2000.
    pub max_side_many_images: u32,
    /// Bytes of one image's **base64 text**, compared with `<=`: 5 MiB = 5,242,880 (guide,
    /// Bedrock, Vertex); 10 MiB on the direct API; 10 MB (10^7, the safer reading) on
    /// claude.ai.
    pub max_image_base64_bytes: u64,
    /// Bytes of the whole request body: 32 MB on the API, 20 MB on Bedrock (and so in
    /// `portable`), read as 10^6 bytes.
    pub max_request_bytes: u64,
}

impl RequestLimits {
    /// The `portable` profile's numbers, accepted by every platform.
    pub fn portable() -> RequestLimits {
        Profile::Portable.limits()
    }

    /// The per-side pixel limit for a request holding `images` images.
    pub const fn max_side_for(&self, images: u32) -> u32 {
        if images > self.many_images_threshold {
            self.max_side_many_images
        } else {
            self.max_side
        }
    }

    /// Whether a raw image of `raw_len` bytes is within the per-image base64 limit.
    pub const fn image_bytes_ok(&self, raw_len: u64) -> bool {
        base64_len(raw_len) <= self.max_image_base64_bytes
    }
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self::portable()
    }
}

/// The limits of one Message Batch, from the shipped data (`limits.toml`, `[message-batches]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Requests in one batch.
    pub max_requests: u64,
    /// Bytes of one batch: the JSONL text of its requests, measured exactly.
    pub max_bytes: u64,
}

impl BatchLimits {
    /// The Message Batches API's limits (100,000 requests, 256 MB).
    pub fn builtin() -> BatchLimits {
        data::builtin_batch()
    }

    /// The built-in limits, lowered to `max_requests` and `max_bytes` where given (never
    /// raised past what the API takes).
    pub fn at_most(max_requests: Option<u64>, max_bytes: Option<u64>) -> BatchLimits {
        let builtin = BatchLimits::builtin();
        BatchLimits {
            max_requests: max_requests
                .map_or(builtin.max_requests, |n| n.min(builtin.max_requests)),
            max_bytes: max_bytes.map_or(builtin.max_bytes, |n| n.min(builtin.max_bytes)),
        }
    }
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits::builtin()
    }
}

mod data {
    //! `limits.toml`, read once. The file is a flat list of `[section]` headers and
    //! `key = integer` lines, so a few lines read it without a TOML dependency (the core
    //! builds without serde too).
    use super::{BatchLimits, Profile, RequestLimits};
    use std::sync::OnceLock;

    /// Why a limits file cannot be read (the shipped one always can: a unit test reads it).
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub(super) enum LimitsFileError {
        /// A line that is neither a `[section]` nor `key = value`.
        #[error("line {0}: expected key = value")]
        NotKeyValue(usize),
        /// A value that is not a whole number.
        #[error("line {line}: {value} is not a whole number")]
        NotANumber { line: usize, value: String },
        /// A key the file lacks.
        #[error("[{section}] has no {key}")]
        Missing { section: String, key: String },
        /// A number too large for its field.
        #[error("[{section}] {key} is too large")]
        TooLarge { section: String, key: String },
    }

    pub(super) const BUILTIN: &str = include_str!("../limits.toml");

    pub(super) fn builtin() -> &'static [RequestLimits; 5] {
        static TABLE: OnceLock<[RequestLimits; 5]> = OnceLock::new();
        // The file ships inside the binary and a unit test reads it: it cannot be malformed
        // at run time.
        #[allow(clippy::panic)]
        TABLE.get_or_init(|| read(BUILTIN).unwrap_or_else(|e| panic!("limits.toml: {e}")))
    }

    pub(super) fn builtin_batch() -> BatchLimits {
        static BATCH: OnceLock<BatchLimits> = OnceLock::new();
        // As for `builtin`: the shipped file is read by a unit test.
        #[allow(clippy::panic)]
        *BATCH.get_or_init(|| read_batch(BUILTIN).unwrap_or_else(|e| panic!("limits.toml: {e}")))
    }

    /// Reads the Message Batches limits.
    pub(super) fn read_batch(text: &str) -> Result<BatchLimits, LimitsFileError> {
        let values = values(text)?;
        let get = |key: &str| {
            values
                .iter()
                .find(|(s, k, _)| s == "message-batches" && k == key)
                .map(|v| v.2)
                .ok_or_else(|| LimitsFileError::Missing {
                    section: "message-batches".into(),
                    key: key.into(),
                })
        };
        Ok(BatchLimits {
            max_requests: get("requests")?,
            max_bytes: get("bytes")?,
        })
    }

    /// Every `key = number` of the file with its section.
    fn values(text: &str) -> Result<Vec<(String, String, u64)>, LimitsFileError> {
        let mut section = String::new();
        let mut values: Vec<(String, String, u64)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_owned();
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or(LimitsFileError::NotKeyValue(n + 1))?;
            let value = value.trim();
            if key.trim() == "as_of" {
                continue;
            }
            let number =
                value
                    .replace('_', "")
                    .parse::<u64>()
                    .map_err(|_| LimitsFileError::NotANumber {
                        line: n + 1,
                        value: value.to_owned(),
                    })?;
            values.push((section.clone(), key.trim().to_owned(), number));
        }
        Ok(values)
    }

    /// Reads the limits of every profile.
    pub(super) fn read(text: &str) -> Result<[RequestLimits; 5], LimitsFileError> {
        let values = values(text)?;
        let get = |section: &str, key: &str| {
            values
                .iter()
                .find(|(s, k, _)| s == section && k == key)
                .map(|v| v.2)
                .ok_or_else(|| LimitsFileError::Missing {
                    section: section.into(),
                    key: key.into(),
                })
        };
        let too_large = |section: &str, key: &str| LimitsFileError::TooLarge {
            section: section.into(),
            key: key.into(),
        };
        let side = |key: &str| {
            get("pixels", key).and_then(|v| u32::try_from(v).map_err(|_| too_large("pixels", key)))
        };
        let mut table = [RequestLimits {
            max_images: 100,
            max_side: side("max_side")?,
            many_images_threshold: side("many_images_threshold")?,
            max_side_many_images: side("max_side_many_images")?,
            max_image_base64_bytes: 0,
            max_request_bytes: 0,
        }; 5];
        for profile in Profile::ALL {
            let name = profile.as_str();
            let limits = &mut table[profile as usize];
            limits.max_image_base64_bytes = get(name, "image_base64_bytes")?;
            limits.max_request_bytes = get(name, "request_bytes")?;
            if let Ok(images) = get(name, "images") {
                limits.max_images = u32::try_from(images).map_err(|_| too_large(name, "images"))?;
            }
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_api_error() {
        // "image exceeds 5 MB maximum: 6278112 bytes > 5242880 bytes"
        assert_eq!(base64_len(4_708_584), 6_278_112);
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(u64::MAX), u64::MAX);
        let l = RequestLimits::portable();
        assert!(l.image_bytes_ok(max_raw_len(l.max_image_base64_bytes)));
        assert!(!l.image_bytes_ok(max_raw_len(l.max_image_base64_bytes) + 1));
    }

    #[test]
    fn profiles() {
        assert_eq!(Profile::default().limits(), RequestLimits::portable());
        assert!(data::read(data::BUILTIN).is_ok());
        let batch = data::read_batch(data::BUILTIN).unwrap();
        assert_eq!(
            (batch.max_requests, batch.max_bytes),
            (100_000, 256_000_000)
        );
        assert!(data::read_batch("[portable]\nrequest_bytes = 1\n").is_err());
        // portable is the smallest of every platform.
        for p in Profile::ALL {
            let l = p.limits();
            let portable = RequestLimits::portable();
            assert!(
                l.max_image_base64_bytes >= portable.max_image_base64_bytes,
                "{p}"
            );
            assert!(l.max_request_bytes >= portable.max_request_bytes, "{p}");
        }
        assert_eq!(Profile::Portable.limits().max_request_bytes, 20_000_000);
        assert_eq!(Profile::Bedrock.limits().max_request_bytes, 20_000_000);
        assert!(data::read("[pixels]\nmax_side = x").is_err());
        assert_eq!(Profile::Api.limits().max_image_base64_bytes, 10_485_760);
        assert_eq!(Profile::Bedrock.limits().max_image_base64_bytes, 5_242_880);
        assert_eq!(Profile::ClaudeAi.limits().max_images, 20);
        for p in Profile::ALL {
            assert_eq!(p.as_str().parse::<Profile>(), Ok(p));
        }
        assert_eq!("Claude_AI".parse::<Profile>(), Ok(Profile::ClaudeAi));
        assert!("azure".parse::<Profile>().is_err());
        let l = RequestLimits::default();
        assert_eq!(l.max_side_for(20), 8000);
        assert_eq!(l.max_side_for(21), 2000);
    }
}
