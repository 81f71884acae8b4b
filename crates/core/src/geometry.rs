//! The fit rule: when the API resizes an image, and to what.
//!
//! The API cuts every image into square patches (28 px) and resizes, before the model sees it,
//! any image whose padded edges exceed the tier's long-edge limit or whose patch count exceeds
//! the tier's patch limit. [`fit_target`] computes the size the API would resize to, exactly as
//! Anthropic's reference code does (SPEC section 3): a binary search on the long edge for the
//! largest size that [`fits`], the short edge following the aspect ratio with half-to-even
//! rounding. Sending an image already at that size saves upload time and latency and costs
//! nothing in quality.
//!
//! All arithmetic is integer and exact (`u64`/`u128`), so every `u32` size is handled without
//! overflow or panic, and the half-to-even tie rule is applied to the exact ratio rather than to
//! a floating-point approximation of it.

use std::fmt;

/// A width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Size {
    /// A size of `width` x `height` pixels.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// The pixel count, exact for every `u32` size.
    pub const fn area(self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// The longer of the two edges.
    pub const fn long_edge(self) -> u32 {
        if self.width >= self.height {
            self.width
        } else {
            self.height
        }
    }

    /// The shorter of the two edges.
    pub const fn short_edge(self) -> u32 {
        if self.width >= self.height {
            self.height
        } else {
            self.width
        }
    }

    /// The same size with width and height exchanged (a quarter turn).
    pub const fn transposed(self) -> Self {
        Self {
            width: self.height,
            height: self.width,
        }
    }

    /// True when either edge is zero (no image has such a size).
    pub const fn is_empty(self) -> bool {
        self.width == 0 || self.height == 0
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A rectangle of an image in pixels: `x`, `y` of its top-left corner, its width and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    /// The whole of an image of `size`.
    pub const fn whole(size: Size) -> Rect {
        Rect {
            x: 0,
            y: 0,
            width: size.width,
            height: size.height,
        }
    }

    /// The rectangle's size.
    pub const fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }

    /// One past the right edge.
    pub const fn right(&self) -> u64 {
        self.x as u64 + self.width as u64
    }

    /// One past the bottom edge.
    pub const fn bottom(&self) -> u64 {
        self.y as u64 + self.height as u64
    }
}

/// A model family's resolution class, which decides the numbers of the fit rule.
///
/// SPEC section 3: the guide's models and all others are `Standard`; Claude 4.7 and later are
/// `HighResolution`. The numbers of each live in [`TierLimits`], which users may override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Tier {
    /// 1568 px long edge, 1568 patches.
    Standard,
    /// 2576 px long edge, 4784 patches.
    HighResolution,
}

impl Tier {
    /// The documented numbers of this tier (SPEC section 3).
    pub const fn limits(self) -> TierLimits {
        match self {
            Tier::Standard => TierLimits::STANDARD,
            Tier::HighResolution => TierLimits::HIGH_RESOLUTION,
        }
    }

    /// The name used in reports: `standard` or `high-resolution`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "standard",
            Tier::HighResolution => "high-resolution",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tier name that is neither `standard` nor `high-resolution`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier {0:?} (expected standard or high-resolution)")]
pub struct UnknownTier(pub String);

impl std::str::FromStr for Tier {
    type Err = UnknownTier;

    /// `standard`, or `high-resolution` (also `high`), in any case.
    fn from_str(s: &str) -> Result<Tier, UnknownTier> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Tier::Standard),
            "high-resolution" | "high_resolution" | "high" => Ok(Tier::HighResolution),
            _ => Err(UnknownTier(s.to_owned())),
        }
    }
}

/// The three numbers of a tier's fit rule. The API changes them from time to time, so they are
/// data: the constants give the SPEC values, and [`TierLimits::new`] builds others.
///
/// Invariant (checked by [`TierLimits::new`]): `patch_size >= 1`, `max_edge >= patch_size` and
/// `max_patches >= 1`, so that a 1x1 image always fits and [`fit_target`] always has an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawTierLimits"))]
pub struct TierLimits {
    max_edge: u32,
    max_patches: u32,
    patch_size: u32,
}

/// The unchecked form of [`TierLimits`], as read from a file.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTierLimits {
    max_edge: u32,
    max_patches: u32,
    #[serde(default = "default_patch_size")]
    patch_size: u32,
}

#[cfg(feature = "serde")]
fn default_patch_size() -> u32 {
    PATCH_SIZE
}

#[cfg(feature = "serde")]
impl TryFrom<RawTierLimits> for TierLimits {
    type Error = TierLimitsError;
    fn try_from(raw: RawTierLimits) -> Result<Self, Self::Error> {
        TierLimits::new(raw.max_edge, raw.max_patches, raw.patch_size)
    }
}

/// The API's patch edge in pixels (SPEC section 3).
pub const PATCH_SIZE: u32 = 28;

/// Why a set of tier numbers was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TierLimitsError {
    /// The patch size was zero.
    #[error("patch size must be at least 1 px")]
    ZeroPatch,
    /// The long-edge limit is smaller than one patch, so no image could fit.
    #[error("max edge {max_edge} px is smaller than one {patch_size} px patch")]
    EdgeBelowPatch {
        /// The refused long-edge limit.
        max_edge: u32,
        /// The patch size it was checked against.
        patch_size: u32,
    },
    /// The patch limit was zero, so no image could fit.
    #[error("max patches must be at least 1")]
    ZeroPatches,
}

impl TierLimitsError {
    /// Its stable code: `invalid-options` (tier numbers given by the user).
    pub fn code(&self) -> crate::ErrorCode {
        crate::ErrorCode::InvalidOptions
    }
}

impl TierLimits {
    /// Standard tier: 1568 px, 1568 patches of 28 px (SPEC section 3).
    pub const STANDARD: TierLimits = TierLimits {
        max_edge: 1568,
        max_patches: 1568,
        patch_size: PATCH_SIZE,
    };
    /// High-resolution tier (Claude 4.7 and later): 2576 px, 4784 patches of 28 px.
    pub const HIGH_RESOLUTION: TierLimits = TierLimits {
        max_edge: 2576,
        max_patches: 4784,
        patch_size: PATCH_SIZE,
    };

    /// Checked constructor; see the type's invariant.
    pub const fn new(
        max_edge: u32,
        max_patches: u32,
        patch_size: u32,
    ) -> Result<Self, TierLimitsError> {
        if patch_size == 0 {
            return Err(TierLimitsError::ZeroPatch);
        }
        if max_edge < patch_size {
            return Err(TierLimitsError::EdgeBelowPatch {
                max_edge,
                patch_size,
            });
        }
        if max_patches == 0 {
            return Err(TierLimitsError::ZeroPatches);
        }
        Ok(Self {
            max_edge,
            max_patches,
            patch_size,
        })
    }

    /// The largest padded edge, in pixels, that the API keeps.
    pub const fn max_edge(self) -> u32 {
        self.max_edge
    }

    /// The largest number of patches the API keeps.
    pub const fn max_patches(self) -> u32 {
        self.max_patches
    }

    /// The patch edge in pixels.
    pub const fn patch_size(self) -> u32 {
        self.patch_size
    }
}

/// The number of patches the API cuts an image of `size` into: `ceil(w/p) * ceil(h/p)`.
///
/// ```
/// use visionprep_core::{patches, Size, TierLimits};
/// assert_eq!(patches(Size::new(1920, 1080), TierLimits::STANDARD), 69 * 39);
/// ```
pub const fn patches(size: Size, limits: TierLimits) -> u64 {
    let p = limits.patch_size;
    size.width.div_ceil(p) as u64 * size.height.div_ceil(p) as u64
}

/// Whether the API keeps an image of `size` as it is (SPEC section 3, Anthropic's rule):
/// both edges padded to whole patches are within the long-edge limit, and the patch count is
/// within the patch limit.
///
/// ```
/// use visionprep_core::{fits, Size, TierLimits};
/// assert!(fits(Size::new(1092, 1092), TierLimits::STANDARD));
/// assert!(!fits(Size::new(1120, 1120), TierLimits::STANDARD));
/// ```
pub const fn fits(size: Size, limits: TierLimits) -> bool {
    let p = limits.patch_size as u64;
    let (cols, rows) = (
        size.width.div_ceil(limits.patch_size) as u64,
        size.height.div_ceil(limits.patch_size) as u64,
    );
    let edge = limits.max_edge as u64;
    cols * p <= edge && rows * p <= edge && cols * rows <= limits.max_patches as u64
}

/// `n / d` rounded to the nearest integer, exact ties to the even neighbour (Python's `round`).
/// `d` must not be zero.
const fn div_round_half_even(n: u64, d: u64) -> u64 {
    let q = n / d;
    let r = n % d;
    // Compare 2r with d without overflow: r < d <= u64::MAX.
    let twice_r = r as u128 * 2;
    if twice_r > d as u128 || (twice_r == d as u128 && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

/// The short edge the rule pairs with a long edge of `long`, for an original of
/// `orig_long` x `orig_short`: `max(round(long * orig_short / orig_long), 1)`.
pub(crate) const fn short_for(long: u32, orig_long: u32, orig_short: u32) -> u32 {
    let s = div_round_half_even(long as u64 * orig_short as u64, orig_long as u64);
    // s <= long because orig_short <= orig_long, so it fits in u32.
    if s == 0 { 1 } else { s as u32 }
}

/// The size the API resizes an image of `size` to, or `size` itself when it [`fits`].
///
/// A binary search on the long edge finds the largest long edge whose pair (the short edge from
/// the aspect ratio, half-to-even, at least 1) fits. The result never exceeds the input on
/// either edge, never has a zero edge (for a non-empty input), fits, and is maximal: one more
/// pixel on its long edge would not fit. A size with a zero edge is returned unchanged.
///
/// ```
/// use visionprep_core::{fit_target, Size, TierLimits};
/// assert_eq!(fit_target(Size::new(1920, 1080), TierLimits::STANDARD), Size::new(1456, 819));
/// assert_eq!(fit_target(Size::new(3840, 2160), TierLimits::HIGH_RESOLUTION), Size::new(2576, 1449));
/// ```
pub const fn fit_target(size: Size, limits: TierLimits) -> Size {
    if size.is_empty() || fits(size, limits) {
        return size;
    }
    let landscape = size.width >= size.height;
    let orig_long = size.long_edge();
    let orig_short = size.short_edge();
    // Invariant: the size for `lo` fits, the one for `hi + 1` does not. The size for a long
    // edge of 1 is 1x1, which fits by TierLimits' invariant.
    let mut lo: u32 = 1;
    let mut hi: u32 = if orig_long - 1 < limits.max_edge {
        orig_long - 1
    } else {
        limits.max_edge
    };
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(oriented(mid, orig_long, orig_short, landscape), limits) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    oriented(lo, orig_long, orig_short, landscape)
}

pub(crate) const fn oriented(long: u32, orig_long: u32, orig_short: u32, landscape: bool) -> Size {
    let short = short_for(long, orig_long, orig_short);
    if landscape {
        Size::new(long, short)
    } else {
        Size::new(short, long)
    }
}

/// Maps coordinates between an original image and the image the model saw.
///
/// The model answers (bounding boxes, clicks for computer use) in the frame of the image after
/// the API's resize, without the padding. To act on the original, scale back with
/// [`CoordMap::to_original`]. Coordinates are continuous: `(0, 0)` is the top-left corner and
/// `(width, height)` the bottom-right corner of the frame, so pixel centres map to pixel centres.
/// An image sent whole shows the whole original (`region`); a tile shows part of it
/// ([`crate::Tile::coord_map`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CoordMap {
    /// The size of the original image (as displayed, after orientation).
    pub original: Size,
    /// The part of the original the image shows: all of it, or a tile's rectangle.
    pub region: Rect,
    /// The size the model saw.
    pub resized: Size,
}

impl CoordMap {
    /// The map for an image of `original` size sent whole to a tier with `limits`.
    pub const fn for_tier(original: Size, limits: TierLimits) -> Self {
        Self {
            original,
            region: Rect::whole(original),
            resized: fit_target(original, limits),
        }
    }

    /// The map for an image of `original` size sent whole at `resized` (a budget's size, say).
    pub const fn whole(original: Size, resized: Size) -> Self {
        Self {
            original,
            region: Rect::whole(original),
            resized,
        }
    }

    /// A point in the model's frame, in the original's frame. Empty sizes map to the region's
    /// corner.
    pub fn to_original(&self, x: f64, y: f64) -> (f64, f64) {
        (
            f64::from(self.region.x) + scale(x, self.resized.width, self.region.width),
            f64::from(self.region.y) + scale(y, self.resized.height, self.region.height),
        )
    }

    /// A point in the original's frame, in the model's frame (points outside the region map
    /// outside the frame). Empty sizes map to `(0, 0)`.
    pub fn to_resized(&self, x: f64, y: f64) -> (f64, f64) {
        (
            scale(
                x - f64::from(self.region.x),
                self.region.width,
                self.resized.width,
            ),
            scale(
                y - f64::from(self.region.y),
                self.region.height,
                self.resized.height,
            ),
        )
    }
}

fn scale(v: f64, from: u32, to: u32) -> f64 {
    if from == 0 {
        0.0
    } else {
        v * f64::from(to) / f64::from(from)
    }
}

/// The JPEG DCT scales (eighths) a decoder picks from: 1/8, 2/8, 3/8, 4/8 and 8/8. Measured
/// with libjpeg-turbo on the corpus's 12 MP photos (`benches/compare/dct_scales.sh`), a decode
/// at 1/8 takes 0.72x the time of 8/8, 2/8 0.82x, 3/8 0.98x, 4/8 0.94x; 5/8, 6/8 and 7/8 take
/// 1.46x-1.92x (their IDCTs have no SIMD) and are never chosen. 3/8 decodes at the cost of 4/8
/// but hands the resizer 44% fewer pixels.
pub const JPEG_DCT_SCALES: [u8; 5] = [1, 2, 3, 4, 8];

/// The DCT scale (in eighths, from [`JPEG_DCT_SCALES`]) to decode a JPEG stored at `stored` when
/// `wanted` is the size it is resized to: the smallest that decodes to at least `wanted` on both
/// sides (a decoder rounds up: `ceil(side * m / 8)`), so the resize only ever shrinks. A fixed
/// rule: the result depends on the sizes alone, never on the machine.
///
/// ```
/// use visionprep_core::{jpeg_dct_scale, Size};
/// // 4032x3024 to 1456x1092: 3/8 gives 1512x1134.
/// assert_eq!(jpeg_dct_scale(Size::new(4032, 3024), Size::new(1456, 1092)), 3);
/// assert_eq!(jpeg_dct_scale(Size::new(1600, 1200), Size::new(1456, 1092)), 8);
/// assert_eq!(jpeg_dct_scale(Size::new(8000, 8000), Size::new(1, 1)), 1);
/// ```
pub const fn jpeg_dct_scale(stored: Size, wanted: Size) -> u8 {
    let mut i = 0;
    while i < JPEG_DCT_SCALES.len() {
        let m = JPEG_DCT_SCALES[i] as u64;
        let w = (stored.width as u64 * m).div_ceil(8);
        let h = (stored.height as u64 * m).div_ceil(8);
        if w >= wanted.width as u64 && h >= wanted.height as u64 {
            return JPEG_DCT_SCALES[i];
        }
        i += 1;
    }
    8
}

/// How much larger than the target a WebP is asked to decode when libwebp shrinks it while
/// decoding: its rescaler averages whole source pixels into each output pixel (a box filter),
/// so it takes the image down to twice the target, and the exact Lanczos resize does the last
/// step, as after a JPEG's DCT scaling.
pub const WEBP_DECODE_MARGIN: u32 = 2;

/// The size to decode a lossy WebP stored at `stored` to when `wanted` is the size it is
/// resized to: `wanted` times [`WEBP_DECODE_MARGIN`] on each side, or `stored` itself when
/// that would not shrink it. A fixed rule: the result depends on the sizes alone.
///
/// ```
/// use visionprep_core::{webp_decode_scale, Size};
/// // 4032x3024 to 1456x1092: decoded at 2912x2184, then resized.
/// assert_eq!(webp_decode_scale(Size::new(4032, 3024), Size::new(1456, 1092)), Size::new(2912, 2184));
/// // Under twice the target: decoded whole.
/// assert_eq!(webp_decode_scale(Size::new(2000, 1500), Size::new(1270, 952)), Size::new(2000, 1500));
/// ```
pub const fn webp_decode_scale(stored: Size, wanted: Size) -> Size {
    let w = wanted.width.saturating_mul(WEBP_DECODE_MARGIN);
    let h = wanted.height.saturating_mul(WEBP_DECODE_MARGIN);
    if w >= stored.width || h >= stored.height || wanted.width == 0 || wanted.height == 0 {
        stored
    } else {
        Size::new(w, h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webp_decode_scale_never_grows_and_keeps_the_margin() {
        for (stored, wanted) in [
            (Size::new(8000, 6000), Size::new(1, 1)),
            (Size::new(8000, 6000), Size::new(1456, 1092)),
            (Size::new(3000, 100), Size::new(1568, 52)),
            (Size::new(100, 100), Size::new(100, 100)),
        ] {
            let out = webp_decode_scale(stored, wanted);
            assert!(out.width <= stored.width && out.height <= stored.height);
            assert!(
                out == stored || (out.width >= 2 * wanted.width && out.height >= 2 * wanted.height)
            );
        }
        assert_eq!(
            webp_decode_scale(Size::new(8000, 6000), Size::new(1, 1)),
            Size::new(2, 2)
        );
    }

    const S: TierLimits = TierLimits::STANDARD;
    const H: TierLimits = TierLimits::HIGH_RESOLUTION;

    #[test]
    fn spec_examples() {
        assert_eq!(fit_target(Size::new(1920, 1080), S), Size::new(1456, 819));
        assert_eq!(fit_target(Size::new(2000, 1500), S), Size::new(1270, 952));
        assert_eq!(fit_target(Size::new(1075, 1520), S), Size::new(924, 1307));
        assert_eq!(fit_target(Size::new(3840, 2160), H), Size::new(2576, 1449));
        assert_eq!(patches(Size::new(1270, 952), S), 1564);
        assert_eq!(patches(Size::new(1269, 952), S), 1564);
    }

    #[test]
    fn half_to_even_ties() {
        // 1270 * 3/4 = 952.5 exactly: the even neighbour 952 is chosen, not 953.
        assert_eq!(short_for(1270, 2000, 1500), 952);
        // 1266 * 3/4 = 949.5 exactly: 949 is odd, so 950.
        assert_eq!(short_for(1266, 2000, 1500), 950);
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(u64::MAX, u64::MAX), 1);
    }

    #[test]
    fn guide_table_is_the_largest_multiple_of_each_ratio() {
        // SPEC section 3: the guide's table of largest unresized sizes.
        for (rw, rh, w, h) in [
            (1, 1, 1092, 1092),
            (3, 4, 951, 1268),
            (2, 3, 896, 1344),
            (9, 16, 819, 1456),
            (1, 2, 784, 1568),
        ] {
            let size = Size::new(w, h);
            assert!(fits(size, S), "{size} must fit");
            assert_eq!(fit_target(size, S), size);
            let k = w / rw;
            assert_eq!(
                (k * rw, k * rh),
                (w, h),
                "{size} is a multiple of {rw}:{rh}"
            );
            let next = Size::new((k + 1) * rw, (k + 1) * rh);
            assert!(!fits(next, S), "{next} must not fit");
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let big = Size::new(u32::MAX, u32::MAX);
        assert_eq!(fit_target(big, S), Size::new(1092, 1092));
        assert_eq!(fit_target(Size::new(u32::MAX, 1), S), Size::new(1568, 1));
        assert_eq!(fit_target(Size::new(1, u32::MAX), H), Size::new(1, 2576));
        assert_eq!(fit_target(Size::new(0, 5000), S), Size::new(0, 5000));
        assert_eq!(
            patches(big, TierLimits::new(u32::MAX, 1, 1).unwrap()),
            u64::MAX - 2 * u64::from(u32::MAX)
        );
    }

    #[test]
    fn tier_limits_are_checked() {
        assert_eq!(TierLimits::new(10, 5, 0), Err(TierLimitsError::ZeroPatch));
        assert!(matches!(
            TierLimits::new(27, 5, 28),
            Err(TierLimitsError::EdgeBelowPatch { .. })
        ));
        assert_eq!(
            TierLimits::new(28, 0, 28),
            Err(TierLimitsError::ZeroPatches)
        );
        assert_eq!(TierLimits::new(1568, 1568, 28), Ok(S));
        // The smallest legal tier still has an answer for every size.
        let tiny = TierLimits::new(28, 1, 28).unwrap();
        assert_eq!(fit_target(Size::new(4000, 3000), tiny), Size::new(28, 21));
    }

    #[test]
    fn coordinates_round_trip() {
        let map = CoordMap::for_tier(Size::new(1920, 1080), S);
        assert_eq!(map.resized, Size::new(1456, 819));
        let (x, y) = map.to_original(1456.0, 819.0);
        assert_eq!((x, y), (1920.0, 1080.0));
        let (x, y) = map.to_original(728.0, 409.5);
        assert!((x - 960.0).abs() < 1e-9 && (y - 540.0).abs() < 1e-9);
        let (rx, ry) = map.to_resized(x, y);
        assert!((rx - 728.0).abs() < 1e-9 && (ry - 409.5).abs() < 1e-9);
        let empty = CoordMap::whole(Size::new(0, 0), Size::new(0, 0));
        assert_eq!(empty.to_original(3.0, 4.0), (0.0, 0.0));
    }

    #[test]
    fn dct_scale_never_decodes_below_the_target() {
        for (w, h) in [
            (4032u32, 3024u32),
            (1600, 1200),
            (9, 9),
            (8000, 3),
            (12000, 9000),
        ] {
            let stored = Size::new(w, h);
            for tier in [S, TierLimits::HIGH_RESOLUTION] {
                let wanted = fit_target(stored, tier);
                let m = u64::from(jpeg_dct_scale(stored, wanted));
                assert!(JPEG_DCT_SCALES.contains(&(m as u8)));
                assert!((u64::from(w) * m).div_ceil(8) >= u64::from(wanted.width));
                assert!((u64::from(h) * m).div_ceil(8) >= u64::from(wanted.height));
                // The next smaller scale would be too small.
                if let Some(i) = JPEG_DCT_SCALES.iter().position(|&s| u64::from(s) == m)
                    && i > 0
                {
                    let smaller = u64::from(JPEG_DCT_SCALES[i - 1]);
                    assert!(
                        (u64::from(w) * smaller).div_ceil(8) < u64::from(wanted.width)
                            || (u64::from(h) * smaller).div_ceil(8) < u64::from(wanted.height)
                    );
                }
            }
        }
    }
}
