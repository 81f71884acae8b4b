//! The parity table: each setting as the CLI, Python and JavaScript spell it.

/// One setting as each front end spells it: the parity table's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spelling {
    /// The field of [`Settings`](super::Settings) (and its serde name).
    pub name: &'static str,
    /// The CLI's flag, or `None` where the CLI has none (and why is in `note`).
    pub cli: Option<&'static str>,
    /// The Python keyword argument.
    pub python: &'static str,
    /// The JavaScript option, or `None` where the browser cannot offer it.
    pub js: Option<&'static str>,
    /// Why a front end lacks it, or the aliases it also takes.
    pub note: &'static str,
}

/// Every setting, with its spelling in the CLI, Python and JavaScript: the one table the front
/// ends' parity tests check (each front end offers every row it names, and refuses the rest
/// with a clear error).
pub const SPELLINGS: &[Spelling] = &[
    spell(
        "models",
        Some("--model"),
        "models",
        Some("models"),
        "Python and JavaScript also take `model=` (one model), as prepare did; the CLI's `-m` repeats",
    ),
    spell(
        "allow_retired",
        Some("--allow-retired"),
        "allow_retired",
        Some("allowRetired"),
        "",
    ),
    spell("tier", Some("--tier"), "tier", Some("tier"), ""),
    spell(
        "price_per_mtok",
        Some("--price-per-mtok"),
        "price_per_mtok",
        Some("pricePerMtok"),
        "",
    ),
    spell(
        "prices",
        Some("--prices"),
        "prices",
        None,
        "a file path: the browser has no files (give the text as pricesToml)",
    ),
    spell(
        "prices_toml",
        None,
        "prices_toml",
        Some("pricesToml"),
        "the CLI reads the file itself (--prices FILE)",
    ),
    spell("profile", Some("--profile"), "profile", Some("profile"), ""),
    spell(
        "token_rule",
        Some("--token-rule"),
        "token_rule",
        Some("tokenRule"),
        "",
    ),
    spell("quality", Some("--quality"), "quality", Some("quality"), ""),
    spell("filter", Some("--filter"), "filter", Some("filter"), ""),
    spell(
        "output_format",
        Some("--output-format"),
        "output_format",
        Some("outputFormat"),
        "",
    ),
    spell(
        "background",
        Some("--background"),
        "background",
        Some("background"),
        "",
    ),
    spell(
        "token_budget",
        Some("--token-budget"),
        "token_budget",
        Some("tokenBudget"),
        "",
    ),
    spell("tiles", Some("--tiles"), "tiles", Some("tiles"), ""),
    spell(
        "min_scale",
        Some("--min-scale"),
        "min_scale",
        Some("minScale"),
        "",
    ),
    spell(
        "tile_overlap",
        Some("--tile-overlap"),
        "tile_overlap",
        Some("tileOverlap"),
        "",
    ),
    spell("batch", Some("--batch"), "batch", Some("batch"), ""),
    spell("cache", Some("--cache"), "cache", Some("cache"), ""),
    spell("us_only", Some("--us-only"), "us_only", Some("usOnly"), ""),
    spell(
        "prompt_tokens",
        Some("--prompt-tokens"),
        "prompt_tokens",
        Some("promptTokens"),
        "",
    ),
    spell("lenient", Some("--lenient"), "lenient", Some("lenient"), ""),
];

const fn spell(
    name: &'static str,
    cli: Option<&'static str>,
    python: &'static str,
    js: Option<&'static str>,
    note: &'static str,
) -> Spelling {
    Spelling {
        name,
        cli,
        python,
        js,
        note,
    }
}

/// A run that reads only some of the settings (the rest are preparation's): the CLI's flags of
/// its command and Python's keywords of its function are these, no more, no less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reads {
    /// A cost report from headers (`visionprep cost`, Python's `cost` and `estimate`): the
    /// models and their pricing, the profile's limits, the token budget or tiles, and lenient
    /// reading. How outputs are encoded (quality, filter, format, ...) changes no estimate.
    Cost,
    /// A plan of one image size (`visionprep plan`, `plan()`): a cost report's settings but
    /// the profile and lenient reading, which concern files.
    Plan,
    /// A folder budget (`cost --budget-usd`, Python's `folder_budget`): a cost report's
    /// settings but the profile and the per-image sizing (the token budget it finds, tiles).
    FolderBudget,
}

impl Reads {
    /// The settings (fields of [`Settings`](super::Settings)) this run reads.
    ///
    /// ```
    /// use visionprep::settings::Reads;
    /// assert!(Reads::Cost.settings().contains(&"profile"));
    /// assert!(!Reads::Plan.settings().contains(&"profile"));
    /// ```
    pub fn settings(self) -> Vec<&'static str> {
        const COST: &[&str] = &[
            "models",
            "allow_retired",
            "tier",
            "price_per_mtok",
            "prices",
            "profile",
            "token_rule",
            "token_budget",
            "tiles",
            "min_scale",
            "tile_overlap",
            "batch",
            "cache",
            "us_only",
            "prompt_tokens",
            "lenient",
        ];
        let left_out: &[&str] = match self {
            Reads::Cost => &[],
            Reads::Plan => &["profile", "lenient"],
            Reads::FolderBudget => &[
                "profile",
                "token_budget",
                "tiles",
                "min_scale",
                "tile_overlap",
            ],
        };
        COST.iter()
            .copied()
            .filter(|name| !left_out.contains(name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_run_reads_are_settings() {
        for run in [Reads::Cost, Reads::Plan, Reads::FolderBudget] {
            let names = run.settings();
            for name in &names {
                assert!(SPELLINGS.iter().any(|s| s.name == *name), "{run:?}: {name}");
            }
            assert!(
                names.contains(&"models") && names.contains(&"batch"),
                "{run:?}"
            );
        }
        assert_eq!(Reads::Cost.settings().len(), 16);
        assert_eq!(Reads::Plan.settings().len(), 14);
        assert_eq!(Reads::FolderBudget.settings().len(), 11);
    }
}
