//! Model prices: which tier a model is on and what its input tokens cost.
//!
//! Prices change every few weeks, so they are data with an `as_of` date: the built-in table is
//! `prices.toml`, embedded at build time ([`PriceTable::builtin`]), and a user file in the same
//! format extends or replaces it ([`PriceTable::merge_toml`]). Names are matched loosely:
//! `claude-sonnet-4-5`, `claude-sonnet-4-5-20250929`, `claude-sonnet-4-5-latest`,
//! `sonnet-4.5`, Bedrock's `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and Vertex's
//! `claude-sonnet-4-5@20250929` all name the same model. An unknown name is an error that lists
//! the closest known ones.

use crate::geometry::Tier;
use crate::money::{InvalidAmount, Usd};
use std::collections::HashMap;
use std::fmt;

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
pub struct PriceStep {
    /// The step applies when the prompt has more than this many input tokens.
    pub above_tokens: u64,
    /// Input price per million tokens above the threshold.
    pub input_per_mtok: Usd,
}

/// One model's entry in a [`PriceTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPrice {
    /// The canonical API id, e.g. `claude-sonnet-4-5`.
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
    pub cache_read: Option<Ppm>,
}

/// How a prompt is billed, beyond the model's base input price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CostOptions {
    /// Sent through the Message Batches API.
    pub batch: bool,
    /// The image is part of a cached prompt prefix.
    pub cache: Option<CacheUse>,
    /// US-only inference.
    pub us_only: bool,
    /// The whole prompt's input tokens, for models whose price steps up with prompt length.
    /// `None` assumes a prompt under every threshold.
    pub prompt_tokens: Option<u64>,
}

/// How an image interacts with prompt caching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Written to the cache with a 5 minute TTL.
    Write5m,
    /// Written to the cache with a 1 hour TTL.
    Write1h,
    /// Read from the cache.
    Read,
}

impl ModelPrice {
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

/// A table of model prices with the date they were taken.
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
            for name in std::iter::once(&model.id).chain(&model.aliases) {
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

    /// The cost of `tokens` input tokens on `model` under `options`.
    pub fn cost(&self, model: &ModelPrice, tokens: u64, options: &CostOptions) -> Usd {
        model.token_price(&self.modifiers, options).times(tokens)
    }

    fn suggest(&self, key: &str) -> Vec<String> {
        let mut scored: Vec<(usize, &str)> = self
            .models
            .iter()
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

/// Reduces a model name to the key it is looked up by: lower case, separators folded to `-`,
/// anything before `claude-` (Bedrock's `us.anthropic.`) dropped, then the `claude-` prefix and
/// any `-latest`, `-vN:M` (Bedrock) or `-YYYYMMDD` (dated snapshot, Vertex's `@date`) suffix;
/// a `-0` minor version is dropped (`opus-4-0` is `opus-4`), and old names put the family
/// first (`3-7-sonnet` is `sonnet-3-7`).
///
/// ```
/// use visionprep_core::normalize_model_name as n;
/// assert_eq!(n("claude-sonnet-4-5-20250929"), n("Sonnet 4.5"));
/// assert_eq!(n("us.anthropic.claude-3-7-sonnet-20250219-v1:0"), n("sonnet-3.7"));
/// assert_eq!(n("claude-opus-4-20250514"), n("claude-opus-4-0"));
/// ```
pub fn normalize_model_name(name: &str) -> String {
    let mut s: String = name
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' | '.' | '/' | '@' | ':' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if let Some(pos) = s.find("claude-") {
        s.drain(..pos + "claude-".len());
    }
    let mut parts: Vec<&str> = s.split('-').filter(|p| !p.is_empty()).collect();
    if parts.last() == Some(&"latest") {
        parts.pop();
    }
    // Bedrock: -v1:0 (now -v1-0) or -v2
    if parts.len() >= 2 && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        let prev = parts[parts.len() - 2];
        if is_version_tag(prev) {
            parts.truncate(parts.len() - 2);
        }
    }
    if parts.last().is_some_and(|p| is_version_tag(p)) {
        parts.pop();
    }
    if parts
        .last()
        .is_some_and(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        parts.pop();
    }
    if parts.len() >= 3
        && parts.last() == Some(&"0")
        && parts[parts.len() - 2].bytes().all(|b| b.is_ascii_digit())
    {
        parts.pop();
    }
    if parts
        .first()
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        let family = parts.pop();
        parts.extend(family);
        parts.rotate_right(1);
    }
    parts.join("-")
}

fn is_version_tag(p: &str) -> bool {
    p.len() >= 2 && p.starts_with('v') && p[1..].bytes().all(|b| b.is_ascii_digit())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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

#[cfg(feature = "serde")]
mod file {
    //! The TOML form of a price table.
    use super::*;
    use crate::money::parse_decimal;
    use serde::Deserialize;

    /// The built-in table's text.
    pub(super) const BUILTIN: &str = include_str!("../prices.toml");

    /// A decimal written as a TOML string or number.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Decimal {
        Text(String),
        Int(u64),
        Float(f64),
    }

    impl Decimal {
        /// The amount scaled by 10^`decimals`; floats are read through their shortest
        /// round-trip text, which is the decimal the user wrote.
        fn scaled(&self, decimals: u32) -> Result<u128, InvalidAmount> {
            match self {
                Decimal::Text(t) => parse_decimal(t, decimals),
                Decimal::Int(i) => parse_decimal(&i.to_string(), decimals),
                Decimal::Float(f) if f.is_finite() && *f >= 0.0 => {
                    parse_decimal(&format!("{f}"), decimals)
                }
                Decimal::Float(f) => Err(InvalidAmount(f.to_string())),
            }
        }

        /// A price per million tokens. At most 12 decimals, so that the price of one token
        /// (a millionth of it) is exact in attodollars.
        fn usd(&self) -> Result<Usd, InvalidAmount> {
            self.scaled(12)
                .map(|v| Usd::from_atto(v.saturating_mul(1_000_000)))
        }

        fn ppm(&self) -> Result<Ppm, InvalidAmount> {
            let v = self.scaled(6)?;
            u64::try_from(v).map_err(|_| InvalidAmount(format!("{v} ppm")))
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct RawTable {
        as_of: Option<String>,
        source: Option<String>,
        #[serde(default)]
        replace: bool,
        #[serde(default)]
        modifiers: RawModifiers,
        #[serde(default)]
        models: Vec<RawModel>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct RawModifiers {
        batch: Option<Decimal>,
        cache_write_5m: Option<Decimal>,
        cache_write_1h: Option<Decimal>,
        cache_read: Option<Decimal>,
        us_only: Option<Decimal>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawModel {
        id: String,
        #[serde(default)]
        aliases: Vec<String>,
        tier: Tier,
        input: Decimal,
        step: Option<RawStep>,
        cache_read: Option<Decimal>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawStep {
        above_tokens: u64,
        input: Decimal,
    }

    fn set(slot: &mut Ppm, value: &Option<Decimal>) -> Result<(), InvalidAmount> {
        if let Some(v) = value {
            *slot = v.ppm()?;
        }
        Ok(())
    }

    impl RawModel {
        fn into_price(self) -> Result<ModelPrice, InvalidAmount> {
            Ok(ModelPrice {
                step: self
                    .step
                    .map(|s| {
                        Ok::<_, InvalidAmount>(PriceStep {
                            above_tokens: s.above_tokens,
                            input_per_mtok: s.input.usd()?,
                        })
                    })
                    .transpose()?,
                cache_read: self.cache_read.as_ref().map(Decimal::ppm).transpose()?,
                input_per_mtok: self.input.usd()?,
                id: self.id,
                aliases: self.aliases,
                tier: self.tier,
            })
        }
    }

    pub(super) fn parse(text: &str) -> Result<RawTable, PriceError> {
        toml::from_str(text).map_err(|e| PriceError::Parse(e.to_string().trim_end().to_owned()))
    }

    impl PriceTable {
        /// The prices shipped with this version of visionprep (`prices.toml`).
        pub fn builtin() -> PriceTable {
            let mut table = PriceTable {
                as_of: String::new(),
                source: None,
                modifiers: Modifiers::default(),
                models: Vec::new(),
                index: HashMap::new(),
            };
            // The built-in file is checked by the unit tests; a failure here is a build defect.
            if let Err(e) = table.merge_toml(BUILTIN) {
                unreachable!("built-in prices.toml is invalid: {e}");
            }
            table
        }

        /// A table read from TOML text in the format of `prices.toml`.
        pub fn from_toml(text: &str) -> Result<PriceTable, PriceError> {
            let mut table = PriceTable::new("", Modifiers::default(), Vec::new())?;
            table.merge_toml(text)?;
            Ok(table)
        }

        /// Applies a user price file: with `replace = true` (and an `as_of`) it replaces the
        /// table; otherwise its models replace the entries they name (by any of their names)
        /// and new ones are added; its `as_of`, `source` and modifiers replace the table's when
        /// given. A file that fails leaves the table as it was.
        pub fn merge_toml(&mut self, text: &str) -> Result<(), PriceError> {
            let raw = parse(text)?;
            let mut next = self.clone();
            if raw.replace {
                if raw.as_of.is_none() {
                    return Err(PriceError::Parse(
                        "a file with replace = true must give the as_of date of its prices".into(),
                    ));
                }
                next.models.clear();
                next.modifiers = Modifiers::default();
                next.source = None;
            }
            if let Some(as_of) = raw.as_of {
                next.as_of = as_of;
            }
            if raw.source.is_some() {
                next.source = raw.source;
            }
            let m = &mut next.modifiers;
            set(&mut m.batch, &raw.modifiers.batch)?;
            set(&mut m.cache_write_5m, &raw.modifiers.cache_write_5m)?;
            set(&mut m.cache_write_1h, &raw.modifiers.cache_write_1h)?;
            set(&mut m.cache_read, &raw.modifiers.cache_read)?;
            set(&mut m.us_only, &raw.modifiers.us_only)?;
            for model in raw.models {
                let price = model.into_price()?;
                let existing = std::iter::once(&price.id)
                    .chain(&price.aliases)
                    .find_map(|name| next.index.get(&normalize_model_name(name)).copied());
                match existing {
                    Some(i) => next.models[i] = price,
                    None => next.models.push(price),
                }
                next.reindex()?;
            }
            next.reindex()?;
            *self = next;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_names() {
        let n = normalize_model_name;
        assert_eq!(n("claude-sonnet-4-5"), "sonnet-4-5");
        assert_eq!(n("claude-sonnet-4-5-latest"), "sonnet-4-5");
        assert_eq!(n("sonnet-4.5"), "sonnet-4-5");
        assert_eq!(n("Claude Sonnet 4.5"), "sonnet-4-5");
        assert_eq!(n("claude-sonnet-4-5@20250929"), "sonnet-4-5");
        assert_eq!(
            n("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "sonnet-4-5"
        );
        assert_eq!(n("claude-3-haiku-20240307"), "haiku-3");
        assert_eq!(n("claude-3-5-haiku-latest"), "haiku-3-5");
        assert_eq!(n("haiku-3.5"), "haiku-3-5");
        assert_eq!(n("claude-opus-4-0"), "opus-4");
        assert_eq!(n("claude-opus-4"), "opus-4");
        assert_eq!(n("claude-opus-5"), "opus-5");
        assert_eq!(n(""), "");
        assert_eq!(n("---"), "");
    }

    #[test]
    fn levenshtein_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    fn model(id: &str, input_micros: u64) -> ModelPrice {
        ModelPrice {
            id: id.into(),
            aliases: vec![],
            tier: Tier::Standard,
            input_per_mtok: Usd::from_micros(input_micros),
            step: None,
            cache_read: None,
        }
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

#[cfg(all(test, feature = "serde"))]
mod file_tests {
    use super::*;

    #[test]
    fn builtin_table_is_complete() {
        let t = PriceTable::builtin();
        assert_eq!(t.as_of(), "2026-11-20");
        assert_eq!(t.models().len(), 23);
        let expect = [
            ("claude-fable-5-1", "10", Tier::HighResolution),
            ("claude-mythos-5", "10", Tier::HighResolution),
            ("claude-opus-5-5", "4", Tier::HighResolution),
            ("claude-opus-4-7", "5", Tier::HighResolution),
            ("claude-opus-4-6", "5", Tier::Standard),
            ("claude-opus-4-5-20251101", "5", Tier::Standard),
            ("claude-opus-4-1-20250805", "15", Tier::Standard),
            ("claude-opus-4-20250514", "15", Tier::Standard),
            ("claude-3-opus-latest", "15", Tier::Standard),
            ("claude-sonnet-5", "2", Tier::HighResolution),
            ("claude-sonnet-4-6", "3", Tier::Standard),
            ("claude-3-7-sonnet-latest", "3", Tier::Standard),
            ("claude-haiku-5-5", "0.1", Tier::HighResolution),
            ("claude-haiku-4-5-20251001", "1", Tier::Standard),
            ("claude-3-5-haiku-20241022", "0.8", Tier::Standard),
            ("claude-3-haiku-20240307", "0.25", Tier::Standard),
        ];
        for (name, price, tier) in expect {
            let m = t.get(name).unwrap();
            assert_eq!(m.input_per_mtok.to_string(), price, "{name}");
            assert_eq!(m.tier, tier, "{name}");
        }
    }

    #[test]
    fn guide_costs_at_three_dollars() {
        let t = PriceTable::builtin();
        let m = t.get("claude-sonnet-4-5").unwrap();
        let o = CostOptions::default();
        assert_eq!(t.cost(m, 54, &o).to_string(), "0.000162");
        assert_eq!(t.cost(m, 1334, &o).to_string(), "0.004002");
        assert_eq!(t.cost(m, 1590, &o).to_string(), "0.00477");
        assert_eq!(t.cost(m, 1590, &o).times(1000).format_fixed(2), "4.77");
    }

    #[test]
    fn steps_and_model_cache_reads() {
        let t = PriceTable::builtin();
        let haiku = t.get("haiku-5.5").unwrap();
        let short = CostOptions {
            prompt_tokens: Some(100_000),
            ..Default::default()
        };
        let long = CostOptions {
            prompt_tokens: Some(100_001),
            ..Default::default()
        };
        assert_eq!(t.cost(haiku, 1_000_000, &short).to_string(), "0.1");
        assert_eq!(t.cost(haiku, 1_000_000, &long).to_string(), "0.5");
        let sonnet = t.get("sonnet-4.5").unwrap();
        let long = CostOptions {
            prompt_tokens: Some(200_001),
            ..Default::default()
        };
        assert_eq!(t.cost(sonnet, 1_000_000, &long).to_string(), "6");
        let read = CostOptions {
            cache: Some(CacheUse::Read),
            ..Default::default()
        };
        assert_eq!(
            t.cost(t.get("opus-5.5").unwrap(), 1_000_000, &read)
                .to_string(),
            "0.2"
        );
        assert_eq!(
            t.cost(t.get("fable-5.1").unwrap(), 1_000_000, &read)
                .to_string(),
            "0.25"
        );
        assert_eq!(
            t.cost(t.get("opus-4.5").unwrap(), 1_000_000, &read)
                .to_string(),
            "0.5"
        );
    }

    #[test]
    fn unknown_models_suggest_close_ones() {
        let t = PriceTable::builtin();
        match t.get("claude-sonet-4-5") {
            Err(PriceError::UnknownModel { suggestions, .. }) => {
                assert_eq!(
                    suggestions.first().map(String::as_str),
                    Some("claude-sonnet-4-5")
                );
            }
            other => panic!("{other:?}"),
        }
        let msg = t.get("sonnet").unwrap_err().to_string();
        assert!(
            msg.contains("did you mean") && msg.contains("claude-sonnet-5"),
            "{msg}"
        );
        let msg = t.get("gpt-4o").unwrap_err().to_string();
        assert_eq!(msg, "unknown model \"gpt-4o\"");
    }

    #[test]
    fn user_files_extend_or_replace() {
        let mut t = PriceTable::builtin();
        t.merge_toml(
            r#"
            as_of = "2027-01-01"
            [modifiers]
            batch = 0.4
            [[models]]
            id = "claude-sonnet-4-5-20250929"
            tier = "standard"
            input = 2.5
            [[models]]
            id = "claude-sonnet-6"
            aliases = ["sonnet-six"]
            tier = "high-resolution"
            input = "1.75"
            "#,
        )
        .unwrap();
        assert_eq!(t.as_of(), "2027-01-01");
        assert_eq!(t.models().len(), 24);
        assert_eq!(
            t.get("sonnet-4.5").unwrap().input_per_mtok.to_string(),
            "2.5"
        );
        assert_eq!(t.get("sonnet-six").unwrap().tier, Tier::HighResolution);
        assert_eq!(t.modifiers().batch, 400_000);

        let replaced = PriceTable::from_toml(
            "replace = true\nas_of = \"d\"\n[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\n",
        )
        .unwrap();
        assert_eq!(replaced.models().len(), 1);
    }

    #[test]
    fn bad_files_are_errors() {
        let mut t = PriceTable::builtin();
        let before = t.clone();
        for bad in [
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = -1\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = \"1e3\"\n",
            "[[models]]\nid = \"m\"\ntier = \"medium\"\ninput = 1\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\ncolour = 3\n",
            "not toml at all [",
            "replace = true\n[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = \"0.0000000000001\"\n",
            "[[models]]\nid = \"a\"\naliases = [\"claude-opus-4-6\", \"claude-opus-4-5\"]\ntier = \"standard\"\ninput = 1\n",
        ] {
            assert!(t.merge_toml(bad).is_err(), "{bad}");
            assert_eq!(t, before, "a failed merge leaves the table as it was");
        }
    }
}
