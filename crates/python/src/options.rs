//! Python keyword arguments to the library's [`Settings`], with the CLI's names (snake_case)
//! and defaults: the meaning and validation of each is the library's.

use crate::errors::model_error_saying;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use visionprep::core::{PriceTable, TileMode};
use visionprep::prepare::PrepareOptions;
use visionprep::settings::Front;
use visionprep::{Resolved, Settings, SettingsError};

/// The built-in model data.
pub(crate) fn table() -> &'static PriceTable {
    PriceTable::shared()
}

/// A value parsed by its `FromStr`, or a `ValueError` naming the argument.
pub(crate) fn parse<T: std::str::FromStr>(what: &str, text: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// The settings every preparing entry point takes as keywords (`prepare`, `Preparer`,
/// `prepare_many`, `write_batches`, `BatchRequests`, `build_requests`, `bench`), read from the
/// call's `**options` in this one place.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrepareArgs {
    pub(crate) settings: Settings,
}

impl PrepareArgs {
    /// The settings given as keywords; a keyword that is none of them is a `TypeError`, as
    /// Python's own calls say.
    pub(crate) fn from_kwargs(
        function: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let Some(kwargs) = kwargs.filter(|k| !k.is_empty()) else {
            return Ok(PrepareArgs::default());
        };
        // As JSON (paths and decimals as their text), read by the library's one reader of
        // spelled settings.
        let py = kwargs.py();
        let dumps = py.import("json")?.getattr("dumps")?;
        let options = PyDict::new(py);
        options.set_item("default", py.import("builtins")?.getattr("str")?)?;
        let text: String = dumps.call((kwargs,), Some(&options))?.extract()?;
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| PyValueError::new_err(e.to_string()))?;
        match Settings::from_spelled(&object, Front::Python) {
            Ok(settings) => Ok(PrepareArgs { settings }),
            Err(SettingsError::Unknown { name, .. }) => Err(PyTypeError::new_err(format!(
                "{function}() got an unexpected keyword argument '{name}'"
            ))),
            Err(e) => Err(settings_error(py, &e)),
        }
    }

    /// [`PrepareArgs::from_kwargs`] for a function that takes only the settings `allowed`:
    /// any other keyword is a `TypeError`, as Python's own calls say.
    pub(crate) fn from_kwargs_only(
        function: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
        allowed: &[&str],
    ) -> PyResult<Self> {
        for key in kwargs.into_iter().flat_map(|k| k.keys()) {
            let key: String = key.extract()?;
            // `model=` for one model goes wherever `models=` does (the parity table's alias).
            let alias = key == "model" && allowed.contains(&"models");
            if !alias && !allowed.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{key}'"
                )));
            }
        }
        Self::from_kwargs(function, kwargs)
    }

    /// [`PrepareArgs::options`] for an entry point that sends each image whole: `tiles` other
    /// than `"never"` is a `ValueError` naming `prepare_tiles`.
    pub(crate) fn options_whole(&self, py: Python<'_>, function: &str) -> PyResult<PrepareOptions> {
        Ok(self.resolve_whole(py, function)?.prepare)
    }

    /// [`PrepareArgs::resolve`] for an entry point that sends each image whole.
    pub(crate) fn resolve_whole(&self, py: Python<'_>, function: &str) -> PyResult<Resolved> {
        if self.settings.tiles != TileMode::Never {
            return Err(PyValueError::new_err(format!(
                "{function}() sends each image whole: tiles are made by prepare_tiles()"
            )));
        }
        self.resolve(py)
    }

    /// The library's options for these arguments: the same as the CLI's `prepare` with the
    /// same flags.
    pub(crate) fn options(&self, py: Python<'_>) -> PyResult<PrepareOptions> {
        Ok(self.resolve(py)?.prepare)
    }

    /// The settings resolved by the library.
    pub(crate) fn resolve(&self, py: Python<'_>) -> PyResult<Resolved> {
        resolve(py, &self.settings)
    }
}

/// `settings` resolved; a refusal becomes the exception its code calls for: `ValueError` for
/// an option, `ModelError` for a model, `VisionprepError` for a price file.
pub(crate) fn resolve(py: Python<'_>, settings: &Settings) -> PyResult<Resolved> {
    settings.resolve().map_err(|e| settings_error(py, &e))
}

/// The exception a settings refusal becomes.
pub(crate) fn settings_error(py: Python<'_>, e: &SettingsError) -> PyErr {
    match e {
        SettingsError::Model(m) => model_error_saying(py, m, &e.message_for(Front::Python)),
        SettingsError::PriceData { source, .. } => {
            crate::errors::other_error(py, e.code().as_str(), &format!("{e}: {source}"), None)
        }
        SettingsError::PriceFile { path, source } => crate::errors::other_error(
            py,
            e.code().as_str(),
            &format!("{e}: {source}"),
            Some(&path.display().to_string()),
        ),
        _ => PyValueError::new_err(e.message_for(Front::Python)),
    }
}
