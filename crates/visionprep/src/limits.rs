//! Resource limits, checked from headers before any buffer is sized, and how strictly data
//! is read.

/// How much an input may make visionprep allocate, and whether data that ends early is read.
/// Declared sizes beyond these are errors (`dimensions-too-large`), never allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Pixels (width x height) an image may declare. Default 2^27 = 134,217,728: room for the
    /// 108 MP sensors of current phones, far below what a 50000x50000 "bomb" declares.
    pub max_pixels: u64,
    /// Bytes of a file read whole for preparing. Default 1 GiB: more than any image within the
    /// pixel limit needs, so a huge file is refused before it is read into memory.
    pub max_file_bytes: u64,
    /// Read JPEGs and PNGs that end before their end-of-image marker (cut-off downloads)
    /// instead of refusing them as `truncated`: the probe says `truncated`, and `prepare` uses
    /// what decodes (the missing part comes out grey or black). Off by default: a silently
    /// padded image is data loss.
    pub lenient: bool,
}

impl Limits {
    /// The default limits.
    pub const DEFAULT: Limits = Limits {
        max_pixels: 1 << 27,
        max_file_bytes: 1 << 30,
        lenient: false,
    };

    /// Limits that refuse images declaring more than `max_pixels` pixels.
    pub const fn with_max_pixels(max_pixels: u64) -> Limits {
        Limits {
            max_pixels,
            ..Limits::DEFAULT
        }
    }

    /// The same limits, reading data that ends early or not (the `lenient` field).
    pub const fn with_lenient(self, lenient: bool) -> Limits {
        Limits { lenient, ..self }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
