//! Python keyword arguments to the library's options, with the CLI's names and defaults.

use crate::errors::model_error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::OnceLock;
use visionprep::Limits;
use visionprep::core::{ModelChoice, ModelPrice, PriceTable, Profile, TokenRule};
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

/// The keyword arguments of `prepare`, `Preparer`, `prepare_many` and `build_requests`.
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
}

impl PrepareArgs {
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
        Ok(options)
    }
}

/// Declares the keyword arguments of [`PrepareArgs`] on a `#[pyfunction]` or `#[new]`, with
/// the CLI's defaults, so that every entry point takes the same names.
#[macro_export]
macro_rules! prepare_args {
    ($model:ident, $profile:ident, $quality:ident, $output_format:ident, $lenient:ident,
     $token_rule:ident, $filter:ident, $background:ident, $allow_retired:ident) => {
        $crate::options::PrepareArgs {
            model: $model,
            profile: $profile.to_owned(),
            quality: $quality,
            output_format: $output_format.to_owned(),
            lenient: $lenient,
            token_rule: $token_rule.to_owned(),
            filter: $filter.to_owned(),
            background: $background,
            allow_retired: $allow_retired,
        }
    };
}
