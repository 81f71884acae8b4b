//! What an image costs on each model: tiers, the estimator.

use super::*;

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
    /// The image at the per-image token budget ([`Estimator::budget`]), when one is set.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub budget: Option<Sized>,
    /// The image cut into tiles ([`Estimator::tiles`]), when tiling is asked for: one tile
    /// when the API would not shrink it more than the minimum scale.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tiles: Option<TileEstimate>,
}

/// An image at another size than the API's fit target: a budget's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Sized {
    /// The width it is prepared at.
    pub width: u32,
    /// The height it is prepared at.
    pub height: u32,
    /// Tokens billed for it.
    pub tokens: u64,
    /// What those cost.
    pub usd: Usd,
}

/// An image sent as tiles ([`plan_tiles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TileEstimate {
    /// Tiles (1: sent whole).
    pub count: u32,
    /// Columns of the grid.
    pub columns: u32,
    /// Rows of the grid.
    pub rows: u32,
    /// The width of each tile as the API keeps it.
    pub tile_width: u32,
    /// The height of each tile as the API keeps it.
    pub tile_height: u32,
    /// Tokens of all tiles.
    pub tokens: u64,
    /// What those cost.
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
    /// A per-image token budget: each estimate also gives the image at the largest size within
    /// it ([`budget_target`]). Default none.
    pub budget: Option<u64>,
    /// Tiling to estimate: each estimate also gives the image cut by [`plan_tiles`] with this
    /// minimum scale and overlap. Default none. (Whether `auto` tiles an image depends on its
    /// pixels, which an estimate from the header does not have.)
    pub tiles: Option<(MinScale, u32)>,
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
            budget: None,
            tiles: None,
        })
    }

    /// The same estimator with a per-image token budget.
    pub fn with_budget(mut self, budget: Option<u64>) -> Self {
        self.budget = budget;
        self
    }

    /// The same estimator with tiles estimated (minimum scale, overlap).
    pub fn with_tiles(mut self, tiles: Option<(MinScale, u32)>) -> Self {
        self.tiles = tiles;
        self
    }

    /// The price of one input token of each model (modifiers applied), in model order.
    pub fn token_prices(&self) -> &[Usd] {
        &self.token_prices
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
        let budget = self.budget.map(|n| {
            let sized = budget_target(displayed, limits, self.rule, n);
            let tokens = self.rule.tokens(sized, limits);
            Sized {
                width: sized.width,
                height: sized.height,
                tokens,
                usd: token_price.times(tokens),
            }
        });
        let tiles = self.tiles.map(|(min_scale, overlap)| {
            // A grid over the tile limit cannot be sent as tiles: the estimate is the image
            // sent whole.
            let plan = plan_tiles(displayed, limits, self.rule, min_scale, overlap)
                .unwrap_or_else(|_| TilePlan::whole(displayed, limits));
            let tokens = plan.tokens(limits, self.rule);
            let first = plan.tiles.first().map_or(target, |t| t.output);
            TileEstimate {
                count: plan.tiles.len() as u32,
                columns: plan.columns,
                rows: plan.rows,
                tile_width: first.width,
                tile_height: first.height,
                tokens,
                usd: token_price.times(tokens),
            }
        });
        ModelEstimate {
            tier,
            resized: target != displayed,
            target_width: target.width,
            target_height: target.height,
            tokens,
            usd: token_price.times(tokens),
            budget,
            tiles,
        }
    }
}

/// What a folder budget is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// US dollars for the whole set, on each model at its price (modifiers applied).
    Usd(Usd),
    /// Image tokens for the whole set.
    Tokens(u64),
}

/// A folder budget on one model: the cap, what it costs, the sizes it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelBudget {
    /// The cap and the totals, in tokens.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub budget: FolderBudget,
    /// What the total at the cap costs.
    pub usd: Usd,
    /// What the set costs with no cap.
    pub uncapped_usd: Usd,
    /// What the set costs at the sensible cap.
    pub sensible_usd: Usd,
    /// What the set costs at 1 token per image: the least any cap spends.
    pub floor_usd: Usd,
    /// Whether the allowance is met at all (some cap of 1 token or more).
    pub met: bool,
    /// Whether it is met with every image at least 200 px on its short edge (or as sent).
    pub sensible: bool,
    /// The sizes at the cap (or with no cap when the allowance is not met).
    pub distribution: SizeDistribution,
}

impl Estimator {
    /// The largest per-image token cap ([`folder_budget`]) at which `set` costs at most
    /// `allowance` on each model, in model order: what `cost --budget-usd` prints, and the
    /// number `prepare --token-budget` takes to spend exactly that total.
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use visionprep_core::{Allowance, Estimator, PriceTable, Size, SizeSet, TokenRule, Usd};
    /// let table = PriceTable::builtin();
    /// let est = Estimator::new(&table, &["claude-sonnet-4-6"], TokenRule::Area750)?;
    /// let photos = SizeSet::new(std::iter::repeat_n(Size::new(4032, 3024), 10_000));
    /// let [b] = &est.folder_budget(&photos, Allowance::Usd("25".parse().unwrap()))[..] else { unreachable!() };
    /// assert_eq!(b.budget.cap, Some(833)); // 10,000 photos at 833 tokens: $24.99
    /// assert!(b.usd <= "25".parse().unwrap());
    /// # }
    /// # Ok::<(), visionprep_core::PriceError>(())
    /// ```
    pub fn folder_budget(&self, set: &SizeSet, allowance: Allowance) -> Vec<ModelBudget> {
        self.models
            .iter()
            .zip(&self.token_prices)
            .map(|(m, &price)| {
                let limits = self.tiers.limits(m.tier);
                let allowed = match allowance {
                    Allowance::Tokens(n) => n,
                    Allowance::Usd(_) if price.atto() == 0 => u64::MAX,
                    Allowance::Usd(usd) => {
                        u64::try_from(usd.atto() / price.atto()).unwrap_or(u64::MAX)
                    }
                };
                let budget = folder_budget(set, limits, self.rule, allowed);
                let distribution = set.distribution(budget.cap, limits, self.rule);
                ModelBudget {
                    usd: price.times(budget.tokens),
                    uncapped_usd: price.times(budget.uncapped_tokens),
                    sensible_usd: price.times(budget.sensible_tokens),
                    floor_usd: price.times(budget.floor_tokens),
                    met: budget.cap.is_some(),
                    sensible: budget.sensible(),
                    distribution,
                    budget,
                }
            })
            .collect()
    }
}
