//! Tiles: a tall screenshot or a scanned page sent as several images at (near) full resolution
//! instead of one image shrunk until its small text is unreadable.
//!
//! [`plan_tiles`] cuts an image into the fewest equal tiles such that none is shrunk by the fit
//! rule more than a chosen factor ([`MinScale`], 0.5 by default), neighbours overlapping by at
//! least a chosen number of pixels so that a line of text cut by a border appears whole in one
//! of them. Each [`Tile`] is a [`Rect`] of the original and the size the API keeps it at; its
//! [`CoordMap`] takes a point the model names in the tile back to the original.

use crate::geometry::{CoordMap, Rect, Size, TierLimits, fit_target};
use crate::tokens::TokenRule;
use std::fmt;
use std::str::FromStr;

/// When images are cut into tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum TileMode {
    /// Never: every image is sent whole (shrunk by the API as it must). Default.
    #[default]
    Never,
    /// Images that would be shrunk more than the [`MinScale`] allows and whose content is
    /// drawn (text, screenshots, scans, charts): photographs are sent whole. Deciding needs the
    /// pixels, so reports from headers alone (`cost`) do not tile in this mode.
    Auto,
    /// Every image that would be shrunk more than the [`MinScale`] allows.
    Always,
}

impl TileMode {
    /// `never`, `auto` or `always`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TileMode::Never => "never",
            TileMode::Auto => "auto",
            TileMode::Always => "always",
        }
    }
}

impl fmt::Display for TileMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TileMode {
    type Err = TileError;
    fn from_str(s: &str) -> Result<Self, TileError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "never" | "off" => Ok(TileMode::Never),
            "auto" => Ok(TileMode::Auto),
            "always" => Ok(TileMode::Always),
            _ => Err(TileError::UnknownMode(s.to_owned())),
        }
    }
}

/// The least a tile may be scaled to by the API's resize, in thousandths: 500 (0.5, the
/// default) lets a tile be shrunk to half its size and no further; 1000 (1.0) keeps full
/// resolution. Exact, so that plans are the same on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
pub struct MinScale(u16);

impl MinScale {
    /// 0.5.
    pub const HALF: MinScale = MinScale(500);
    /// 1.0: no shrink at all.
    pub const FULL: MinScale = MinScale(1000);

    /// `thousandths` / 1000, when within 1..=1000.
    pub const fn from_thousandths(thousandths: u16) -> Option<MinScale> {
        if thousandths >= 1 && thousandths <= 1000 {
            Some(MinScale(thousandths))
        } else {
            None
        }
    }

    /// The scale in thousandths.
    pub const fn thousandths(self) -> u16 {
        self.0
    }

    /// Whether an edge of `from` pixels shown at `to` pixels is scaled by at least this much.
    pub const fn allows(self, from: u32, to: u32) -> bool {
        to as u64 * 1000 >= self.0 as u64 * from as u64
    }

    /// Whether an image of `from` shown at `to` is scaled by at least this much on both edges.
    pub const fn allows_size(self, from: Size, to: Size) -> bool {
        self.allows(from.width, to.width) && self.allows(from.height, to.height)
    }
}

impl Default for MinScale {
    fn default() -> Self {
        MinScale::HALF
    }
}

impl fmt::Display for MinScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}.{:03}", self.0 / 1000, self.0 % 1000);
        f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
    }
}

impl From<MinScale> for f64 {
    fn from(s: MinScale) -> f64 {
        f64::from(s.0) / 1000.0
    }
}

impl TryFrom<f64> for MinScale {
    type Error = TileError;
    fn try_from(v: f64) -> Result<Self, TileError> {
        let t = (v * 1000.0).round();
        if v.is_finite() && (1.0..=1000.0).contains(&t) {
            Ok(MinScale(t as u16))
        } else {
            Err(TileError::MinScaleRange(v.to_string()))
        }
    }
}

impl FromStr for MinScale {
    type Err = TileError;
    fn from_str(s: &str) -> Result<Self, TileError> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| TileError::MinScaleText(s.to_owned()))?;
        MinScale::try_from(v)
    }
}

/// How images are tiled: the mode, the least scale a tile may have and the overlap between
/// neighbouring tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TileOptions {
    /// When to tile. Default [`TileMode::Never`].
    pub mode: TileMode,
    /// The least scale a tile (or an image sent whole) may have. Default 0.5.
    pub min_scale: MinScale,
    /// The least overlap between neighbouring tiles, in pixels of the original. Default
    /// [`TileOptions::DEFAULT_OVERLAP`].
    pub overlap: u32,
}

impl TileOptions {
    /// 64 px: a line of text up to 64 px tall cut by a tile's border is whole in the next.
    pub const DEFAULT_OVERLAP: u32 = 64;

    /// Refuses tiling together with a per-image token budget: tiles keep resolution, a budget
    /// gives it up. Every front end asks here.
    pub fn check_budget(&self, token_budget: Option<u64>) -> Result<(), TileError> {
        if self.mode != TileMode::Never && token_budget.is_some() {
            return Err(TileError::BudgetWithTiles(self.mode));
        }
        if token_budget == Some(0) {
            return Err(TileError::ZeroBudget);
        }
        Ok(())
    }
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            mode: TileMode::Never,
            min_scale: MinScale::HALF,
            overlap: Self::DEFAULT_OVERLAP,
        }
    }
}

/// The most tiles one image is cut into: the per-request image limit of 200k-token models.
pub const MAX_TILES: u32 = 100;

/// One tile of a [`TilePlan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tile {
    /// Its place in the plan, from 0, row by row.
    pub index: u32,
    /// Its row in the grid, from 0.
    pub row: u32,
    /// Its column in the grid, from 0.
    pub column: u32,
    /// The part of the original it shows.
    pub region: Rect,
    /// The size the API keeps it at (the fit rule applied to the region).
    pub output: Size,
}

impl Tile {
    /// Maps points between the tile as the model sees it and the original image.
    pub const fn coord_map(&self, original: Size) -> CoordMap {
        CoordMap {
            original,
            region: self.region,
            resized: self.output,
        }
    }
}

/// A grid of tiles covering an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TilePlan {
    /// The image's size.
    pub original: Size,
    /// Columns of the grid.
    pub columns: u32,
    /// Rows of the grid.
    pub rows: u32,
    /// The tiles, row by row.
    pub tiles: Vec<Tile>,
}

impl TilePlan {
    /// Whether the image is cut at all (more than one tile).
    pub fn is_tiled(&self) -> bool {
        self.tiles.len() > 1
    }

    /// Tokens of every tile under `rule`.
    pub fn tokens(&self, limits: TierLimits, rule: TokenRule) -> u64 {
        self.tiles
            .iter()
            .map(|t| rule.tokens(t.output, limits))
            .fold(0u64, u64::saturating_add)
    }

    /// The plan of one tile: the whole image at its fit target.
    pub fn whole(original: Size, limits: TierLimits) -> TilePlan {
        TilePlan {
            original,
            columns: 1,
            rows: 1,
            tiles: vec![Tile {
                index: 0,
                row: 0,
                column: 0,
                region: Rect::whole(original),
                output: fit_target(original, limits),
            }],
        }
    }
}

/// Why an image cannot be tiled as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// No grid of at most [`MAX_TILES`] tiles keeps every tile within the minimum scale.
    #[error(
        "{size} needs more than {MAX_TILES} tiles to keep each within scale {min_scale} \
         (overlap {overlap} px): lower --min-scale or --tile-overlap"
    )]
    TooManyTiles {
        /// The image's size.
        size: Size,
        /// The minimum scale asked for.
        min_scale: MinScale,
        /// The overlap asked for.
        overlap: u32,
    },
    /// A tile mode other than `never`, `auto` or `always`.
    #[error("unknown tile mode {0:?} (expected auto, never or always)")]
    UnknownMode(String),
    /// A minimum scale outside 0.001 to 1.
    #[error(
        "minimum scale {0} is not within 0.001-1 (a tile may be shrunk to this fraction of its size)"
    )]
    MinScaleRange(String),
    /// A minimum scale that is not a number.
    #[error("minimum scale {0:?} is not a number")]
    MinScaleText(String),
    /// Tiles together with a per-image token budget.
    #[error(
        "a token budget and tiles {0} do not go together: tiles keep resolution, a budget gives \
         it up (choose one)"
    )]
    BudgetWithTiles(TileMode),
    /// A token budget of 0.
    #[error("a token budget must be at least 1")]
    ZeroBudget,
}

impl TileError {
    /// Its stable code: `invalid-options`.
    pub fn code(&self) -> crate::ErrorCode {
        crate::ErrorCode::InvalidOptions
    }
}

/// Start positions of `n` equal spans of `span` pixels covering `total` pixels, spread evenly:
/// the first at 0, the last ending at `total`.
fn starts(total: u32, span: u32, n: u32, i: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    let room = u64::from(total - span);
    // round(i * room / (n - 1)), exact.
    let d = u64::from(n - 1);
    ((2 * u64::from(i) * room + d) / (2 * d)) as u32
}

/// The span each of `n` tiles needs to cover `total` pixels with at least `overlap` between
/// neighbours: `ceil((total + (n - 1) * overlap) / n)`, or `None` when that leaves no room to
/// advance (a span of `total` or more with `n > 1`, or not more than the overlap).
fn span(total: u32, n: u32, overlap: u32) -> Option<u32> {
    if n == 1 {
        return Some(total);
    }
    let s = (u64::from(total) + u64::from(n - 1) * u64::from(overlap)).div_ceil(u64::from(n));
    (s < u64::from(total) && s > u64::from(overlap)).then_some(s as u32)
}

/// The fewest equal tiles covering an image of `size` such that each, sent to a tier with
/// `limits`, is scaled by at least `min_scale` ([`MinScale::allows_size`]), neighbours
/// overlapping by at least `overlap` pixels (spread evenly: an overlap is `overlap` or a
/// pixel or so more). Among grids with as few tiles, the one with the fewest tokens under
/// `rule`. An image the API would scale by at least `min_scale` anyway is one tile.
///
/// ```
/// use visionprep_core::{plan_tiles, MinScale, Size, TierLimits, TokenRule};
/// // A phone screenshot 8000 px tall: whole, the API shrinks it to 229x1568 (0.2x).
/// let plan = plan_tiles(Size::new(1170, 8000), TierLimits::STANDARD, TokenRule::Area750, MinScale::HALF, 40)?;
/// assert_eq!((plan.columns, plan.rows), (1, 3));
/// assert_eq!(plan.tiles[1].region.y, 2653);
/// # Ok::<(), visionprep_core::TileError>(())
/// ```
pub fn plan_tiles(
    size: Size,
    limits: TierLimits,
    rule: TokenRule,
    min_scale: MinScale,
    overlap: u32,
) -> Result<TilePlan, TileError> {
    if size.is_empty() || min_scale.allows_size(size, fit_target(size, limits)) {
        return Ok(TilePlan::whole(size, limits));
    }
    // (tiles, tokens, columns, rows, tile width, tile height)
    let mut best: Option<(u32, u64, u32, u32, u32, u32)> = None;
    for columns in 1..=MAX_TILES.min(size.width) {
        let Some(tw) = span(size.width, columns, overlap) else {
            continue;
        };
        let most_rows = MAX_TILES / columns;
        if best.is_some_and(|b| columns > b.0) {
            break;
        }
        for rows in 1..=most_rows.min(size.height) {
            if best.is_some_and(|b| columns * rows > b.0) {
                break;
            }
            let Some(th) = span(size.height, rows, overlap) else {
                continue;
            };
            let region = Size::new(tw, th);
            let out = fit_target(region, limits);
            if !min_scale.allows_size(region, out) {
                continue;
            }
            let count = columns * rows;
            let tokens = rule.tokens(out, limits).saturating_mul(u64::from(count));
            if best.is_none_or(|b| count < b.0 || (count == b.0 && tokens < b.1)) {
                best = Some((count, tokens, columns, rows, tw, th));
            }
            break;
        }
    }
    let Some((_, _, columns, rows, tw, th)) = best else {
        return Err(TileError::TooManyTiles {
            size,
            min_scale,
            overlap,
        });
    };
    let output = fit_target(Size::new(tw, th), limits);
    let mut tiles: Vec<Tile> = Vec::new();
    for row in 0..rows {
        for column in 0..columns {
            tiles.push(Tile {
                index: row * columns + column,
                row,
                column,
                region: Rect {
                    x: starts(size.width, tw, columns, column),
                    y: starts(size.height, th, rows, row),
                    width: tw,
                    height: th,
                },
                output,
            });
        }
    }
    Ok(TilePlan {
        original: size,
        columns,
        rows,
        tiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: TierLimits = TierLimits::STANDARD;

    #[test]
    fn tall_screenshot() {
        let plan = plan_tiles(
            Size::new(1170, 8000),
            S,
            TokenRule::Area750,
            MinScale::HALF,
            40,
        )
        .unwrap();
        assert_eq!((plan.columns, plan.rows), (1, 3));
        let ys: Vec<u32> = plan.tiles.iter().map(|t| t.region.y).collect();
        assert_eq!(ys, [0, 2653, 5306]);
        assert!(plan.tiles.iter().all(|t| t.region.height == 2694));
        assert_eq!(plan.tiles[2].region.bottom(), 8000);
        let full = plan_tiles(
            Size::new(1170, 8000),
            S,
            TokenRule::Area750,
            MinScale::FULL,
            0,
        )
        .unwrap();
        assert!(full.tiles.iter().all(|t| t.output == t.region.size()));
        // A photo the API shrinks by less than half is one tile.
        let one = plan_tiles(
            Size::new(2000, 1500),
            S,
            TokenRule::Area750,
            MinScale::HALF,
            0,
        )
        .unwrap();
        assert!(!one.is_tiled());
        assert_eq!(one.tiles[0].output, Size::new(1270, 952));
    }

    #[test]
    fn min_scale_parses_and_prints() {
        assert_eq!("0.5".parse::<MinScale>(), Ok(MinScale::HALF));
        assert_eq!(MinScale::HALF.to_string(), "0.5");
        assert_eq!(MinScale::FULL.to_string(), "1");
        assert_eq!("0.125".parse::<MinScale>().unwrap().to_string(), "0.125");
        assert!("0".parse::<MinScale>().is_err());
        assert!("1.5".parse::<MinScale>().is_err());
        assert!("nan".parse::<MinScale>().is_err());
        assert_eq!("ALWAYS".parse::<TileMode>(), Ok(TileMode::Always));
        assert!("sometimes".parse::<TileMode>().is_err());
    }

    #[test]
    fn huge_images_are_refused_not_looped() {
        let err = plan_tiles(
            Size::new(u32::MAX, u32::MAX),
            S,
            TokenRule::Area750,
            MinScale::FULL,
            0,
        );
        assert!(matches!(err, Err(TileError::TooManyTiles { .. })));
        // An overlap wider than any tile could be leaves no grid.
        let err = plan_tiles(
            Size::new(1000, 20_000),
            S,
            TokenRule::Area750,
            MinScale::FULL,
            5000,
        );
        assert!(err.is_err());
    }
}
