//! The steps of preparing an image, and the clock a benchmark times them with.

/// The steps of preparing an image, in order, as a benchmark times them
/// ([`Preparer::prepare_timed`](super::Preparer::prepare_timed)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Stage {
    /// Reading the header: format, size, orientation, metadata.
    Probe,
    /// A pass-through's check: the whole file decoded at the smallest scale, to keep only
    /// clean files byte for byte.
    Verify,
    /// Decoding the first frame, at the scale the pipeline uses (JPEG DCT scaling).
    Decode,
    /// Resizing to the fit target.
    Resize,
    /// Colour conversion to sRGB and the EXIF orientation.
    Color,
    /// Encoding under the byte cap (lower qualities included).
    Encode,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 6] = [
        Stage::Probe,
        Stage::Verify,
        Stage::Decode,
        Stage::Resize,
        Stage::Color,
        Stage::Encode,
    ];

    /// Its name in reports: `probe`, `verify`, `decode`, `resize`, `color`, `encode`.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Probe => "probe",
            Stage::Verify => "verify",
            Stage::Decode => "decode",
            Stage::Resize => "resize",
            Stage::Color => "color",
            Stage::Encode => "encode",
        }
    }

    /// Its index in [`Stage::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Told by the pipeline as each [`Stage`] ends; a step that does not run is not told.
pub trait Clock {
    /// `stage` has just ended.
    fn lap(&mut self, stage: Stage);
}

/// The clock of an untimed run: nothing, inlined away.
pub(crate) struct NoClock;

impl Clock for NoClock {
    #[inline(always)]
    fn lap(&mut self, _: Stage) {}
}
