//! The TOML form of the model table (`prices.toml` and user files).
use super::*;
use crate::money::parse_decimal;
use serde::Deserialize;

/// The built-in table's text.
pub(super) const BUILTIN: &str = include_str!("../../prices.toml");

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
    context_window: Option<u64>,
    status: Option<String>,
    retirement: Option<String>,
    successor: Option<String>,
    #[serde(default)]
    platform_ids: RawPlatformIds,
    source: Option<String>,
    as_of: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlatformIds {
    bedrock: Option<String>,
    vertex: Option<String>,
    foundry: Option<String>,
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
    fn into_price(self) -> Result<ModelPrice, PriceError> {
        let in_entry = |e: String| PriceError::Parse(format!("model {}: {e}", self.id));
        let retirement = self
            .retirement
            .as_deref()
            .map(str::parse::<Date>)
            .transpose()
            .map_err(|e| in_entry(e.to_string()))?;
        let lifecycle =
            Lifecycle::from_parts(self.status.as_deref().unwrap_or("active"), retirement)
                .map_err(|e| in_entry(e.0))?;
        if self.context_window == Some(0) {
            return Err(in_entry("context_window must be positive".into()));
        }
        Ok(ModelPrice {
            context_window: self.context_window,
            lifecycle,
            successor: self.successor,
            platform_ids: PlatformIds {
                bedrock: self.platform_ids.bedrock,
                vertex: self.platform_ids.vertex,
                foundry: self.platform_ids.foundry,
            },
            source: self.source,
            as_of: self.as_of,
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
    /// The model data shipped with this version of visionprep (`prices.toml`), parsed once
    /// per process and cloned.
    pub fn builtin() -> PriceTable {
        PriceTable::shared().clone()
    }

    /// The built-in model data by reference, parsed once per process: for callers that read
    /// it often and never change it (a binding's `models()`, `check`).
    pub fn shared() -> &'static PriceTable {
        static BUILT_IN: std::sync::OnceLock<PriceTable> = std::sync::OnceLock::new();
        BUILT_IN.get_or_init(|| {
            let mut table = PriceTable {
                as_of: String::new(),
                source: None,
                modifiers: Modifiers::default(),
                models: Vec::new(),
                index: HashMap::new(),
            };
            // The built-in file is checked by the unit tests; a failure here is a build
            // defect, never an input error.
            if let Err(e) = table.merge_toml(BUILTIN) {
                unreachable!("built-in prices.toml is invalid: {e}");
            }
            table
        })
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
            next.add(model.into_price()?)?;
        }
        next.reindex()?;
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_is_complete() {
        let t = PriceTable::builtin();
        assert_eq!(t.as_of(), "2026-11-30");
        assert_eq!(t.models().len(), 26);
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

    /// Every entry of the shipped data carries what the docs give, and its lifecycle agrees
    /// with the table's date: nothing active past a retirement, nothing deprecated whose
    /// retirement has passed, nothing retired before its date.
    #[test]
    fn builtin_data_is_complete_and_consistent() {
        let raw: toml::Table = toml::from_str(BUILTIN).unwrap();
        let entries = raw["models"].as_array().unwrap();
        for e in entries {
            let id = e["id"].as_str().unwrap();
            for key in ["tier", "input", "context_window", "status", "source"] {
                assert!(e.get(key).is_some(), "{id} has no {key}");
            }
        }
        let t = PriceTable::builtin();
        let as_of: Date = t.as_of().parse().unwrap();
        for m in t.models() {
            assert!(m.context_window.is_some_and(|c| c >= 100_000), "{}", m.id);
            match m.lifecycle {
                Lifecycle::Deprecated { retires } => {
                    assert!(
                        retires >= as_of,
                        "{} retired {retires}: mark it retired",
                        m.id
                    )
                }
                Lifecycle::Retired { retired } => {
                    assert!(retired <= as_of, "{} retires {retired}: not yet", m.id)
                }
                _ => {}
            }
            if !m.lifecycle.is_current() {
                let s = m.successor.as_deref();
                assert!(s.is_some(), "{} has no successor", m.id);
            }
            if let Some(s) = &m.successor {
                let next = t.get(s).unwrap();
                assert!(
                    next.lifecycle.is_current(),
                    "{}'s successor {s} is not current",
                    m.id
                );
                assert_ne!(next.id, m.id);
            }
            for name in m.names() {
                assert_eq!(t.get(name).unwrap().id, m.id, "{name}");
            }
        }
    }

    #[test]
    fn the_default_model_comes_from_the_data() {
        let t = PriceTable::builtin();
        let d = t.default_model().unwrap();
        assert_eq!(d.id, "claude-sonnet-4-6");
        assert_eq!(d.lifecycle, Lifecycle::Active);
        assert_eq!(d.tier, Tier::Standard);
        // Once Sonnet 4.6 is deprecated too, the newest current Sonnet of any tier.
        let mut later = t.clone();
        later
            .merge_toml(
                r#"
                [[models]]
                id = "claude-sonnet-4-6"
                tier = "standard"
                input = 3
                status = "deprecated"
                retirement = "2027-06-01"
                successor = "claude-sonnet-5-5"
                "#,
            )
            .unwrap();
        assert_eq!(later.default_model().unwrap().id, "claude-sonnet-5-5");
        // A newer standard-tier Sonnet wins over 4.6.
        let mut newer = t.clone();
        newer
            .merge_toml("[[models]]\nid = \"claude-sonnet-4-7\"\ntier = \"standard\"\ninput = 3\n")
            .unwrap();
        assert_eq!(newer.default_model().unwrap().id, "claude-sonnet-4-7");
        let none = PriceTable::from_toml(
            "replace = true\nas_of = \"d\"\n[[models]]\nid = \"claude-opus-9\"\ntier = \"standard\"\ninput = 1\n",
        )
        .unwrap();
        assert_eq!(none.default_model(), Err(PriceError::NoDefaultModel));
    }

    #[test]
    fn lifecycles_resolve_warn_or_refuse() {
        let t = PriceTable::builtin();
        let sonnet45 = t.resolve("claude-sonnet-4-5-20250929", false).unwrap();
        let note = sonnet45.status_note().unwrap();
        assert!(
            note.contains("deprecated")
                && note.contains("2026-11-30")
                && note.contains("claude-sonnet-4-6"),
            "{note}"
        );
        assert!(t.get("claude-sonnet-4-6").unwrap().status_note().is_none());
        let err = t.resolve("claude-3-opus-20240229", false).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("retired on 2026-01-05") && text.contains("use claude-opus-4-8"),
            "{text}"
        );
        assert_eq!(
            t.resolve("claude-3-opus-20240229", true).unwrap().id,
            "claude-3-opus"
        );
        // Retired models are not suggested for a typo.
        match t.get("claude-3-opuss") {
            Err(PriceError::UnknownModel { suggestions, .. }) => {
                assert!(
                    !suggestions.iter().any(|s| s == "claude-3-opus"),
                    "{suggestions:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn images_per_request_follow_the_context_window() {
        let t = PriceTable::builtin();
        assert_eq!(t.get("claude-haiku-4-5").unwrap().images_per_request(), 100);
        assert_eq!(
            t.get("claude-sonnet-4-5").unwrap().images_per_request(),
            100
        );
        assert_eq!(
            t.get("claude-sonnet-4-6").unwrap().images_per_request(),
            600
        );
        assert_eq!(t.get("claude-fable-5-2").unwrap().images_per_request(), 600);
        let custom = ModelPrice::custom("x", Tier::Standard, Usd::ZERO);
        assert_eq!(custom.images_per_request(), 100);
    }

    #[test]
    fn the_newest_models_and_platform_ids_resolve() {
        let t = PriceTable::builtin();
        for (name, id) in [
            ("claude-fable-5-2", "claude-fable-5-2"),
            ("claude-mythos-5-2", "claude-mythos-5-2"),
            ("claude-mythos-preview", "claude-mythos-preview"),
            ("anthropic.claude-sonnet-4-6", "claude-sonnet-4-6"),
            ("global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
            ("claude-haiku-4-5@20251001", "claude-haiku-4-5"),
        ] {
            assert_eq!(t.get(name).unwrap().id, id, "{name}");
        }
        assert_eq!(t.get("fable-5.2").unwrap().input_per_mtok.to_string(), "8");
    }

    #[test]
    fn lifecycle_fields_are_checked() {
        for bad in [
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\nstatus = \"deprecated\"\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\nstatus = \"active\"\nretirement = \"2026-01-01\"\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\nstatus = \"retired\"\nretirement = \"2026-02-30\"\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\nstatus = \"gone\"\n",
            "[[models]]\nid = \"m\"\ntier = \"standard\"\ninput = 1\ncontext_window = 0\n",
        ] {
            let err = PriceTable::from_toml(bad).unwrap_err().to_string();
            assert!(err.contains("model m"), "{bad}: {err}");
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
        assert_eq!(t.models().len(), 27);
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
