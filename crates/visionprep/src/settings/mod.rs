//! Settings: every option of `cost`, `prepare`, `request` and `batch`, as one plain-data type,
//! resolved once into what a run needs.
//!
//! Each front end fills a [`Settings`] in its own spelling (clap flags, Python keyword
//! arguments, JavaScript option objects) and calls [`Settings::resolve`]: the meaning, the
//! default and the validation of every option live here alone, so that the same options give
//! the same bytes, tokens and dollars everywhere.
//!
//! ```
//! use visionprep::settings::Settings;
//!
//! let settings: Settings = serde_json::from_str(
//!     r#"{"models": ["claude-opus-4-7"], "token_budget": 800, "batch": true}"#,
//! )?;
//! let run = settings.resolve()?;
//! assert_eq!(run.model().id, "claude-opus-4-7");
//! assert_eq!(run.prepare.token_budget, Some(800));
//! // Unknown fields are refused, never ignored.
//! assert!(serde_json::from_str::<Settings>(r#"{"modle": "x"}"#).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod body;
mod spelled;
mod spellings;

pub use body::BodyText;
pub use spelled::Front;
pub use spellings::{Reads, SPELLINGS, Spelling};

use crate::folder::Assessor;
use crate::limits::Limits;
use crate::prepare::{Filter, OutputPolicy, PrepareOptions};
use crate::report::PlanReport;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use visionprep_core::{
    CacheUse, CostOptions, ErrorCode, Estimator, MinScale, ModelChoice, ModelPrice, PriceError,
    PriceTable, Profile, RequestLimits, Tier, TileMode, TileOptions, TokenRule, Usd,
};

/// Every option of a cost report or a preparation run. Plain data: `Default` gives the CLI's
/// defaults, and serde reads it from JSON (or any format) with unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The models to estimate for (API ids, dated ids, platform ids, short forms such as
    /// `sonnet-4.6`); a preparation is for the first. Default: none, which is the model
    /// data's default model.
    pub models: Vec<String>,
    /// Choose retired models too (historic cost reports). Default: false.
    pub allow_retired: bool,
    /// The tier of a model the model data does not know yet; goes with `price_per_mtok`.
    /// Default: none (unknown models are refused).
    #[serde(with = "text_opt")]
    pub tier: Option<Tier>,
    /// The input price in USD per million tokens of a model the data does not know yet (at
    /// most 12 decimals); goes with `tier`. Default: none.
    #[serde(with = "text_opt")]
    pub price_per_mtok: Option<Usd>,
    /// A TOML price file extending (or replacing) the built-in model data. Default: none.
    pub prices: Option<PathBuf>,
    /// The same as `prices`, given as its text (where there are no files: a web page).
    /// Applied after `prices`. Default: none.
    pub prices_toml: Option<String>,
    /// The limits outputs and checks must meet. Default: `portable`.
    #[serde(with = "text")]
    pub profile: Profile,
    /// How image tokens are counted. Default: `area750`.
    #[serde(with = "text")]
    pub token_rule: TokenRule,
    /// JPEG quality, 1 to 100 (lowered only as the byte cap requires). Default: 85.
    pub quality: u8,
    /// The resampling filter. Default: `lanczos3`.
    #[serde(with = "text")]
    pub filter: Filter,
    /// The output format. Default: `auto`.
    #[serde(with = "text")]
    pub output_format: OutputPolicy,
    /// The colour transparency is composited onto for JPEG output, read as `[r, g, b]` or as
    /// text ([`parse_color`](crate::prepare::parse_color): `white`, `black`, `#rrggbb`,
    /// `r,g,b`). Default: white.
    #[serde(deserialize_with = "crate::prepare::background::deserialize")]
    pub background: [u8; 3],
    /// At most this many tokens per image (at least 1; not with tiles). Default: none.
    pub token_budget: Option<u64>,
    /// When images are cut into tiles: `never`, `auto` or `always`. Default: `never`.
    #[serde(with = "text")]
    pub tiles: TileMode,
    /// The least scale a tile may be shown at. Default: 0.5.
    #[serde(with = "text")]
    pub min_scale: MinScale,
    /// The least overlap of neighbouring tiles, in pixels. Default: 64.
    pub tile_overlap: u32,
    /// Price as sent through the Message Batches API (0.5x). Default: false.
    pub batch: bool,
    /// Price as part of a cached prompt: `write-5m`, `write-1h` or `read`. Default: none.
    #[serde(with = "text_opt")]
    pub cache: Option<CacheUse>,
    /// Price with US-only inference (1.1x). Default: false.
    pub us_only: bool,
    /// The whole prompt's input tokens, for long-context pricing. Default: none (under every
    /// threshold).
    pub prompt_tokens: Option<u64>,
    /// Read cut-off JPEGs and PNGs instead of failing them. Default: false.
    pub lenient: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            models: Vec::new(),
            allow_retired: false,
            tier: None,
            price_per_mtok: None,
            prices: None,
            prices_toml: None,
            profile: Profile::default(),
            token_rule: TokenRule::default(),
            quality: 85,
            filter: Filter::default(),
            output_format: OutputPolicy::default(),
            background: [255, 255, 255],
            token_budget: None,
            tiles: TileMode::Never,
            min_scale: MinScale::HALF,
            tile_overlap: TileOptions::DEFAULT_OVERLAP,
            batch: false,
            cache: None,
            us_only: false,
            prompt_tokens: None,
            lenient: false,
        }
    }
}

/// Why settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// An option out of range, or two that do not go together.
    #[error("{reason}")]
    Invalid {
        /// The setting (its field name).
        setting: &'static str,
        /// Why, in words.
        reason: String,
    },
    /// The price file could not be read.
    #[error("cannot read price file {}", .path.display())]
    PriceFile {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The price file (or text) is not valid model data.
    #[error("in {origin}")]
    PriceData {
        /// The file, or `prices_toml`.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: PriceError,
    },
    /// A model that cannot be chosen: unknown, retired, or a custom price with no unknown
    /// model to go with it.
    #[error(transparent)]
    Model(PriceError),
    /// A name no setting has in the front end's spelling ([`Settings::from_spelled`]).
    #[error("{}", match .note { Some(note) if !note.is_empty() => format!("{name}: {note}"), _ => format!("unknown option `{name}`") })]
    Unknown {
        /// The name as given.
        name: String,
        /// Why the front end does not offer the setting, when it exists elsewhere.
        note: Option<&'static str>,
    },
}

impl SettingsError {
    /// Its stable code: `invalid-options`, `unreadable` (a price file), `invalid-model-data`,
    /// `unknown-model` or `retired-model`.
    pub fn code(&self) -> ErrorCode {
        match self {
            SettingsError::Invalid { .. } | SettingsError::Unknown { .. } => {
                ErrorCode::InvalidOptions
            }
            SettingsError::PriceFile { .. } => ErrorCode::Unreadable,
            SettingsError::PriceData { .. } => ErrorCode::InvalidModelData,
            SettingsError::Model(e) => e.code(),
        }
    }

    fn invalid(setting: &'static str, reason: impl Into<String>) -> Self {
        SettingsError::Invalid {
            setting,
            reason: reason.into(),
        }
    }
}

/// What a run needs, resolved once from [`Settings`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resolved {
    /// The model data: built in, extended by the price file and text.
    pub table: PriceTable,
    /// The models chosen, in the order named (never empty).
    pub models: Vec<ModelPrice>,
    /// How images are prepared, for the first model.
    pub prepare: PrepareOptions,
    /// Tokens and dollars for every model, with the cost options, the budget and (for tiles
    /// `always`) the tiles applied.
    pub estimator: Estimator,
    /// The request limits of the profile, for the checks of a cost report.
    pub request: RequestLimits,
    /// Header and decode limits (lenient reading included).
    pub limits: Limits,
    /// Warnings for the user, once per run: each chosen model that is not current
    /// (deprecated, retired, legacy), with the date of the model data.
    pub warnings: Vec<String>,
    /// Notes for the user: what a header-only estimate cannot show (tiles `auto`).
    pub notes: Vec<String>,
    /// The first of `models`, kept apart so that it is always there.
    prepared_for: ModelPrice,
}

impl Resolved {
    /// The model images are prepared for: the first chosen.
    pub fn model(&self) -> &ModelPrice {
        &self.prepared_for
    }

    /// The assessor of a cost report: every model, the cost options, the profile's limits.
    pub fn assessor(&self) -> Assessor {
        Assessor {
            estimator: self.estimator.clone(),
            limits: self.limits,
            request: self.request,
        }
    }

    /// The assessor of a preparation run: the prepared model, as the outputs are sent.
    pub fn prepare_assessor(&self) -> Result<Assessor, SettingsError> {
        Assessor::for_prepare(&self.table, &self.prepare).map_err(SettingsError::Model)
    }

    /// The plan of a `width` x `height` image on every chosen model (`visionprep plan`, and
    /// `plan()` in Python and JavaScript). An image has at least one pixel on each side.
    pub fn plan(&self, width: u32, height: u32) -> Result<PlanReport, SettingsError> {
        if width == 0 || height == 0 {
            return Err(SettingsError::invalid(
                "size",
                "width and height must be at least 1",
            ));
        }
        let size = visionprep_core::Size::new(width, height);
        Ok(PlanReport::new(&self.estimator, size, self.table.as_of()))
    }
}

impl Settings {
    /// Validates the settings and resolves them: the model data read, the models chosen, the
    /// options of preparation and estimation built.
    pub fn resolve(&self) -> Result<Resolved, SettingsError> {
        self.check()?;
        let mut table = self.price_table()?;
        let choice = ModelChoice {
            allow_retired: self.allow_retired,
            unknown: self.tier.zip(self.price_per_mtok),
        };
        let models = table
            .select(&self.models, &choice)
            .map_err(SettingsError::Model)?;
        let Some(model) = models.first() else {
            return Err(SettingsError::invalid("models", "no model chosen"));
        };
        let warnings: Vec<String> = models
            .iter()
            .filter_map(|m| m.status_note())
            .map(|note| format!("{note} (model data as of {})", table.as_of()))
            .collect();
        let tiles = TileOptions {
            mode: self.tiles,
            min_scale: self.min_scale,
            overlap: self.tile_overlap,
        };
        let mut prepare = PrepareOptions::for_profile(&table, model, self.profile, self.quality);
        prepare.token_rule = self.token_rule;
        prepare.filter = self.filter;
        prepare.output = self.output_format;
        prepare.background = self.background;
        prepare.limits = prepare.limits.with_lenient(self.lenient);
        prepare.tiles = tiles;
        prepare.token_budget = self.token_budget;
        let mut notes = Vec::new();
        let estimated_tiles = match self.tiles {
            TileMode::Always => Some((self.min_scale, self.tile_overlap)),
            TileMode::Auto => {
                notes.push(
                    "--tiles auto tiles drawn images only, which takes their pixels: estimates \
                     from headers show no tiles (`prepare --tiles auto` reports them; --tiles \
                     always estimates tiles for every image)"
                        .to_owned(),
                );
                None
            }
            TileMode::Never => None,
        };
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        let estimator = Estimator::with_options(
            &table,
            &ids,
            self.token_rule,
            Default::default(),
            &self.cost_options(),
        )
        .map_err(SettingsError::Model)?
        .with_budget(self.token_budget)
        .with_tiles(estimated_tiles);
        Ok(Resolved {
            prepared_for: model.clone(),
            request: self.profile.limits(),
            limits: Limits::default().with_lenient(self.lenient),
            table,
            models,
            prepare,
            estimator,
            warnings,
            notes,
        })
    }

    /// [`Settings::resolve`], kept for the next call with the same settings: a plan per image
    /// in a loop (Python's and JavaScript's `plan()`) resolves once. Settings naming a price
    /// file are resolved afresh each time (the file may change between calls).
    pub fn resolve_shared(&self) -> Result<Arc<Resolved>, SettingsError> {
        static LAST: Mutex<Option<(Settings, Arc<Resolved>)>> = Mutex::new(None);
        if self.prices.is_some() {
            return self.resolve().map(Arc::new);
        }
        if let Ok(last) = LAST.lock()
            && let Some((settings, run)) = last.as_ref()
            && settings == self
        {
            return Ok(Arc::clone(run));
        }
        let run = Arc::new(self.resolve()?);
        if let Ok(mut last) = LAST.lock() {
            *last = Some((self.clone(), Arc::clone(&run)));
        }
        Ok(run)
    }

    /// The model data: built in, extended by the price file (`prices`), then by the price
    /// text (`prices_toml`).
    pub fn price_table(&self) -> Result<PriceTable, SettingsError> {
        let mut table = PriceTable::builtin();
        if let Some(path) = &self.prices {
            let text =
                std::fs::read_to_string(path).map_err(|source| SettingsError::PriceFile {
                    path: path.clone(),
                    source,
                })?;
            table
                .merge_toml(&text)
                .map_err(|source| SettingsError::PriceData {
                    origin: path.display().to_string(),
                    source,
                })?;
        }
        if let Some(text) = &self.prices_toml {
            table
                .merge_toml(text)
                .map_err(|source| SettingsError::PriceData {
                    origin: "prices_toml".to_owned(),
                    source,
                })?;
        }
        Ok(table)
    }

    /// How prompts are billed: batch, cache, US-only, prompt length.
    pub fn cost_options(&self) -> CostOptions {
        CostOptions {
            batch: self.batch,
            cache: self.cache,
            us_only: self.us_only,
            prompt_tokens: self.prompt_tokens,
        }
    }

    /// The checks that need no model data: ranges, and options that go together.
    fn check(&self) -> Result<(), SettingsError> {
        if !(1..=100).contains(&self.quality) {
            return Err(SettingsError::invalid(
                "quality",
                format!("quality: {} is not within 1-100", self.quality),
            ));
        }
        if self.tier.is_some() != self.price_per_mtok.is_some() {
            return Err(SettingsError::invalid(
                "tier",
                "a model the data does not know needs both its tier and its price per million \
                 tokens",
            ));
        }
        if let Some(price) = self.price_per_mtok
            && price.atto() % 1_000_000 != 0
        {
            return Err(SettingsError::invalid(
                "price_per_mtok",
                format!("{price}: a price per million tokens takes at most 12 decimals"),
            ));
        }
        let tiles = TileOptions {
            mode: self.tiles,
            min_scale: self.min_scale,
            overlap: self.tile_overlap,
        };
        tiles
            .check_budget(self.token_budget)
            .map_err(|e| SettingsError::invalid("token_budget", e.to_string()))
    }
}

/// Serde through a type's text form (`FromStr` and `Display`): the names the CLI takes. A
/// number is read as its text too (`0.5` for a minimum scale, `3` for a price).
mod text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    /// Text, or a number written as text.
    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(super) enum Loose {
        Text(String),
        Whole(u64),
        Signed(i64),
        Real(f64),
    }

    impl Loose {
        pub(super) fn text(self) -> String {
            match self {
                Loose::Text(t) => t,
                Loose::Whole(n) => n.to_string(),
                Loose::Signed(n) => n.to_string(),
                Loose::Real(x) => x.to_string(),
            }
        }
    }

    pub(super) fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        Loose::deserialize(d)?
            .text()
            .parse()
            .map_err(D::Error::custom)
    }
}

/// [`text`] for an optional value (`null` or missing: `None`).
mod text_opt {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub(super) fn serialize<T: Display, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        match Option::<super::text::Loose>::deserialize(d)? {
            Some(text) => text.text().parse().map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_needs_a_pixel_on_each_side() {
        let run = Settings::default()
            .resolve()
            .unwrap_or_else(|e| panic!("{e}"));
        for (w, h) in [(0, 0), (0, 500), (500, 0)] {
            let e = run.plan(w, h).unwrap_err();
            assert_eq!(e.code().as_str(), "invalid-options", "{w}x{h}");
        }
        let plan = run.plan(4032, 3024).unwrap_or_else(|e| panic!("{e}"));
        assert!(plan.first_line().is_some_and(|l| l.resized));
    }

    #[test]
    fn resolving_again_with_the_same_settings_reuses_the_run() {
        let a = Settings::default();
        let first = a.resolve_shared().unwrap_or_else(|e| panic!("{e}"));
        let again = a.resolve_shared().unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&first, &again));
        let b = Settings {
            token_budget: Some(800),
            ..Settings::default()
        };
        let other = b.resolve_shared().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(other.estimator.budget, Some(800));
        assert!(!Arc::ptr_eq(&first, &other));
        // A price file is read each time: it may have changed.
        let dir = std::env::temp_dir().join(format!("vp-shared-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("p.toml");
        std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
        let with_file = Settings {
            prices: Some(file),
            ..Settings::default()
        };
        let one = with_file.resolve_shared().unwrap_or_else(|e| panic!("{e}"));
        let two = with_file.resolve_shared().unwrap_or_else(|e| panic!("{e}"));
        assert!(!Arc::ptr_eq(&one, &two));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_docs_table_is_the_parity_table() {
        let docs = include_str!("../../../../docs/settings.md");
        let cell = |c: &str| {
            let c = c.trim();
            (c != "—").then(|| c.trim_matches('`').to_owned())
        };
        let rows: Vec<(String, Option<String>, String, Option<String>)> = docs
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let c: Vec<&str> = l.split('|').collect();
                let name = cell(c[1]).unwrap_or_default();
                (name, cell(c[2]), cell(c[3]).unwrap_or_default(), cell(c[4]))
            })
            .collect();
        let table: Vec<(String, Option<String>, String, Option<String>)> = SPELLINGS
            .iter()
            .map(|s| {
                (
                    s.name.to_owned(),
                    s.cli.map(str::to_owned),
                    s.python.to_owned(),
                    s.js.map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(rows, table);
    }

    #[test]
    fn the_parity_table_names_every_setting_once() {
        let json = serde_json::to_value(Settings::default()).unwrap();
        let fields: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut named: Vec<&str> = SPELLINGS.iter().map(|s| s.name).collect();
        named.sort_unstable();
        let mut fields_sorted = fields.clone();
        fields_sorted.sort_unstable();
        assert_eq!(named, fields_sorted);
        for s in SPELLINGS {
            assert!(
                s.python == s.name,
                "{}: Python spells settings in snake_case",
                s.name
            );
            if s.cli.is_none() || s.js.is_none() {
                assert!(
                    !s.note.is_empty(),
                    "{}: say why a front end lacks it",
                    s.name
                );
            }
        }
    }

    #[test]
    fn defaults_are_the_cli_defaults() {
        let s = Settings::default();
        let run = s.resolve().unwrap();
        assert_eq!(run.model().id, "claude-sonnet-4-6");
        assert_eq!(run.prepare.quality, 85);
        assert_eq!(run.prepare, {
            let table = PriceTable::builtin();
            let m = &table
                .clone()
                .select(&[] as &[&str], &ModelChoice::default())
                .unwrap()[0];
            PrepareOptions::for_profile(&table, m, Profile::Portable, 85)
        });
        assert!(run.notes.is_empty() && run.warnings.is_empty());
    }

    #[test]
    fn serde_round_trips_and_refuses_unknown_fields() {
        let s = Settings {
            models: vec!["claude-opus-4-7".into()],
            cache: Some(CacheUse::Read),
            tiles: TileMode::Always,
            min_scale: "0.75".parse().unwrap(),
            output_format: OutputPolicy::Png,
            ..Settings::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""cache":"read""#), "{text}");
        assert_eq!(serde_json::from_str::<Settings>(&text).unwrap(), s);
        let e = serde_json::from_str::<Settings>(r#"{"qualty": 80}"#).unwrap_err();
        assert!(e.to_string().contains("qualty"), "{e}");
        let e = serde_json::from_str::<Settings>(r#"{"cache": "forever"}"#).unwrap_err();
        assert!(e.to_string().contains("forever"), "{e}");
        // Numbers are read as their text: a scale, a price.
        let n: Settings =
            serde_json::from_str(r#"{"min_scale": 0.75, "price_per_mtok": 3, "tier": "standard"}"#)
                .unwrap();
        assert_eq!(n.min_scale, "0.75".parse().unwrap());
        assert_eq!(n.price_per_mtok, Some("3".parse().unwrap()));
    }

    #[test]
    fn bad_settings_are_refused_with_codes() {
        let code = |s: Settings| s.resolve().unwrap_err().code().as_str();
        let quality = Settings {
            quality: 0,
            ..Settings::default()
        };
        assert_eq!(code(quality), "invalid-options");
        let both = Settings {
            token_budget: Some(500),
            tiles: TileMode::Auto,
            ..Settings::default()
        };
        assert_eq!(code(both), "invalid-options");
        let zero = Settings {
            token_budget: Some(0),
            ..Settings::default()
        };
        assert_eq!(code(zero), "invalid-options");
        let lone_tier = Settings {
            tier: Some(Tier::Standard),
            ..Settings::default()
        };
        assert_eq!(code(lone_tier), "invalid-options");
        let unknown = Settings {
            models: vec!["claude-nonesuch-9".into()],
            ..Settings::default()
        };
        assert_eq!(code(unknown), "unknown-model");
        let missing = Settings {
            prices: Some("/nonexistent/prices.toml".into()),
            ..Settings::default()
        };
        assert_eq!(code(missing), "unreadable");
        let garbage = Settings {
            prices_toml: Some("[[models]]\nid = 3".into()),
            ..Settings::default()
        };
        assert_eq!(code(garbage), "invalid-model-data");
    }

    #[test]
    fn cost_options_reach_the_estimator() {
        let plain = Settings::default().resolve().unwrap();
        let batch = Settings {
            batch: true,
            ..Settings::default()
        }
        .resolve()
        .unwrap();
        let full = plain.estimator.token_prices()[0];
        let half = batch.estimator.token_prices()[0];
        assert_eq!(half.times(2), full);
    }

    #[test]
    fn an_unknown_model_is_priced_from_its_tier() {
        let s = Settings {
            models: vec!["claude-future-9".into()],
            tier: Some(Tier::HighResolution),
            price_per_mtok: Some("4".parse().unwrap()),
            ..Settings::default()
        };
        let run = s.resolve().unwrap();
        assert_eq!(run.model().id, "claude-future-9");
        assert_eq!(run.prepare.target.model(), "claude-future-9");
        let precise = Settings {
            price_per_mtok: Some("0.0000000000001".parse().unwrap()),
            ..s
        };
        assert_eq!(
            precise.resolve().unwrap_err().code(),
            ErrorCode::InvalidOptions
        );
    }
}
