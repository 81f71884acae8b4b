//! What preparing takes: the output policy, the target (a model's tier, a size, a budget) and
//! the options of a run, plain data with their defaults.

use super::Filter;
use crate::limits::Limits;
use std::str::FromStr;
use visionprep_core::{
    CostOptions, ModelPrice, PriceError, PriceTable, Profile, RequestLimits, Size, TierLimits,
    TileOptions, TokenRule, Usd, budget_target, fit_target,
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

impl OutputPolicy {
    /// Its name on the command line and in settings: `auto`, `jpeg`, `png` or `webp`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutputPolicy::Auto => "auto",
            OutputPolicy::Jpeg => "jpeg",
            OutputPolicy::Png => "png",
            OutputPolicy::Webp => "webp",
        }
    }
}

impl std::fmt::Display for OutputPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An output format other than `auto`, `jpeg`, `png` or `webp`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format {0:?} (expected auto, jpeg, png or webp)")]
pub struct UnknownOutputPolicy(pub String);

impl FromStr for OutputPolicy {
    type Err = UnknownOutputPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(OutputPolicy::Auto),
            "jpeg" | "jpg" => Ok(OutputPolicy::Jpeg),
            "png" => Ok(OutputPolicy::Png),
            "webp" => Ok(OutputPolicy::Webp),
            _ => Err(UnknownOutputPolicy(s.to_owned())),
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
    /// keeps. Default none. Tiles ([`Preparer::prepare_parts`](super::Preparer::prepare_parts)) are not held to it: they exist
    /// to spend tokens on legibility.
    pub token_budget: Option<u64>,
    /// Tiling of images the API would shrink too much ([`Preparer::prepare_parts`](super::Preparer::prepare_parts); the
    /// one-image calls, [`prepare`](super::prepare()) and [`Preparer::prepare`](super::Preparer::prepare), never tile). Default: never.
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
    pub fn check(&self) -> Result<(), visionprep_core::TileError> {
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
