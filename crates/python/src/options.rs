//! Python keyword arguments to the library's options, with the CLI's names and defaults.

use crate::errors::model_error;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::OnceLock;
use visionprep::Limits;
use visionprep::core::{
    MinScale, ModelChoice, ModelPrice, PriceTable, Profile, TileMode, TileOptions, TokenRule,
};
use visionprep::prepare::{Filter, OutputPolicy, PrepareOptions};

/// The built-in model data, parsed once per process.
pub(crate) fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

/// The models `names` choose (the default model when empty), by the CLI's rules.
pub(crate) fn models(
    py: Python<'_>,
    names: &[String],
    allow_retired: bool,
) -> PyResult<Vec<ModelPrice>> {
    let mut table = table().clone();
    let choice = ModelChoice {
        allow_retired,
        unknown: None,
    };
    table
        .select(names, &choice)
        .map_err(|e| model_error(py, &e))
}

/// A value parsed by its `FromStr`, or a `ValueError` naming the argument.
pub(crate) fn parse<T: std::str::FromStr>(what: &str, text: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// The preparation keyword arguments every entry point takes (`prepare`, `Preparer`,
/// `prepare_many`, `write_batches`, `BatchRequests`), with the CLI's names and defaults,
/// read from the call's `**options` in this one place.
#[derive(Debug, Clone)]
pub(crate) struct PrepareArgs {
    pub(crate) model: Option<String>,
    pub(crate) profile: String,
    pub(crate) quality: u8,
    pub(crate) output_format: String,
    pub(crate) lenient: bool,
    pub(crate) token_rule: String,
    pub(crate) filter: String,
    pub(crate) background: (u8, u8, u8),
    pub(crate) allow_retired: bool,
    pub(crate) token_budget: Option<u64>,
    pub(crate) tiles: String,
    pub(crate) min_scale: f64,
    pub(crate) tile_overlap: u32,
}

impl Default for PrepareArgs {
    fn default() -> Self {
        PrepareArgs {
            model: None,
            profile: "portable".into(),
            quality: 85,
            output_format: "auto".into(),
            lenient: false,
            token_rule: "area750".into(),
            filter: "lanczos3".into(),
            background: (255, 255, 255),
            allow_retired: false,
            token_budget: None,
            tiles: "never".into(),
            min_scale: 0.5,
            tile_overlap: TileOptions::DEFAULT_OVERLAP,
        }
    }
}

impl PrepareArgs {
    /// The arguments given as keywords; a keyword that is none of them is a `TypeError`, as
    /// Python's own calls say.
    pub(crate) fn from_kwargs(
        function: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut args = PrepareArgs::default();
        for (key, value) in kwargs.into_iter().flatten() {
            let key: String = key.extract()?;
            match key.as_str() {
                "model" => args.model = value.extract()?,
                "profile" => args.profile = value.extract()?,
                "quality" => args.quality = value.extract()?,
                "output_format" => args.output_format = value.extract()?,
                "lenient" => args.lenient = value.extract()?,
                "token_rule" => args.token_rule = value.extract()?,
                "filter" => args.filter = value.extract()?,
                "background" => args.background = value.extract()?,
                "allow_retired" => args.allow_retired = value.extract()?,
                "token_budget" => args.token_budget = value.extract()?,
                "tiles" => args.tiles = value.extract()?,
                "min_scale" => args.min_scale = value.extract()?,
                "tile_overlap" => args.tile_overlap = value.extract()?,
                other => {
                    return Err(PyTypeError::new_err(format!(
                        "{function}() got an unexpected keyword argument '{other}'"
                    )));
                }
            }
        }
        Ok(args)
    }

    /// [`PrepareArgs::options`] for an entry point that sends each image whole: `tiles` other
    /// than `"never"` is a `ValueError` naming `prepare_tiles`.
    pub(crate) fn options_whole(&self, py: Python<'_>, function: &str) -> PyResult<PrepareOptions> {
        let options = self.options(py)?;
        if options.tiles.mode != TileMode::Never {
            return Err(PyValueError::new_err(format!(
                "{function}() sends each image whole: tiles are made by prepare_tiles()"
            )));
        }
        Ok(options)
    }

    /// The library's options for these arguments: the same as the CLI's `prepare` with the
    /// same flags ([`PrepareOptions::for_profile`]).
    pub(crate) fn options(&self, py: Python<'_>) -> PyResult<PrepareOptions> {
        if !(1..=100).contains(&self.quality) {
            return Err(PyValueError::new_err(format!(
                "quality: {} is not within 1-100",
                self.quality
            )));
        }
        let names: Vec<String> = self.model.iter().cloned().collect();
        let chosen = models(py, &names, self.allow_retired)?;
        let model = chosen
            .first()
            .ok_or_else(|| PyValueError::new_err("no model chosen"))?;
        let profile: Profile = parse("profile", &self.profile)?;
        let mut options = PrepareOptions::for_profile(table(), model, profile, self.quality);
        options.token_rule = parse::<TokenRule>("token_rule", &self.token_rule)?;
        options.output = parse::<OutputPolicy>("output_format", &self.output_format)?;
        options.filter = parse::<Filter>("filter", &self.filter)?;
        options.background = [self.background.0, self.background.1, self.background.2];
        options.limits = Limits::default().with_lenient(self.lenient);
        options.token_budget = self.token_budget;
        options.tiles = TileOptions {
            mode: parse::<TileMode>("tiles", &self.tiles)?,
            min_scale: MinScale::try_from(self.min_scale)
                .map_err(|e| PyValueError::new_err(format!("min_scale: {e}")))?,
            overlap: self.tile_overlap,
        };
        options.check().map_err(PyValueError::new_err)?;
        Ok(options)
    }
}
