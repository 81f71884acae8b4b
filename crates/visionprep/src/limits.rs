//! Resource limits, checked from headers before any buffer is sized.

/// How much an input may make visionprep allocate. Declared sizes beyond these are errors
/// (`dimensions-too-large`, `memory-limit`), never allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Pixels (width x height) an image may declare. Default 2^27 = 134,217,728: room for the
    /// 108 MP sensors of current phones, far below what a 50000x50000 "bomb" declares.
    pub max_pixels: u64,
    /// Bytes one decode may allocate. Default 1 GiB (a 134 MP RGBA8 image is 512 MiB).
    pub max_alloc_bytes: u64,
}

impl Limits {
    /// The default limits.
    pub const DEFAULT: Limits = Limits {
        max_pixels: 1 << 27,
        max_alloc_bytes: 1 << 30,
    };

    /// Limits that refuse images over `max_pixels`, with room to decode them as RGBA8.
    pub const fn with_max_pixels(max_pixels: u64) -> Limits {
        Limits {
            max_pixels,
            max_alloc_bytes: max_pixels.saturating_mul(4),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
