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
