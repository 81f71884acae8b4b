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
//! fast_image_resize to the core's [`fit_target`] for the model's tier, convert an embedded
//! ICC profile to sRGB, apply the EXIF orientation, and encode by the [`OutputPolicy`],
//! lowering the quality (or moving to JPEG) until the base64 text is under the profile's cap.

mod codecs;
mod color;
mod decode;
pub(crate) mod encode;
#[cfg(feature = "heif")]
mod heif;
#[cfg(feature = "jxl")]
mod jxl;
#[cfg(feature = "libjpeg")]
mod libjpeg;
#[cfg(feature = "libwebp")]
mod libwebp;
pub(crate) mod pixels;
mod resize;
mod tiles;

pub use codecs::{CodecInfo, codecs};
pub use decode::can_decode;
pub use resize::{Filter, UnknownFilter};
pub use tiles::TilePart;

use crate::limits::Limits;
use crate::probe::{Probe, ProbeError, probe_bytes};
use encode::Codec;
use fast_image_resize::Resizer;
use pixels::{Layout, Pixels};
use std::fmt;
use std::str::FromStr;
use visionprep_core::{
    CostOptions, Format, MediaType, ModelPrice, PriceError, PriceTable, Profile, RequestLimits,
    Size, TierLimits, TileOptions, TokenRule, Usd, budget_target, fit_target,
};

/// What format prepared images are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputPolicy {
    /// Keep the input's format where the API takes it and a good encoder exists: JPEG stays
    /// JPEG, PNG stays PNG (screenshots and text stay lossless), lossless WebP stays WebP; GIF
    /// becomes PNG (its first frame); lossy WebP stays lossy WebP with the `libwebp` feature
    /// when photographic or transparent (JPEG instead for an opaque photograph when that is
    /// smaller), and becomes PNG when drawn (screenshots, charts, scanned pages); without
    /// libwebp, JPEG when photographic, PNG with transparency or drawn content;
    /// formats the API refuses become PNG when they have transparency or look drawn, JPEG when
    /// they look photographic. Default.
    #[default]
    Auto,
    /// Always JPEG (transparency composited onto the background colour).
    Jpeg,
    /// Always PNG.
    Png,
    /// Always lossless WebP.
    Webp,
}

impl FromStr for OutputPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(OutputPolicy::Auto),
            "jpeg" | "jpg" => Ok(OutputPolicy::Jpeg),
            "png" => Ok(OutputPolicy::Png),
            "webp" => Ok(OutputPolicy::Webp),
            _ => Err(format!(
                "unknown output format {s:?} (expected auto, jpeg, png or webp)"
            )),
        }
    }
}

/// The model images are prepared for, resolved once from the model data: its id, the fit
/// rule's numbers of its tier and the price of one of its input tokens. The fields are private
/// so that they cannot disagree; [`Target::with_tier_limits`] changes the tier's numbers
/// deliberately (when the API changes them before the data does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    model: String,
    tier: TierLimits,
    token_price: Usd,
}

impl Target {
    /// The target of a model entry, priced with `table`'s modifiers (no batch or cache use).
    pub fn new(table: &PriceTable, model: &ModelPrice) -> Target {
        Target {
            model: model.id.clone(),
            tier: model.tier.limits(),
            token_price: model.token_price(table.modifiers(), &CostOptions::default()),
        }
    }

    /// The same model with other tier numbers.
    pub fn with_tier_limits(mut self, tier: TierLimits) -> Target {
        self.tier = tier;
        self
    }

    /// The model's id.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The fit rule's numbers.
    pub fn tier(&self) -> TierLimits {
        self.tier
    }

    /// The price of one input token.
    pub fn token_price(&self) -> Usd {
        self.token_price
    }
}

/// How to prepare images. Plain data: build one with [`PrepareOptions::for_model`] (or take
/// the default, the model data's default model: [`PriceTable::default_model`]) and change what
/// you need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareOptions {
    /// The model the images are for. Default: [`PriceTable::default_model`] of the built-in
    /// data (`claude-sonnet-4-6` as of its date).
    pub target: Target,
    /// How tokens are counted in the estimate. Default `area750`.
    pub token_rule: TokenRule,
    /// The request limits (the per-image byte cap above all). Default `portable`.
    pub request: RequestLimits,
    /// JPEG quality, 1-100. Default 85.
    pub quality: u8,
    /// The lowest JPEG quality the byte cap may push to. Default 40.
    pub min_quality: u8,
    /// The resampling filter. Default Lanczos3.
    pub filter: Filter,
    /// The output format. Default [`OutputPolicy::Auto`].
    pub output: OutputPolicy,
    /// The colour transparency is composited onto when the output is JPEG. Default white.
    pub background: [u8; 3],
    /// Decode limits. Default [`Limits::DEFAULT`].
    pub limits: Limits,
    /// A per-image token budget: images are prepared at the largest size whose tokens under
    /// `token_rule` are within it ([`budget_target`]) instead of the largest size the API
    /// keeps. Default none. Tiles ([`Preparer::prepare_parts`]) are not held to it: they exist
    /// to spend tokens on legibility.
    pub token_budget: Option<u64>,
    /// Tiling of images the API would shrink too much ([`Preparer::prepare_parts`]; the
    /// one-image calls, [`prepare`] and [`Preparer::prepare`], never tile). Default: never.
    pub tiles: TileOptions,
}

impl PrepareOptions {
    /// Options for the model `name` (any accepted form) priced from `table`.
    pub fn for_model(table: &PriceTable, name: &str) -> Result<Self, PriceError> {
        Ok(Self::for_price(table, table.get(name)?))
    }

    /// Options for a model entry already resolved (a custom one included), priced from
    /// `table`'s modifiers.
    pub fn for_price(table: &PriceTable, m: &ModelPrice) -> Self {
        PrepareOptions {
            target: Target::new(table, m),
            token_rule: TokenRule::default(),
            request: RequestLimits::default(),
            quality: 85,
            min_quality: 40,
            filter: Filter::default(),
            output: OutputPolicy::default(),
            background: [255, 255, 255],
            limits: Limits::DEFAULT,
            token_budget: None,
            tiles: TileOptions::default(),
        }
    }

    /// Refuses options that contradict each other: a token budget with tiling (tiles keep
    /// resolution, a budget gives it up).
    pub fn check(&self) -> Result<(), String> {
        self.tiles.check_budget(self.token_budget)
    }

    /// The size an image displayed at `displayed` is prepared at when sent whole: the largest
    /// size the API keeps ([`fit_target`]), or within the token budget ([`budget_target`]).
    ///
    /// ```
    /// use visionprep::core::Size;
    /// use visionprep::prepare::PrepareOptions;
    /// let mut options = PrepareOptions::default();
    /// assert_eq!(options.output_size(Size::new(4032, 3024)), Size::new(1270, 952));
    /// options.token_budget = Some(800);
    /// assert_eq!(options.output_size(Size::new(4032, 3024)), Size::new(894, 670));
    /// ```
    pub fn output_size(&self, displayed: Size) -> Size {
        let tier = self.target.tier();
        match self.token_budget {
            Some(n) => budget_target(displayed, tier, self.token_rule, n),
            None => fit_target(displayed, tier),
        }
    }
}

impl PrepareOptions {
    /// Options for the model entry `m` (from [`PriceTable::select`]) whose outputs meet
    /// `profile`'s limits for that model, with the JPEG quality `quality` (the byte cap may
    /// lower it, never below `min(quality, 40)`). Every front end (the CLI's `prepare`,
    /// `request` and `batch`, the Python package) builds its options here, so that the same
    /// flags give the same bytes.
    pub fn for_profile(table: &PriceTable, m: &ModelPrice, profile: Profile, quality: u8) -> Self {
        let mut options = Self::for_price(table, m);
        options.request = profile.limits_for(m);
        options.quality = quality.clamp(1, 100);
        options.min_quality = options.min_quality.min(options.quality);
        options
    }
}

impl Default for PrepareOptions {
    fn default() -> Self {
        let table = PriceTable::builtin();
        match table.default_model() {
            Ok(m) => PrepareOptions::for_price(&table, m),
            // The built-in data has a current Sonnet; its unit tests check it.
            Err(e) => unreachable!("built-in model data has no default model: {e}"),
        }
    }
}

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
        let input_size = probe.displayed();
        let target = options.output_size(input_size);
        if let Some(media_type) = ready_as_is(probe, target, bytes.len() as u64, options) {
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
        let decoded = decode::decode(bytes, probe, stored_target, &options.limits)?;
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

/// The steps of preparing an image, in order, as a benchmark times them
/// ([`Preparer::prepare_timed`]).
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
struct NoClock;

impl Clock for NoClock {
    #[inline(always)]
    fn lap(&mut self, _: Stage) {}
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

/// Encodes `pixels` (upright, at `target`) by `codec` under the byte cap and completes the
/// result: the last step of every prepared image, whole or tile.
fn encode_finish(
    pixels: &Pixels,
    codec: Codec,
    probe: &Probe,
    target: Size,
    mut actions: Actions,
    options: &PrepareOptions,
) -> Result<Prepared, PrepareError> {
    let (out, media_type) = encode_under_cap(pixels, codec, options, &mut actions)?;
    actions.converted = probe.format.media_type() != Some(media_type);
    Ok(finish(out, media_type, probe, target, actions, options))
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

fn finish(
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

fn choose_codec(probe: &Probe, pixels: &Pixels, policy: OutputPolicy) -> Codec {
    let alpha = pixels.layout == Layout::Rgba;
    match policy {
        OutputPolicy::Jpeg => Codec::Jpeg,
        OutputPolicy::Png => Codec::Png,
        OutputPolicy::Webp => Codec::WebpLossless,
        OutputPolicy::Auto => match probe.format {
            Format::Jpeg => Codec::Jpeg,
            Format::Png | Format::Gif => Codec::Png,
            Format::Webp if probe.webp.is_some_and(|w| w.lossless) => Codec::WebpLossless,
            // A lossy WebP stays lossy WebP where libwebp is built in: smaller than a JPEG of
            // it as a rule (the encoder checks, for photographs), and alpha survives.
            #[cfg(feature = "libwebp")]
            Format::Webp if alpha || pixels.looks_photographic() => Codec::WebpLossy,
            Format::Webp if alpha || !pixels.looks_photographic() => Codec::Png,
            Format::Webp => Codec::Jpeg,
            _ if alpha || !pixels.looks_photographic() => Codec::Png,
            _ => Codec::Jpeg,
        },
    }
}

/// Encodes with `codec`; over the cap, a lossless codec moves to JPEG and a lossy one lowers
/// its quality in steps of 10 down to the options' minimum.
fn encode_under_cap(
    pixels: &Pixels,
    codec: Codec,
    options: &PrepareOptions,
    actions: &mut Actions,
) -> Result<(Vec<u8>, MediaType), PrepareError> {
    let cap = |bytes: &[u8]| options.request.image_bytes_ok(bytes.len() as u64);
    let lossless = match codec {
        Codec::Png => Some(encode::png(pixels)),
        Codec::WebpLossless => Some(encode::webp_lossless(pixels)),
        _ => None,
    };
    if let Some(out) = lossless {
        let out = out?;
        if cap(&out) {
            return Ok((out, codec.media_type()));
        }
    }
    let flat;
    let opaque = if pixels.layout == Layout::Rgba && !codec.lossy_keeps_alpha() {
        flat = pixels.flatten(options.background);
        &flat
    } else {
        pixels
    };
    let mut quality = options.quality.clamp(1, 100);
    loop {
        let (out, media_type) = encode_lossy(pixels, opaque, codec, quality)?;
        if cap(&out) {
            if quality < options.quality {
                actions.quality_lowered_to = Some(quality);
            }
            actions.flattened = pixels.layout == Layout::Rgba && media_type == MediaType::Jpeg;
            return Ok((out, media_type));
        }
        if quality <= options.min_quality {
            return Err(PrepareError::Encode(format!(
                "{} bytes at quality {quality} is still over the {}-byte base64 limit",
                out.len(),
                options.request.max_image_base64_bytes
            )));
        }
        quality = quality.saturating_sub(10).max(options.min_quality);
    }
}

/// One lossy encoding at `quality`: JPEG of the `opaque` pixels, or (lossy WebP) a WebP of the
/// `pixels` with their alpha, or the JPEG when the image is opaque and that is smaller.
fn encode_lossy(
    pixels: &Pixels,
    opaque: &Pixels,
    codec: Codec,
    quality: u8,
) -> Result<(Vec<u8>, MediaType), PrepareError> {
    #[cfg(feature = "libwebp")]
    if codec == Codec::WebpLossy {
        let webp = libwebp::encode_lossy(pixels, quality)?;
        if pixels.layout == Layout::Rgba {
            return Ok((webp, MediaType::Webp));
        }
        let jpeg = encode::jpeg(opaque, quality)?;
        return Ok(if webp.len() <= jpeg.len() {
            (webp, MediaType::Webp)
        } else {
            (jpeg, MediaType::Jpeg)
        });
    }
    let _ = (pixels, codec);
    Ok((encode::jpeg(opaque, quality)?, MediaType::Jpeg))
}
