//! Making an image Claude-ready: the right format, upright, at the largest size the API keeps,
//! without metadata, under the byte cap.
//!
//! ```
//! use visionprep::prepare::{prepare, PrepareOptions};
//! # let mut png = Vec::new();
//! # image::DynamicImage::new_rgb8(3000, 2000)
//! #     .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
//! let options = PrepareOptions::default(); // the default model (claude-sonnet-4-6), portable limits
//! let out = prepare(&png, &options)?;
//! assert_eq!((out.output_size.width, out.output_size.height), (1344, 896));
//! assert_eq!(out.media_type.as_str(), "image/png");
//! // out.bytes go into {"type": "base64", "media_type": out.media_type, "data": base64(out.bytes)}
//! # Ok::<(), visionprep::prepare::PrepareError>(())
//! ```
//!
//! Steps: probe the header (limits checked before any allocation); return the input byte for
//! byte when it is already ready ([`Actions::passed_through`], see [`prepare`]); otherwise
//! decode the first frame (JPEGs shrunk while decoding where the target allows), resize with
//! fast_image_resize to the core's [`fit_target`](visionprep_core::fit_target) for the model's tier, convert an embedded
//! ICC profile to sRGB, apply the EXIF orientation, and encode by the [`OutputPolicy`],
//! lowering the quality (or moving to JPEG) until the base64 text is under the profile's cap.

pub(crate) mod background;
mod cap;
mod codecs;
mod color;
mod decode;
pub(crate) mod encode;
#[cfg(feature = "heif-decoder")]
mod heif;
mod input;
#[cfg(all(feature = "jxl", not(feature = "jxl-native")))]
mod jxl;
#[cfg(feature = "libjpeg")]
mod libjpeg;
#[cfg(feature = "jxl-native")]
mod libjxl;
#[cfg(feature = "libwebp")]
mod libwebp;
mod options;
pub(crate) mod pixels;
mod resize;
mod stage;
mod still;
mod tiles;

pub use background::{UnknownColor, parse_color};
pub use codecs::{CodecInfo, codecs};
pub use decode::can_decode;
pub use input::Input;
pub use options::{OutputPolicy, PrepareOptions, Target, UnknownOutputPolicy};
pub use resize::{Filter, UnknownFilter};
pub use stage::{Clock, Stage};

use cap::{choose_codec, encode_finish};
use stage::NoClock;
pub use tiles::TilePart;

use crate::limits::Limits;
use crate::probe::{Probe, ProbeError, probe_bytes};
use std::fmt;
use visionprep_core::{Format, MediaType, Size, Usd};
use visionprep_resize::Resizer;

/// What preparing did to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actions {
    /// Returned byte for byte: it was ready as it was.
    pub passed_through: bool,
    /// The EXIF orientation was applied to the pixels.
    pub oriented: bool,
    /// Shrunk to the size the API keeps.
    pub resized: bool,
    /// Encoded anew.
    pub reencoded: bool,
    /// Written in another format than it came in.
    pub converted: bool,
    /// Colours converted from the embedded ICC profile (Display P3, Adobe RGB, ...) to sRGB.
    pub color_converted: bool,
    /// Transparency composited onto the background colour (JPEG output).
    pub flattened: bool,
    /// Metadata (Exif, ICC, XMP, text) was left out of the output.
    pub metadata_stripped: bool,
    /// The JPEG quality the byte cap forced, when lower than asked.
    pub quality_lowered_to: Option<u8>,
    /// One tile of an image cut into several ([`Prepared::tile`]).
    pub tiled: bool,
    /// The input was animated, or carried animation chunks (APNG's, however malformed): its
    /// still image is sent, the first frame (GIF, WebP) or the default image (PNG).
    pub animation_dropped: bool,
}

impl Actions {
    /// The actions as stable report names, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let flags = [
            (self.passed_through, "kept"),
            (self.oriented, "oriented"),
            (self.resized, "resized"),
            (self.reencoded, "reencoded"),
            (self.converted, "converted"),
            (self.color_converted, "color-converted"),
            (self.flattened, "flattened"),
            (self.metadata_stripped, "metadata-stripped"),
            (self.quality_lowered_to.is_some(), "quality-lowered"),
            (self.tiled, "tiled"),
            (self.animation_dropped, "animation-dropped"),
        ];
        v.extend(flags.iter().filter(|(on, _)| *on).map(|(_, n)| *n));
        v
    }
}

/// A Claude-ready image and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Prepared {
    /// The image to send.
    pub bytes: Vec<u8>,
    /// Its media type (sniffed from `bytes`, so it always matches them).
    pub media_type: MediaType,
    /// The input's format.
    pub input_format: Format,
    /// The input's size as displayed.
    pub input_size: Size,
    /// The size of `bytes`, which the API keeps as is.
    pub output_size: Size,
    /// Tokens the model bills for it.
    pub tokens: u64,
    /// Their cost on the options' model.
    pub usd: Usd,
    /// What was done.
    pub actions: Actions,
    /// The input ended early and was read anyway ([`Limits::lenient`]): part of the image may
    /// be grey or black.
    pub truncated: bool,
    /// Which tile of the input this is, when it was cut into tiles
    /// ([`Preparer::prepare_parts`]).
    pub tile: Option<TilePart>,
}

/// A prepared image's facts as reports and bindings show them (its bytes travel beside them):
/// `media_type`, `input_format`, `input_width`, `input_height`, `width`, `height`, `bytes`
/// (the count), `tokens`, `usd`, `actions`, `quality_lowered_to`, `truncated` and `tile`.
impl serde::Serialize for Prepared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut p = s.serialize_struct("Prepared", 13)?;
        p.serialize_field("media_type", self.media_type.as_str())?;
        p.serialize_field("input_format", self.input_format.name())?;
        p.serialize_field("input_width", &self.input_size.width)?;
        p.serialize_field("input_height", &self.input_size.height)?;
        p.serialize_field("width", &self.output_size.width)?;
        p.serialize_field("height", &self.output_size.height)?;
        p.serialize_field("bytes", &self.bytes.len())?;
        p.serialize_field("tokens", &self.tokens)?;
        p.serialize_field("usd", &self.usd)?;
        p.serialize_field("actions", &self.actions.names())?;
        p.serialize_field("quality_lowered_to", &self.actions.quality_lowered_to)?;
        p.serialize_field("truncated", &self.truncated)?;
        p.serialize_field("tile", &self.tile)?;
        p.end()
    }
}

/// Why an image could not be prepared: the library's one [`Error`](crate::Error) (header,
/// decode, limits and encode faults alike).
pub type PrepareError = crate::probe::Error;

/// Prepares images one after another, reusing its resize buffers: make one per thread.
#[derive(Default)]
pub struct Preparer {
    resizer: Resizer,
}

impl fmt::Debug for Preparer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Preparer")
    }
}

impl Preparer {
    /// A preparer using the best SIMD extensions of this CPU.
    pub fn new() -> Self {
        Self::default()
    }

    /// Prepares the file at `path`. See [`prepare_path`].
    pub fn prepare_path(
        &mut self,
        path: impl AsRef<std::path::Path>,
        options: &PrepareOptions,
    ) -> Result<Prepared, PrepareError> {
        let probe = crate::probe::probe_path(path.as_ref(), &options.limits)?;
        self.prepare_file(path, &probe, options)
    }

    /// Prepares the file at `path` whose header was already probed (a folder run probes each
    /// file once, for its report, and hands the probe on): the file is read whole only when
    /// it is within [`Limits::max_file_bytes`], and probed again only if it changed size in
    /// between.
    pub fn prepare_file(
        &mut self,
        path: impl AsRef<std::path::Path>,
        probe: &Probe,
        options: &PrepareOptions,
    ) -> Result<Prepared, PrepareError> {
        check_file_size(probe, options)?;
        let bytes = std::fs::read(path.as_ref()).map_err(ProbeError::Io)?;
        self.prepare_probed(&bytes, probe, options)
    }

    /// Prepares one image held in memory. See [`prepare`].
    pub fn prepare(
        &mut self,
        bytes: &[u8],
        options: &PrepareOptions,
    ) -> Result<Prepared, PrepareError> {
        let probe = probe_bytes(bytes, &options.limits)?;
        self.prepare_probed(bytes, &probe, options)
    }

    /// Prepares `bytes` whose header `probe` describes (from [`probe_bytes`] or a probe of the
    /// file they were read from): the header is not read again. A probe of other bytes (its
    /// byte count differs) is replaced by a fresh one.
    pub fn prepare_probed(
        &mut self,
        bytes: &[u8],
        probe: &Probe,
        options: &PrepareOptions,
    ) -> Result<Prepared, PrepareError> {
        self.prepare_timed(bytes, probe, options, &mut NoClock)
    }

    /// [`Preparer::prepare_probed`], telling `clock` as each step ends: a benchmark's
    /// per-stage times come from the pipeline itself, not from a copy of it
    /// (`visionprep bench`).
    pub fn prepare_timed(
        &mut self,
        bytes: &[u8],
        probe: &Probe,
        options: &PrepareOptions,
        clock: &mut impl Clock,
    ) -> Result<Prepared, PrepareError> {
        let mut fresh = None;
        let probe = probe_of(bytes, probe, options, &mut fresh)?;
        if probe.format == Format::Png
            && let Some(still) = still::png_without_animation(bytes)
        {
            // The default image without the animation chunks: a plain PNG, prepared as one.
            let still_probe = probe_bytes(&still, &options.limits)?;
            let mut prepared = self.prepare_timed(&still, &still_probe, options, clock)?;
            prepared.actions.passed_through = false;
            prepared.actions.animation_dropped = true;
            return Ok(prepared);
        }
        let input_size = probe.displayed();
        let target = options.output_size(input_size);
        let ready = ready_as_is(probe, target, bytes.len() as u64, options);
        // A GIF whose first frame reaches past its screen is shown clipped by browsers; other
        // decoders grow the canvas or refuse it, so it is never sent as it is. (Asked only of
        // a GIF that could be: the decoder reads the frame's header anyway.)
        let clipped = ready.is_some()
            && probe.format == Format::Gif
            && decode::gif_frame_clipped(bytes, &options.limits)?;
        if let Some(media_type) = ready.filter(|_| !clipped) {
            // Kept byte for byte only once it decoded completely and cleanly: a file whose
            // header is fine but whose data is damaged costs the user an API error (and, in a
            // conversation, every later turn). Read leniently, a damaged one is re-encoded
            // from what decodes instead.
            let verified = decode::verify(bytes, probe, &options.limits.with_lenient(false));
            clock.lap(Stage::Verify);
            match verified {
                Ok(()) => {
                    let actions = Actions {
                        passed_through: true,
                        ..Actions::default()
                    };
                    return Ok(finish(
                        bytes.to_vec(),
                        media_type,
                        probe,
                        target,
                        actions,
                        options,
                    ));
                }
                Err(PrepareError::Corrupt { .. } | PrepareError::Truncated { .. })
                    if options.limits.lenient => {}
                Err(e) => return Err(e),
            }
        }
        // Work in the stored orientation and turn the (smaller) result at the end.
        let stored_target = if probe.orientation.swaps_dimensions() {
            target.transposed()
        } else {
            target
        };
        let decoded = decode::decode(bytes, probe, stored_target, options.filter, &options.limits)?;
        clock.lap(Stage::Decode);
        // Some decoders (JPEG XL, HEIF) turn the image upright themselves.
        let stored_target = if decoded.orientation.swaps_dimensions() {
            target.transposed()
        } else {
            target
        };
        decode::check_decoded(&decoded, probe)?;
        let mut actions = Actions {
            oriented: !probe.orientation.is_identity(),
            resized: target != input_size,
            reencoded: true,
            metadata_stripped: probe.metadata.any(),
            animation_dropped: probe.animated,
            ..Actions::default()
        };
        let mut pixels = decoded.pixels;
        if Size::new(pixels.width, pixels.height) != stored_target {
            pixels = resize::resize(
                &mut self.resizer,
                pixels,
                stored_target.width,
                stored_target.height,
                options.filter,
            )?;
            clock.lap(Stage::Resize);
        }
        actions.color_converted = color::convert(
            &mut pixels,
            decoded.icc.as_deref(),
            decoded.cicp,
            decoded.color_converted,
        );
        let pixels = pixels.oriented(decoded.orientation);
        clock.lap(Stage::Color);
        let codec = choose_codec(probe, &pixels, options.output);
        let prepared = encode_finish(&pixels, codec, probe, target, actions, options);
        clock.lap(Stage::Encode);
        prepared
    }
}

/// Prepares one image held in memory with a fresh [`Preparer`].
///
/// The input is returned byte for byte ([`Actions::passed_through`]) when all of these hold:
/// it is JPEG (8-bit Huffman), PNG, GIF or WebP; it decodes completely without damage; it is not animated; it has no EXIF orientation to apply; the
/// API would not resize it for the model's tier; its header carries no metadata (Exif, ICC,
/// XMP, text); its base64 text is within the profile's cap; and the output policy is `Auto`
/// or names its format. Anything else is decoded and encoded anew.
pub fn prepare(bytes: &[u8], options: &PrepareOptions) -> Result<Prepared, PrepareError> {
    Preparer::new().prepare(bytes, options)
}

/// Prepares the file at `path`: its header is probed first (a FIFO or device is refused
/// unopened, an absurd declared size is refused unread), then it is read and prepared.
pub fn prepare_path(
    path: impl AsRef<std::path::Path>,
    options: &PrepareOptions,
) -> Result<Prepared, PrepareError> {
    Preparer::new().prepare_path(path, options)
}

/// `probe` when it describes `bytes` (same length), else a fresh probe of them kept in `slot`.
fn probe_of<'a>(
    bytes: &[u8],
    probe: &'a Probe,
    options: &PrepareOptions,
    slot: &'a mut Option<Probe>,
) -> Result<&'a Probe, PrepareError> {
    if probe.bytes == bytes.len() as u64 {
        return Ok(probe);
    }
    Ok(slot.insert(probe_bytes(bytes, &options.limits)?))
}

/// Refuses a file over [`Limits::max_file_bytes`] before it is read whole.
fn check_file_size(probe: &Probe, options: &PrepareOptions) -> Result<(), PrepareError> {
    check_file_bytes(probe, &options.limits)
}

/// Refuses a file of `probe`'s size when it is over [`Limits::max_file_bytes`], before it is
/// read whole (a caller that reads files itself, as a benchmark does, checks here first).
pub fn check_file_bytes(probe: &Probe, limits: &Limits) -> Result<(), PrepareError> {
    if probe.bytes > limits.max_file_bytes {
        return Err(PrepareError::MemoryLimit {
            format: probe.format,
            reason: format!(
                "the file is {} bytes, over the {}-byte limit for reading it whole",
                probe.bytes, limits.max_file_bytes
            ),
        });
    }
    Ok(())
}

pub(crate) fn finish(
    bytes: Vec<u8>,
    media_type: MediaType,
    probe: &Probe,
    target: Size,
    actions: Actions,
    options: &PrepareOptions,
) -> Prepared {
    let tokens = options.token_rule.tokens(target, options.target.tier());
    Prepared {
        bytes,
        media_type,
        input_format: probe.format,
        input_size: probe.displayed(),
        output_size: target,
        tokens,
        usd: options.target.token_price().times(tokens),
        actions,
        truncated: probe.truncated,
        tile: None,
    }
}

/// The media type to send the input under, if it can go as it is.
fn ready_as_is(
    probe: &Probe,
    target: Size,
    len: u64,
    options: &PrepareOptions,
) -> Option<MediaType> {
    let media_type = probe.media_type()?;
    let policy_ok = match options.output {
        OutputPolicy::Auto => true,
        OutputPolicy::Jpeg => media_type == MediaType::Jpeg,
        OutputPolicy::Png => media_type == MediaType::Png,
        OutputPolicy::Webp => media_type == MediaType::Webp,
    };
    let ready = policy_ok
        && !probe.truncated
        && !probe.animated
        && probe.orientation.is_identity()
        && target == probe.displayed()
        && !probe.metadata.any()
        // Arithmetic-coded, lossless and 12-bit JPEGs are valid, but few decoders take them.
        && !probe
            .jpeg
            .is_some_and(|j| j.arithmetic || j.lossless || j.precision != 8)
        && options.request.image_bytes_ok(len)
        && probe.displayed().long_edge() <= options.request.max_side;
    ready.then_some(media_type)
}
