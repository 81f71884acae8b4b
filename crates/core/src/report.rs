//! Estimates and reports: what an image costs on each model, what is wrong with it, and the
//! totals over many images. These are the types behind `visionprep cost --format json`.

use crate::geometry::{Size, Tier, TierLimits, fit_target};
use crate::limits::{RequestLimits, base64_len};
use crate::media::Format;
use crate::money::Usd;
use crate::orientation::Orientation;
use crate::pricing::{CostOptions, ModelPrice, PriceError, PriceTable};
use crate::tokens::TokenRule;
use std::fmt;

/// Below this many pixels on an edge, images may give worse results (SPEC section 3).
pub const SMALL_EDGE: u32 = 200;

/// The numbers of both tiers, overridable as a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TierTable {
    /// Numbers of the standard tier. Default [`TierLimits::STANDARD`].
    pub standard: TierLimits,
    /// Numbers of the high-resolution tier. Default [`TierLimits::HIGH_RESOLUTION`].
    pub high_resolution: TierLimits,
}

impl Default for TierTable {
    fn default() -> Self {
        Self {
            standard: TierLimits::STANDARD,
            high_resolution: TierLimits::HIGH_RESOLUTION,
        }
    }
}

impl TierTable {
    /// The numbers of `tier`.
    pub const fn limits(&self, tier: Tier) -> TierLimits {
        match tier {
            Tier::Standard => self.standard,
            Tier::HighResolution => self.high_resolution,
        }
    }
}

/// What one image costs on one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelEstimate {
    /// The model's tier.
    pub tier: Tier,
    /// Whether the API would resize the image (as sent) for this model.
    pub resized: bool,
    /// The width the model sees.
    pub target_width: u32,
    /// The height the model sees.
    pub target_height: u32,
    /// Tokens billed for the image.
    pub tokens: u64,
    /// What those tokens cost.
    pub usd: Usd,
}

impl ModelEstimate {
    /// The size the model sees.
    pub const fn target(&self) -> Size {
        Size::new(self.target_width, self.target_height)
    }
}

/// Estimates images for a fixed list of models: resolve the names once, then call
/// [`Estimator::estimate`] for every image (about 20 ns per model).
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use visionprep_core::{Estimator, PriceTable, Size, TokenRule};
/// let table = PriceTable::builtin();
/// let est = Estimator::new(&table, &["claude-sonnet-4-6", "claude-opus-4-7"], TokenRule::Area750)?;
/// let [sonnet, opus] = est.estimate(Size::new(1920, 1080))[..] else { unreachable!() };
/// assert_eq!((sonnet.target_width, sonnet.target_height, sonnet.tokens), (1456, 819, 1590));
/// assert!(!opus.resized, "the high-resolution tier keeps 1920x1080");
/// # }
/// # Ok::<(), visionprep_core::PriceError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Estimator {
    models: Vec<ModelPrice>,
    token_prices: Vec<Usd>,
    /// The token rule in use.
    pub rule: TokenRule,
    /// The tier numbers in use.
    pub tiers: TierTable,
}

impl Estimator {
    /// An estimator for `models` (any accepted name form) priced from `table`, with default
    /// tiers and cost options.
    pub fn new(
        table: &PriceTable,
        models: &[impl AsRef<str>],
        rule: TokenRule,
    ) -> Result<Self, PriceError> {
        Self::with_options(
            table,
            models,
            rule,
            TierTable::default(),
            &CostOptions::default(),
        )
    }

    /// An estimator with explicit tier numbers and cost options.
    pub fn with_options(
        table: &PriceTable,
        models: &[impl AsRef<str>],
        rule: TokenRule,
        tiers: TierTable,
        options: &CostOptions,
    ) -> Result<Self, PriceError> {
        let mut resolved: Vec<ModelPrice> = Vec::new();
        for name in models {
            let m = table.get(name.as_ref())?;
            if !resolved.iter().any(|r| r.id == m.id) {
                resolved.push(m.clone());
            }
        }
        let token_prices = resolved
            .iter()
            .map(|m| m.token_price(table.modifiers(), options))
            .collect();
        Ok(Self {
            models: resolved,
            token_prices,
            rule,
            tiers,
        })
    }

    /// The resolved models, in the order given (duplicates removed).
    pub fn models(&self) -> &[ModelPrice] {
        &self.models
    }

    /// The estimate for an image seen at `displayed` size, one per model.
    pub fn estimate(&self, displayed: Size) -> Vec<ModelEstimate> {
        self.models
            .iter()
            .zip(&self.token_prices)
            .map(|(m, price)| self.estimate_one(displayed, m.tier, *price))
            .collect()
    }

    fn estimate_one(&self, displayed: Size, tier: Tier, token_price: Usd) -> ModelEstimate {
        let limits = self.tiers.limits(tier);
        let target = fit_target(displayed, limits);
        let tokens = self.rule.tokens(target, limits);
        ModelEstimate {
            tier,
            resized: target != displayed,
            target_width: target.width,
            target_height: target.height,
            tokens,
            usd: token_price.times(tokens),
        }
    }
}

/// Something about an image worth telling the user; it does not stop the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ProblemCode {
    /// Not one of the four API formats: must be converted (the report's `format` names it).
    UnsupportedFormat,
    /// The file name's extension names another image format than the bytes.
    ExtensionMismatch,
    /// An edge is over the API's per-side limit (8000 px): rejected as it is.
    OverMaxSide,
    /// An edge is under 200 px: results may suffer.
    #[cfg_attr(feature = "serde", serde(rename = "under-200px"))]
    Under200px,
    /// The base64 text is over the profile's per-image limit: rejected as it is.
    OverByteLimit,
    /// Animated: the model sees only the first frame.
    Animated,
    /// Stored sideways or mirrored with an EXIF tag: seen that way unless prepared.
    ExifRotated,
    /// Data ended early; read leniently.
    Truncated,
}

impl ProblemCode {
    /// The stable code used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemCode::UnsupportedFormat => "unsupported-format",
            ProblemCode::ExtensionMismatch => "extension-mismatch",
            ProblemCode::OverMaxSide => "over-max-side",
            ProblemCode::Under200px => "under-200px",
            ProblemCode::OverByteLimit => "over-byte-limit",
            ProblemCode::Animated => "animated",
            ProblemCode::ExifRotated => "exif-rotated",
            ProblemCode::Truncated => "truncated",
        }
    }

    /// What the problem means for the user, in one sentence fragment.
    pub const fn description(self) -> &'static str {
        match self {
            ProblemCode::UnsupportedFormat => "not a format the API accepts: it must be converted",
            ProblemCode::ExtensionMismatch => "the file name's extension names another format",
            ProblemCode::OverMaxSide => "over 8000 px on a side: the API rejects it as is",
            ProblemCode::Under200px => "under 200 px on a side: results may suffer",
            ProblemCode::OverByteLimit => "over the per-image byte limit once base64-encoded",
            ProblemCode::Animated => "animated: the model sees the first frame only",
            ProblemCode::ExifRotated => "turned by an EXIF tag: seen sideways unless prepared",
            ProblemCode::Truncated => "the data ends early",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an image could not be assessed at all. Stable codes shared by every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ErrorCode {
    /// The file could not be opened or read (permissions, vanished, not a regular file).
    Unreadable,
    /// The file is empty.
    Empty,
    /// The bytes are no image format visionprep knows.
    NotAnImage,
    /// A recognised format that cannot be read or converted (PDF, SVG, ...).
    UnsupportedFormat,
    /// The data ends before the image does.
    Truncated,
    /// The data is not a valid image of its format.
    Corrupt,
    /// The declared size is beyond the configured pixel limit.
    DimensionsTooLarge,
    /// Decoding would need more memory than the configured limit.
    MemoryLimit,
    /// The output could not be encoded (or not under the byte limit).
    EncodeFailed,
    /// Writing an output failed.
    Io,
}

impl ErrorCode {
    /// The stable code used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unreadable => "unreadable",
            ErrorCode::Empty => "empty",
            ErrorCode::NotAnImage => "not-an-image",
            ErrorCode::UnsupportedFormat => "unsupported-format",
            ErrorCode::Truncated => "truncated",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::DimensionsTooLarge => "dimensions-too-large",
            ErrorCode::MemoryLimit => "memory-limit",
            ErrorCode::EncodeFailed => "encode-failed",
            ErrorCode::Io => "io",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts about an image that decide its problems: what a header read gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts<'a> {
    /// The sniffed format.
    pub format: Format,
    /// The size as stored.
    pub stored: Size,
    /// The EXIF (or container) orientation.
    pub orientation: Orientation,
    /// Whether the image has more than one frame.
    pub animated: bool,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The file name's extension, if any.
    pub extension: Option<&'a str>,
    /// The data ends before the image does (read leniently).
    pub truncated: bool,
}

impl ImageFacts<'_> {
    /// The size the image is seen at, upright.
    pub const fn displayed(&self) -> Size {
        self.orientation.displayed(self.stored)
    }

    /// Every problem of the image as it is, against `limits`, in a stable order.
    pub fn problems(&self, limits: &RequestLimits) -> Vec<ProblemCode> {
        let d = self.displayed();
        let mut out = Vec::new();
        if !self.format.is_api_format() {
            out.push(ProblemCode::UnsupportedFormat);
        }
        if let Some(ext) = self.extension
            && Format::is_image_extension(ext)
            && !self.format.matches_extension(ext)
        {
            out.push(ProblemCode::ExtensionMismatch);
        }
        out.extend(size_problems(d, limits));
        if base64_len(self.bytes) > limits.max_image_base64_bytes {
            out.push(ProblemCode::OverByteLimit);
        }
        if self.animated {
            out.push(ProblemCode::Animated);
        }
        if !self.orientation.is_identity() {
            out.push(ProblemCode::ExifRotated);
        }
        if self.truncated {
            out.push(ProblemCode::Truncated);
        }
        out
    }
}

/// The problems an image has by its displayed size alone: `over-max-side`, `under-200px`.
pub fn size_problems(displayed: Size, limits: &RequestLimits) -> impl Iterator<Item = ProblemCode> {
    let over = displayed.long_edge() > limits.max_side;
    let small = displayed.short_edge() < SMALL_EDGE;
    [
        (over, ProblemCode::OverMaxSide),
        (small, ProblemCode::Under200px),
    ]
    .into_iter()
    .filter_map(|(has, code)| has.then_some(code))
}

/// Model ids paired with their estimates, in the order the models were asked for. Serialises
/// as a JSON object keyed by model id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelMap<T>(pub Vec<(String, T)>);

#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for ModelMap<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A per-file error in a report: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ReportError {
    /// The stable code.
    pub code: ErrorCode,
    /// What happened, for people.
    pub message: String,
}

/// One file's line in a cost report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FileReport {
    /// The path as given or found by the walk; see [`PathText`] for names that are not UTF-8.
    pub path: String,
    /// Whether `path` is escaped ([`PathText::escape`]): only for names that are not UTF-8.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_false"))]
    pub path_escaped: bool,
    /// The sniffed MIME type (`image/tiff` for a TIFF), `None` when the bytes are unknown.
    pub media_type: Option<&'static str>,
    /// The sniffed format's name (`JPEG`, `HEIC`), `None` when unknown.
    pub format: Option<&'static str>,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The width as displayed (after EXIF orientation).
    pub width: Option<u32>,
    /// The height as displayed.
    pub height: Option<u32>,
    /// The estimate per model.
    pub models: ModelMap<ModelEstimate>,
    /// Problems with the file as it is.
    pub problems: Vec<ProblemCode>,
    /// Why the file could not be assessed, if it could not.
    pub error: Option<ReportError>,
}

#[cfg(feature = "serde")]
fn is_false(b: &bool) -> bool {
    !*b
}

/// A file name as report text, lossless even when the name is not UTF-8 (Unix names are any
/// bytes but `/` and NUL; JSON strings are Unicode).
///
/// A UTF-8 name is its own text. Any other name is escaped: each byte that is not part of
/// valid UTF-8 becomes `\xNN` (two upper-case hex digits) and each backslash `\\`, and the
/// report says so (`path_escaped: true`), so [`PathText::unescape`] gives the bytes back.
///
/// ```
/// use visionprep_core::PathText;
/// let raw = b"photos/caf\xe9\\1.jpg"; // Latin-1 e-acute and a backslash
/// let text = PathText::escape(raw);
/// assert_eq!(text.text, r"photos/caf\xE9\\1.jpg");
/// assert!(text.escaped);
/// assert_eq!(PathText::unescape(&text.text), Some(raw.to_vec()));
/// assert_eq!(PathText::escape("café.jpg".as_bytes()).text, "café.jpg");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathText {
    /// The text to show.
    pub text: String,
    /// Whether it is escaped (the name is not UTF-8).
    pub escaped: bool,
}

impl PathText {
    /// The text of a name given as its bytes.
    pub fn escape(bytes: &[u8]) -> PathText {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return PathText {
                text: text.to_owned(),
                escaped: false,
            };
        }
        let mut text = String::new();
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    text.push_str("\\\\");
                } else {
                    text.push(c);
                }
            }
            for b in chunk.invalid() {
                text.push_str(&format!("\\x{b:02X}"));
            }
        }
        PathText {
            text,
            escaped: true,
        }
    }

    /// The bytes of an escaped name; `None` when `text` is not a valid escape.
    pub fn unescape(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find('\\') {
            out.extend_from_slice(&rest.as_bytes()[..i]);
            let tail = &rest[i + 1..];
            if let Some(after) = tail.strip_prefix('\\') {
                out.push(b'\\');
                rest = after;
            } else {
                let hex = tail.strip_prefix('x')?.get(..2)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &tail[3..];
            }
        }
        out.extend_from_slice(rest.as_bytes());
        Some(out)
    }
}

/// The totals of one model over a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelTotals {
    /// Tokens over all images.
    pub tokens: u64,
    /// Cost over all images.
    pub usd: Usd,
}

/// The totals of a report. Serialised with each model's `usd_per_1000_images` (the average
/// cost of 1,000 such images) beside its `tokens` and `usd`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Files looked at.
    pub files: u64,
    /// Files that were estimated.
    pub images: u64,
    /// Files that could not be.
    pub errors: u64,
    /// Bytes of all files.
    pub bytes: u64,
    /// Per model, in the order asked for.
    pub models: ModelMap<ModelTotals>,
}

impl Totals {
    /// Empty totals for `models`.
    pub fn new(models: &[ModelPrice]) -> Self {
        Self {
            models: ModelMap(
                models
                    .iter()
                    .map(|m| (m.id.clone(), ModelTotals::default()))
                    .collect(),
            ),
            ..Self::default()
        }
    }

    /// Adds one file's line.
    pub fn add(&mut self, file: &FileReport) {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(file.bytes);
        if file.error.is_some() {
            self.errors += 1;
            return;
        }
        self.images += 1;
        for ((_, total), (_, est)) in self.models.0.iter_mut().zip(&file.models.0) {
            total.tokens = total.tokens.saturating_add(est.tokens);
            total.usd += est.usd;
        }
    }

    /// The average cost of 1,000 images like those counted, for one model's totals.
    pub fn per_1000_images(&self, model: &ModelTotals) -> Usd {
        model.usd.times(1000).divided_by(self.images)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Totals {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(serde::Serialize)]
        struct Model {
            tokens: u64,
            usd: Usd,
            usd_per_1000_images: Usd,
        }
        let models = ModelMap(
            self.models
                .0
                .iter()
                .map(|(id, m)| {
                    let usd_per_1000_images = self.per_1000_images(m);
                    (
                        id.clone(),
                        Model {
                            tokens: m.tokens,
                            usd: m.usd,
                            usd_per_1000_images,
                        },
                    )
                })
                .collect(),
        );
        let mut st = s.serialize_struct("Totals", 5)?;
        st.serialize_field("files", &self.files)?;
        st.serialize_field("images", &self.images)?;
        st.serialize_field("errors", &self.errors)?;
        st.serialize_field("bytes", &self.bytes)?;
        st.serialize_field("models", &models)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(format: Format, w: u32, h: u32) -> ImageFacts<'static> {
        ImageFacts {
            format,
            stored: Size::new(w, h),
            orientation: Orientation::Normal,
            animated: false,
            bytes: 1000,
            extension: None,
            truncated: false,
        }
    }

    #[test]
    fn problems_in_order() {
        let limits = RequestLimits::PORTABLE;
        assert!(facts(Format::Jpeg, 1000, 800).problems(&limits).is_empty());
        let mut f = facts(Format::Tiff, 9000, 150);
        f.extension = Some("png");
        f.animated = true;
        f.orientation = Orientation::Rotate90;
        f.bytes = 4_000_000;
        assert_eq!(
            f.problems(&limits),
            vec![
                ProblemCode::UnsupportedFormat,
                ProblemCode::ExtensionMismatch,
                ProblemCode::OverMaxSide,
                ProblemCode::Under200px,
                ProblemCode::OverByteLimit,
                ProblemCode::Animated,
                ProblemCode::ExifRotated,
            ]
        );
        f.extension = Some("bin");
        assert!(
            !f.problems(&limits)
                .contains(&ProblemCode::ExtensionMismatch)
        );
        f.extension = Some("TIF");
        assert!(
            !f.problems(&limits)
                .contains(&ProblemCode::ExtensionMismatch)
        );
        // 8000 is allowed, 8001 is not; the displayed size counts.
        assert!(facts(Format::Png, 8000, 300).problems(&limits).is_empty());
        let mut turned = facts(Format::Png, 300, 8001);
        assert_eq!(turned.problems(&limits), vec![ProblemCode::OverMaxSide]);
        turned.orientation = Orientation::Rotate270;
        assert_eq!(turned.displayed(), Size::new(8001, 300));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn totals_add_up_exactly() {
        let table = PriceTable::builtin();
        let est = Estimator::new(&table, &["sonnet-4.5", "opus-4.7"], TokenRule::Area750).unwrap();
        let mut totals = Totals::new(est.models());
        let file = |w, h, error: Option<ReportError>| FileReport {
            path: "x".into(),
            path_escaped: false,
            media_type: Some("image/png"),
            format: Some("PNG"),
            bytes: 10,
            width: Some(w),
            height: Some(h),
            models: ModelMap(
                est.models()
                    .iter()
                    .map(|m| m.id.clone())
                    .zip(est.estimate(Size::new(w, h)))
                    .collect(),
            ),
            problems: vec![],
            error,
        };
        totals.add(&file(200, 200, None));
        totals.add(&file(1000, 1000, None));
        totals.add(&file(
            1,
            1,
            Some(ReportError {
                code: ErrorCode::Corrupt,
                message: "x".into(),
            }),
        ));
        assert_eq!(
            (totals.files, totals.images, totals.errors, totals.bytes),
            (3, 2, 1, 30)
        );
        let (id, sonnet) = &totals.models.0[0];
        assert_eq!(id, "claude-sonnet-4-5");
        assert_eq!(sonnet.tokens, 54 + 1334);
        assert_eq!(sonnet.usd.to_string(), "0.004164");
        assert_eq!(totals.per_1000_images(sonnet).to_string(), "2.082");
        let json = serde_json::to_value(&totals).unwrap();
        assert_eq!(
            json["models"]["claude-sonnet-4-5"]["usd_per_1000_images"],
            2.082
        );
        assert_eq!(json["models"]["claude-opus-4-7"]["tokens"], 54 + 1334);
    }
}
