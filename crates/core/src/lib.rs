//! The pure core of visionprep: the rules of Claude's vision API as arithmetic.
//!
//! Everything here is computation on numbers and names: no I/O, no image decoding, no
//! allocation sized by untrusted input. It can run anywhere (a web page through wasm, a
//! binding from another language) and answers in nanoseconds:
//!
//! - [`fits`], [`fit_target`], [`patches`]: whether the API resizes an image and to what
//!   (SPEC section 3, Anthropic's reference rule with half-to-even rounding), per [`Tier`];
//! - [`TokenRule`]: tokens billed for the size the model sees (`area750` or `patch28`);
//! - [`PriceTable`], [`Usd`]: model data (prices, tiers, context windows, [`Lifecycle`]) with an
//!   `as_of` date, exact money;
//! - [`Profile`], [`RequestLimits`], [`base64_len`]: the hard limits a request must respect;
//! - [`sniff`], [`Format`], [`MediaType`]: what a file is, from its bytes;
//! - [`Estimator`], [`FileReport`], [`Totals`]: the report types of `visionprep cost`;
//! - [`request`]: Messages API request bodies to build (with the `serde` feature);
//! - [`json`], [`body`]: bodies read as they are (every block kind, spans kept for in-place
//!   edits), with every image and document found and named by the API's JSON path.
//!
//! ```
//! use visionprep_core::{fit_target, PriceTable, Size, Tier, TokenRule};
//!
//! let photo = Size::new(4032, 3024);
//! let seen = fit_target(photo, Tier::Standard.limits());
//! assert_eq!(seen, Size::new(1270, 952)); // what the API would shrink it to
//! let tokens = TokenRule::Area750.tokens(seen, Tier::Standard.limits());
//! # #[cfg(feature = "serde")] {
//! let table = PriceTable::builtin();
//! let sonnet = table.get("claude-sonnet-4-6").unwrap();
//! let usd = table.cost(sonnet, tokens, &Default::default());
//! assert_eq!((tokens, usd.to_string().as_str()), (1613, "0.004839"));
//! # }
//! ```
//!
//! The `serde` feature (on by default) adds serialisation and the TOML price table.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "serde")]
mod base64;
pub mod body;
mod budget;
mod geometry;
pub mod json;
mod limits;
mod media;
mod money;
mod orientation;
mod pricing;
mod report;
#[cfg(feature = "serde")]
pub mod request;
mod tiles;
mod tokens;

pub use budget::{
    FolderBudget, SizeDistribution, SizeSet, budget_target, folder_budget, sensible_floor,
};
pub use geometry::{
    CoordMap, JPEG_DCT_SCALES, PATCH_SIZE, Rect, Size, Tier, TierLimits, TierLimitsError,
    UnknownTier, WEBP_DECODE_MARGIN, fit_target, fits, jpeg_dct_scale, patches, webp_decode_scale,
};
pub use limits::{BatchLimits, Profile, RequestLimits, UnknownProfile, base64_len, max_raw_len};
pub use media::{Format, MediaType, SNIFF_LEN, sniff};
pub use money::{InvalidAmount, Usd};
pub use orientation::Orientation;
pub use pricing::{
    CacheUse, CostOptions, DEFAULT_CONTEXT_WINDOW, Date, InvalidDate, InvalidLifecycle, Lifecycle,
    ModelChoice, ModelPrice, ModelStatus, Modifiers, PlatformIds, Ppm, PriceError, PriceStep,
    PriceTable, UnknownCacheUse, normalize_model_name,
};
pub use report::{
    Allowance, Amount, ErrorCode, Estimator, FileReport, ImageFacts, ModelBudget, ModelEstimate,
    ModelMap, ModelTotals, PathText, ProblemCode, ReportError, SMALL_EDGE, Sized, TierTable,
    TileEstimate, Totals, UnknownErrorCode, size_problems,
};
pub use tiles::{
    MAX_TILES, MinScale, Tile, TileError, TileMode, TileOptions, TilePlan, plan_tiles,
};
pub use tokens::{AREA_PER_TOKEN, TokenRule, UnknownTokenRule};

/// The README's example, run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
