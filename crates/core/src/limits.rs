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
    /// Accepted everywhere: 5 MiB base64 per image, 100 images, 8000/2000 px, 32 MB. Default.
    #[default]
    Portable,
    /// The direct Claude API since mid-2026: 10 MiB base64 per image.
    Api,
    /// Amazon Bedrock: 5 MiB base64 per image.
    Bedrock,
    /// Google Cloud Vertex AI: 5 MiB base64 per image.
    Vertex,
    /// claude.ai uploads: 10 MB per image, 20 images.
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

    /// The limits of this profile.
    pub const fn limits(self) -> RequestLimits {
        let base = RequestLimits::PORTABLE;
        match self {
            Profile::Portable | Profile::Bedrock | Profile::Vertex => base,
            Profile::Api => RequestLimits {
                max_image_base64_bytes: 10 * MIB,
                max_request_bytes: 32 * MIB,
                ..base
            },
            Profile::ClaudeAi => RequestLimits {
                max_image_base64_bytes: 10_000_000,
                max_images: 20,
                ..base
            },
        }
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

const MIB: u64 = 1024 * 1024;

/// The numbers a request must stay within. Plain data: start from [`Profile::limits`] and change
/// what the API has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RequestLimits {
    /// Images (and documents) per request. Default 100 (guide); 20 on claude.ai.
    pub max_images: u32,
    /// Pixels per side of any image. Default 8000 (guide; API error "...exceed max allowed
    /// size: 8000 pixels").
    pub max_side: u32,
    /// A request with more than this many images uses [`Self::max_side_many_images`].
    /// Default 20 (guide).
    pub many_images_threshold: u32,
    /// Pixels per side when a request has more than [`Self::many_images_threshold`] images.
    /// Default 2000 (guide).
    pub max_side_many_images: u32,
    /// Bytes of one image's **base64 text**, compared with `<=`. Default 5 MiB = 5,242,880
    /// (guide, Bedrock, Vertex); 10 MiB on the direct API; 10 MB (10^7, the safer reading)
    /// on claude.ai.
    pub max_image_base64_bytes: u64,
    /// Bytes of the whole request body. Default 32 MB read as 32,000,000 (the safer reading of
    /// the guide's "32MB"); the `api` profile uses 32 MiB.
    pub max_request_bytes: u64,
}

impl RequestLimits {
    /// The `portable` profile's numbers, accepted by every platform.
    pub const PORTABLE: RequestLimits = RequestLimits {
        max_images: 100,
        max_side: 8000,
        many_images_threshold: 20,
        max_side_many_images: 2000,
        max_image_base64_bytes: 5 * MIB,
        max_request_bytes: 32_000_000,
    };

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
        Self::PORTABLE
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
        let l = RequestLimits::PORTABLE;
        assert!(l.image_bytes_ok(max_raw_len(l.max_image_base64_bytes)));
        assert!(!l.image_bytes_ok(max_raw_len(l.max_image_base64_bytes) + 1));
    }

    #[test]
    fn profiles() {
        assert_eq!(Profile::default().limits(), RequestLimits::PORTABLE);
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
