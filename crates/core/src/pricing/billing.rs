//! How a prompt is billed beyond the model's base price: the Message Batches discount, prompt
//! caching, US-only inference and long-context steps, as plain options.

/// How a prompt is billed, beyond the model's base input price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CostOptions {
    /// Sent through the Message Batches API.
    pub batch: bool,
    /// The image is part of a cached prompt prefix.
    pub cache: Option<CacheUse>,
    /// US-only inference.
    pub us_only: bool,
    /// The whole prompt's input tokens, for models whose price steps up with prompt length.
    /// `None` assumes a prompt under every threshold.
    pub prompt_tokens: Option<u64>,
}

/// How an image interacts with prompt caching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Written to the cache with a 5 minute TTL.
    Write5m,
    /// Written to the cache with a 1 hour TTL.
    Write1h,
    /// Read from the cache.
    Read,
}

impl CacheUse {
    /// Its name on the command line and in settings: `write-5m`, `write-1h` or `read`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CacheUse::Write5m => "write-5m",
            CacheUse::Write1h => "write-1h",
            CacheUse::Read => "read",
        }
    }
}

impl std::fmt::Display for CacheUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cache use named other than `write-5m`, `write-1h` or `read`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cache use {0:?} (expected write-5m, write-1h or read)")]
pub struct UnknownCacheUse(pub String);

impl std::str::FromStr for CacheUse {
    type Err = UnknownCacheUse;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "write-5m" => Ok(CacheUse::Write5m),
            "write-1h" => Ok(CacheUse::Write1h),
            "read" => Ok(CacheUse::Read),
            _ => Err(UnknownCacheUse(s.to_owned())),
        }
    }
}
