//! The model data: which tier a model is on, what its input tokens cost, its context window
//! and where it is in its life.
//!
//! Prices and lifecycles change every few weeks, so they are data with an `as_of` date: the
//! built-in table is `prices.toml`, embedded at build time ([`PriceTable::builtin`]), and a user
//! file in the same format extends or replaces it ([`PriceTable::merge_toml`]). The default
//! model is chosen from that data ([`PriceTable::default_model`]), never written in code.
//! Names are matched loosely:
//! `claude-sonnet-4-5`, `claude-sonnet-4-5-20250929`, `claude-sonnet-4-5-latest`,
//! `sonnet-4.5`, Bedrock's `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and Vertex's
//! `claude-sonnet-4-5@20250929` all name the same model. An unknown name is an error that lists
//! the closest known ones.

mod billing;
#[cfg(feature = "serde")]
mod file;
mod lifecycle;
mod names;

pub use billing::{CacheUse, CostOptions, UnknownCacheUse};
pub use lifecycle::{Date, InvalidDate, InvalidLifecycle, Lifecycle};
pub use names::normalize_model_name;

use crate::geometry::Tier;
use crate::money::{InvalidAmount, Usd};
use names::{levenshtein, version_key};
use std::collections::HashMap;
use std::fmt;

/// The context window assumed for a model whose data does not give one: the smaller of the
/// two sizes Claude models have, which also gives the stricter image limit (100 a request).
pub const DEFAULT_CONTEXT_WINDOW: u64 = 200_000;

/// A multiplier in parts per million (1.25x is `1_250_000`).
pub type Ppm = u64;

const PPM_ONE: Ppm = 1_000_000;

/// The price multipliers that apply on top of a model's input price (SPEC section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modifiers {
    /// Message Batches API. Default 0.5x.
    pub batch: Ppm,
    /// Prompt-cache write with a 5 minute TTL. Default 1.25x.
    pub cache_write_5m: Ppm,
    /// Prompt-cache write with a 1 hour TTL. Default 2x.
    pub cache_write_1h: Ppm,
    /// Prompt-cache read. Default 0.1x (some models override it).
    pub cache_read: Ppm,
    /// US-only inference. Default 1.1x.
    pub us_only: Ppm,
}

impl Default for Modifiers {
    fn default() -> Self {
        Self {
            batch: 500_000,
            cache_write_5m: 1_250_000,
            cache_write_1h: 2_000_000,
            cache_read: 100_000,
            us_only: 1_100_000,
        }
    }
}

/// A price that applies once the prompt is longer than a threshold (long-context pricing,
/// Haiku 5.5's prompt-length step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PriceStep {
    /// The step applies when the prompt has more than this many input tokens.
    pub above_tokens: u64,
    /// Input price per million tokens above the threshold.
    pub input_per_mtok: Usd,
}

/// One model's entry in a [`PriceTable`]. Serialises (JSON of `visionprep models --json`) with
/// its lifecycle flattened in: `"status": "deprecated", "retires": "2026-11-30"`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelPrice {
    /// The canonical API id, e.g. `claude-sonnet-4-6`.
    pub id: String,
    /// Other ids that name this model (dated snapshots and the like).
    pub aliases: Vec<String>,
    /// The resolution tier, which decides the fit rule.
    pub tier: Tier,
    /// Input price per million tokens.
    pub input_per_mtok: Usd,
    /// A higher price for long prompts, if the model has one.
    pub step: Option<PriceStep>,
    /// This model's own cache-read multiplier, if it differs from the table's.
    #[cfg_attr(feature = "serde", serde(rename = "cache_read_ppm"))]
    pub cache_read: Option<Ppm>,
    /// The context window in tokens, when the data gives it (see [`ModelPrice::context`]).
    pub context_window: Option<u64>,
    /// Active, legacy, deprecated or retired, as of the table's (or the entry's) `as_of`.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifecycle: Lifecycle,
    /// The model Anthropic recommends instead, for deprecated, retired and legacy models.
    pub successor: Option<String>,
    /// The model's ids on the partner platforms (they also resolve to this entry).
    pub platform_ids: PlatformIds,
    /// Where this entry's figures come from (a page of Anthropic's docs, an SDK release).
    pub source: Option<String>,
    /// The date this entry was checked, when it differs from the table's `as_of`.
    pub as_of: Option<String>,
}

/// A model's lifecycle as reports carry it (the `model_status` field of JSON reports):
/// `{"status": "deprecated", "retires": "2026-11-30", "successor": "claude-sonnet-4-6"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelStatus {
    /// Active, legacy, deprecated (with its date) or retired (with its date).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifecycle: Lifecycle,
    /// The model recommended instead, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub successor: Option<String>,
}

impl ModelStatus {
    /// The status of `model`.
    pub fn of(model: &ModelPrice) -> ModelStatus {
        ModelStatus {
            lifecycle: model.lifecycle,
            successor: model.successor.clone(),
        }
    }
}

/// A model's ids on the platforms that serve Claude besides Anthropic's API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PlatformIds {
    /// Amazon Bedrock (`anthropic.claude-...-v1:0`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub bedrock: Option<String>,
    /// Google Cloud Vertex AI (`claude-...@20250929`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub vertex: Option<String>,
    /// Microsoft Foundry.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub foundry: Option<String>,
}

impl PlatformIds {
    /// The ids that are given, in the order Bedrock, Vertex, Foundry.
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        [&self.bedrock, &self.vertex, &self.foundry]
            .into_iter()
            .flatten()
    }
}

/// How [`PriceTable::select`] treats names: shared by every front end, so that the CLI, the
/// Python module and the web page choose models alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelChoice {
    /// Estimate retired models too (a historic cost report). Default: refused.
    pub allow_retired: bool,
    /// The tier and input price per million tokens of a model the table does not know yet.
    /// Default: unknown names are errors that suggest close ones.
    pub unknown: Option<(Tier, Usd)>,
}

impl ModelPrice {
    /// An entry for a model the table does not know yet, from its tier and input price
    /// (`--tier` and `--price-per-mtok` on the command line): active, with the default
    /// context window and modifiers, so that nobody is stuck until the next release.
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use visionprep_core::{ModelPrice, PriceTable, Tier, Usd};
    /// let mut table = PriceTable::builtin();
    /// let price = "3".parse::<Usd>().unwrap();
    /// table.add(ModelPrice::custom("claude-sonnet-9", Tier::Standard, price))?;
    /// assert_eq!(table.get("sonnet-9")?.input_per_mtok, price);
    /// # }
    /// # Ok::<(), visionprep_core::PriceError>(())
    /// ```
    pub fn custom(id: impl Into<String>, tier: Tier, input_per_mtok: Usd) -> ModelPrice {
        ModelPrice {
            id: id.into(),
            aliases: Vec::new(),
            tier,
            input_per_mtok,
            step: None,
            cache_read: None,
            context_window: None,
            lifecycle: Lifecycle::Active,
            successor: None,
            platform_ids: PlatformIds::default(),
            source: Some("given on the command line".into()),
            as_of: None,
        }
    }

    /// The context window in tokens ([`DEFAULT_CONTEXT_WINDOW`] when the data does not say).
    pub fn context(&self) -> u64 {
        self.context_window.unwrap_or(DEFAULT_CONTEXT_WINDOW)
    }

    /// Images (and documents) one request may hold for this model: 100 for a context window of
    /// 200k tokens or less, 600 for larger ones (current vision docs; SPEC sections 2 and 7).
    pub fn images_per_request(&self) -> u32 {
        if self.context() <= DEFAULT_CONTEXT_WINDOW {
            100
        } else {
            600
        }
    }

    /// Every name this entry answers to: id, aliases, platform ids.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .chain(self.platform_ids.iter())
    }

    /// The one-line note a report prints for a model that is not current: deprecated (with
    /// its retirement date and successor), retired, or legacy with a successor. `None` for an
    /// active model.
    pub fn status_note(&self) -> Option<String> {
        let instead = self
            .successor
            .as_deref()
            .map(|s| format!("; use {s} instead"))
            .unwrap_or_default();
        match self.lifecycle {
            Lifecycle::Active => None,
            Lifecycle::Legacy => self.successor.as_deref().map(|s| {
                format!(
                    "{} is a legacy model; {s} is its current successor",
                    self.id
                )
            }),
            Lifecycle::Deprecated { retires } => Some(format!(
                "{} is deprecated and retires on {retires}: requests to it fail from then on{instead}",
                self.id
            )),
            Lifecycle::Retired { retired } => Some(format!(
                "{} was retired on {retired}: the API refuses requests to it{instead}",
                self.id
            )),
        }
    }

    /// The price of one input token under `options`, with the table's `modifiers`.
    pub fn token_price(&self, modifiers: &Modifiers, options: &CostOptions) -> Usd {
        let per_mtok = match (self.step, options.prompt_tokens) {
            (Some(step), Some(n)) if n > step.above_tokens => step.input_per_mtok,
            _ => self.input_per_mtok,
        };
        let mut price = Usd::from_atto(per_mtok.atto() / 1_000_000);
        let mut apply = |ppm: Ppm| {
            if ppm != PPM_ONE {
                price = price.scaled_ppm(ppm);
            }
        };
        if options.batch {
            apply(modifiers.batch);
        }
        match options.cache {
            Some(CacheUse::Write5m) => apply(modifiers.cache_write_5m),
            Some(CacheUse::Write1h) => apply(modifiers.cache_write_1h),
            Some(CacheUse::Read) => apply(self.cache_read.unwrap_or(modifiers.cache_read)),
            None => {}
        }
        if options.us_only {
            apply(modifiers.us_only);
        }
        price
    }
}

/// The model data: prices, tiers, context windows and lifecycles, with the date they were
/// taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTable {
    as_of: String,
    source: Option<String>,
    modifiers: Modifiers,
    models: Vec<ModelPrice>,
    index: HashMap<String, usize>,
}

/// Why a name did not resolve to a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// No model in the table has this name.
    #[error("unknown model {name:?}{}", suggestion_text(.suggestions))]
    UnknownModel {
        /// The name as given.
        name: String,
        /// The closest known model ids, best first (may be empty).
        suggestions: Vec<String>,
    },
    /// The model was retired: the API refuses requests to it.
    #[error("{}", retired_text(.id, *.retired, .successor.as_deref()))]
    Retired {
        /// The model's id.
        id: String,
        /// The day it was retired.
        retired: Date,
        /// The model recommended instead, if the data names one.
        successor: Option<String>,
    },
    /// A tier and price for models the table does not know were given, but every model named
    /// is known.
    #[error("a tier and price for an unknown model were given, but every model named is known")]
    CustomUnused,
    /// The table has no model to default to (no available Sonnet).
    #[error("the model table has no available Sonnet model to use by default: name a model")]
    NoDefaultModel,
    /// Two entries of a table claim the same name.
    #[error("model name {name:?} is claimed by both {first} and {second}")]
    DuplicateName {
        /// The contested name (normalised).
        name: String,
        /// The entry that claimed it first.
        first: String,
        /// The entry that claimed it again.
        second: String,
    },
    /// A price file could not be read.
    #[error("price file: {0}")]
    Parse(String),
    /// An amount in a price file is not an exact non-negative decimal.
    #[error("price file: {0}")]
    Amount(#[from] InvalidAmount),
}

impl PriceError {
    /// Its stable code: `unknown-model`, `retired-model`, `invalid-options` (a custom price
    /// with no unknown model) or `invalid-model-data`.
    pub fn code(&self) -> crate::ErrorCode {
        use crate::ErrorCode as C;
        match self {
            PriceError::UnknownModel { .. } => C::UnknownModel,
            PriceError::Retired { .. } => C::RetiredModel,
            PriceError::CustomUnused => C::InvalidOptions,
            _ => C::InvalidModelData,
        }
    }
}

fn retired_text(id: &str, retired: Date, successor: Option<&str>) -> String {
    let instead = successor
        .map(|s| format!("; use {s} instead"))
        .unwrap_or_default();
    format!(
        "{id} was retired on {retired} and the API refuses requests to it{instead} \
         (retired models are estimated only when allowed, e.g. for a historic cost report)"
    )
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

impl PriceTable {
    /// A table from parts. Fails when two models claim the same name.
    pub fn new(
        as_of: impl Into<String>,
        modifiers: Modifiers,
        models: Vec<ModelPrice>,
    ) -> Result<Self, PriceError> {
        let mut table = PriceTable {
            as_of: as_of.into(),
            source: None,
            modifiers,
            models,
            index: HashMap::new(),
        };
        table.reindex()?;
        Ok(table)
    }

    fn reindex(&mut self) -> Result<(), PriceError> {
        self.index.clear();
        for (i, model) in self.models.iter().enumerate() {
            for name in model.names() {
                let key = normalize_model_name(name);
                match self.index.get(&key) {
                    Some(&j) if j != i => {
                        return Err(PriceError::DuplicateName {
                            name: key,
                            first: self.models[j].id.clone(),
                            second: model.id.clone(),
                        });
                    }
                    _ => {
                        self.index.insert(key, i);
                    }
                }
            }
        }
        Ok(())
    }

    /// The date the prices were taken, as written in the table (`2026-11-20`).
    pub fn as_of(&self) -> &str {
        &self.as_of
    }

    /// Where the prices come from, if the table says.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The multipliers for batch, caching and US-only inference.
    pub fn modifiers(&self) -> &Modifiers {
        &self.modifiers
    }

    /// Every model, in table order.
    pub fn models(&self) -> &[ModelPrice] {
        &self.models
    }

    /// The model a name refers to (see the module docs for the accepted forms).
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// let table = visionprep_core::PriceTable::builtin();
    /// assert_eq!(table.get("sonnet-4.5").unwrap().id, "claude-sonnet-4-5");
    /// assert!(table.get("claude-sonnet-9").is_err());
    /// # }
    /// ```
    pub fn get(&self, name: &str) -> Result<&ModelPrice, PriceError> {
        let key = normalize_model_name(name);
        match self.index.get(&key) {
            Some(&i) => Ok(&self.models[i]),
            None => Err(PriceError::UnknownModel {
                name: name.to_owned(),
                suggestions: self.suggest(&key),
            }),
        }
    }

    /// The model a name refers to, refusing a retired one unless `allow_retired` (the API
    /// would refuse every request to it; a historic cost report may still want its prices).
    /// Deprecated models resolve: print their [`ModelPrice::status_note`].
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use visionprep_core::{PriceError, PriceTable};
    /// let table = PriceTable::builtin();
    /// assert!(matches!(table.resolve("claude-3-opus", false), Err(PriceError::Retired { .. })));
    /// assert_eq!(table.resolve("claude-3-opus", true).unwrap().id, "claude-3-opus");
    /// # }
    /// ```
    pub fn resolve(&self, name: &str, allow_retired: bool) -> Result<&ModelPrice, PriceError> {
        let model = self.get(name)?;
        match model.lifecycle {
            Lifecycle::Retired { retired } if !allow_retired => Err(PriceError::Retired {
                id: model.id.clone(),
                retired,
                successor: model.successor.clone(),
            }),
            _ => Ok(model),
        }
    }

    /// The model used when none is named: the newest active (or legacy) Sonnet on the
    /// standard tier, whose 1568 px / ~1,600-token card the project was specified with; once
    /// none is left on that tier, the newest current Sonnet of any tier (SPEC section 4).
    /// "Newest" is the highest version in the model id (`sonnet-4-6` after `sonnet-4-5`).
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// let table = visionprep_core::PriceTable::builtin();
    /// let default = table.default_model().unwrap();
    /// assert!(default.lifecycle.is_current());
    /// assert_eq!(default.id, "claude-sonnet-4-6");
    /// # }
    /// ```
    pub fn default_model(&self) -> Result<&ModelPrice, PriceError> {
        let newest = |standard_only: bool| {
            self.models
                .iter()
                .filter(|m| m.lifecycle.is_current())
                .filter(|m| !standard_only || m.tier == Tier::Standard)
                .filter_map(|m| {
                    let key = normalize_model_name(&m.id);
                    let (family, version) = version_key(&key);
                    (family == "sonnet").then_some((version, m))
                })
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, m)| m)
        };
        newest(true)
            .or_else(|| newest(false))
            .ok_or(PriceError::NoDefaultModel)
    }

    /// The models a front end was asked for, resolved once: `names` in order (duplicates
    /// dropped; none means [`PriceTable::default_model`]), retired ones refused unless
    /// `choice.allow_retired`, and names the table does not know added to it with
    /// `choice.unknown`'s tier and price when given (so that [`PriceTable::get`] and an
    /// [`Estimator`](crate::Estimator) find them afterwards). Print each returned model's
    /// [`ModelPrice::status_note`] once.
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use visionprep_core::{ModelChoice, PriceTable, Tier};
    /// let mut table = PriceTable::builtin();
    /// let choice = ModelChoice {
    ///     unknown: Some((Tier::HighResolution, "12".parse().unwrap())),
    ///     ..ModelChoice::default()
    /// };
    /// let models = table.select(&["claude-opus-9", "sonnet-4.6"], &choice)?;
    /// assert_eq!(models[0].id, "claude-opus-9");
    /// assert_eq!(models[1].id, "claude-sonnet-4-6");
    /// assert_eq!(table.select(&[] as &[&str], &ModelChoice::default())?[0].id, "claude-sonnet-4-6");
    /// # }
    /// # Ok::<(), visionprep_core::PriceError>(())
    /// ```
    pub fn select(
        &mut self,
        names: &[impl AsRef<str>],
        choice: &ModelChoice,
    ) -> Result<Vec<ModelPrice>, PriceError> {
        let mut chosen: Vec<ModelPrice> = Vec::new();
        let mut used_custom = false;
        if names.is_empty() {
            chosen.push(self.default_model()?.clone());
        }
        for name in names {
            let name = name.as_ref();
            let model = match (self.resolve(name, choice.allow_retired), choice.unknown) {
                (Ok(m), _) => m.clone(),
                (Err(PriceError::UnknownModel { .. }), Some((tier, price))) => {
                    used_custom = true;
                    let m = ModelPrice::custom(name.trim(), tier, price);
                    self.add(m.clone())?;
                    m
                }
                (Err(e), _) => return Err(e),
            };
            if !chosen.iter().any(|c| c.id == model.id) {
                chosen.push(model);
            }
        }
        if choice.unknown.is_some() && !used_custom {
            return Err(PriceError::CustomUnused);
        }
        Ok(chosen)
    }

    /// Adds a model, or replaces the entry that already answers to one of its names.
    pub fn add(&mut self, model: ModelPrice) -> Result<(), PriceError> {
        let mut next = self.models.clone();
        let existing = model
            .names()
            .find_map(|name| self.index.get(&normalize_model_name(name)).copied());
        match existing {
            Some(i) => next[i] = model,
            None => next.push(model),
        }
        let mut table = PriceTable {
            models: next,
            index: HashMap::new(),
            ..self.clone()
        };
        table.reindex()?;
        *self = table;
        Ok(())
    }

    /// The cost of `tokens` input tokens on `model` under `options`.
    pub fn cost(&self, model: &ModelPrice, tokens: u64, options: &CostOptions) -> Usd {
        model.token_price(&self.modifiers, options).times(tokens)
    }

    fn suggest(&self, key: &str) -> Vec<String> {
        let mut scored: Vec<(usize, &str)> = self
            .models
            .iter()
            .filter(|m| m.lifecycle.is_available())
            .filter_map(|m| {
                let mk = normalize_model_name(&m.id);
                let d = levenshtein(key, &mk);
                let related = !key.is_empty() && (mk.starts_with(key) || key.starts_with(&mk));
                (d <= 3 || related).then_some((if related { d.min(2) } else { d }, m.id.as_str()))
            })
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(5)
            .map(|(_, id)| id.to_owned())
            .collect()
    }
}

impl fmt::Display for ModelPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (${}/MTok, {})",
            self.id, self.input_per_mtok, self.tier
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, input_micros: u64) -> ModelPrice {
        ModelPrice::custom(id, Tier::Standard, Usd::from_micros(input_micros))
    }

    #[test]
    fn duplicate_names_are_refused() {
        let err = PriceTable::new(
            "x",
            Modifiers::default(),
            vec![model("claude-opus-4-0", 1), model("claude-opus-4", 2)],
        );
        assert!(matches!(err, Err(PriceError::DuplicateName { .. })));
    }

    #[test]
    fn modifiers_multiply() {
        let t = PriceTable::new("x", Modifiers::default(), vec![model("m", 3_000_000)]).unwrap();
        let m = t.get("m").unwrap();
        let base = t.cost(m, 1_000_000, &CostOptions::default());
        assert_eq!(base, Usd::from_micros(3_000_000));
        let opts = CostOptions {
            batch: true,
            cache: Some(CacheUse::Write5m),
            us_only: true,
            prompt_tokens: None,
        };
        // 3 * 0.5 * 1.25 * 1.1 = 2.0625
        assert_eq!(t.cost(m, 1_000_000, &opts).to_string(), "2.0625");
        let read = CostOptions {
            cache: Some(CacheUse::Read),
            ..CostOptions::default()
        };
        assert_eq!(t.cost(m, 1_000_000, &read).to_string(), "0.3");
    }
}
