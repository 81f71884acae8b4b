//! `plan`, `models`, `probe`, `estimate` and `cost`: what images cost, from headers alone.

use crate::cost::path_list;
use crate::errors::{image_error, model_error, other_error};
use crate::options::{PrepareArgs, settings_error, table};
use crate::source::extract;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use std::path::PathBuf;
use visionprep::Limits;
use visionprep::core::Usd;
use visionprep::report::ModelListing;
use visionprep::settings::Reads;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Plan>()?;
    m.add_class::<Probe>()?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(models, m)?)?;
    m.add_function(wrap_pyfunction!(default_model, m)?)?;
    m.add_function(wrap_pyfunction!(probe, m)?)?;
    m.add_function(wrap_pyfunction!(run_bench, m)?)?;
    Ok(())
}

/// An exact amount as a `decimal.Decimal`.
pub(crate) fn decimal(py: Python<'_>, usd: Usd) -> PyResult<Bound<'_, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL
        .import(py, "decimal", "Decimal")?
        .call1((usd.to_string(),))
}

/// Parses JSON text the library wrote, with numbers that have a fraction as `Decimal` (the
/// dollar amounts stay exact) and the rest as `int`.
/// A library value as Python data (dicts and lists, money as `Decimal`), through its JSON.
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| other_error(py, "internal", &e.to_string(), None))?;
    loads(py, &text)
}

/// A body or params given as a dict (written as compact JSON, as the API's own bodies are) or
/// as JSON text (kept as it is).
pub(crate) fn json_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if value.is_instance_of::<pyo3::types::PyString>() {
        return value.extract();
    }
    let py = value.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("ensure_ascii", false)?;
    let dumps = py.import("json")?.getattr("dumps")?;
    dumps.call((value,), Some(&kwargs))?.extract()
}

pub(crate) fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let loads = LOADS.import(py, "json", "loads")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("parse_float", DECIMAL.import(py, "decimal", "Decimal")?)?;
    loads.call((text,), Some(&kwargs))
}

/// The fit rule and price of one image size on one model.
#[pyclass(frozen, module = "visionprep")]
pub(crate) struct Plan {
    #[pyo3(get)]
    width: u32,
    #[pyo3(get)]
    height: u32,
    #[pyo3(get)]
    model: String,
    #[pyo3(get)]
    tier: &'static str,
    #[pyo3(get)]
    resized: bool,
    #[pyo3(get)]
    target_width: u32,
    #[pyo3(get)]
    target_height: u32,
    #[pyo3(get)]
    tokens: u64,
    usd: Usd,
    /// The size and tokens at the token budget, when one was given.
    budget: Option<visionprep::core::Sized>,
}

#[pymethods]
impl Plan {
    /// What the tokens cost, exact.
    #[getter]
    fn usd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, self.usd)
    }

    /// The width at the token budget (`None` without one).
    #[getter]
    fn budget_width(&self) -> Option<u32> {
        self.budget.map(|b| b.width)
    }

    /// The height at the token budget.
    #[getter]
    fn budget_height(&self) -> Option<u32> {
        self.budget.map(|b| b.height)
    }

    /// Tokens at the token budget.
    #[getter]
    fn budget_tokens(&self) -> Option<u64> {
        self.budget.map(|b| b.tokens)
    }

    /// What those cost, exact.
    #[getter]
    fn budget_usd<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.budget.map(|b| decimal(py, b.usd)).transpose()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Plan {}x{} on {}: seen at {}x{}, {} tokens, ${}>",
            self.width,
            self.height,
            self.model,
            self.target_width,
            self.target_height,
            self.tokens,
            self.usd
        )
    }
}

/// What the API does with an image of `width` x `height` on `model`, and what it costs, with
/// the settings of `visionprep plan` (models and pricing, token rule, token budget or tiles).
#[pyfunction]
#[pyo3(signature = (width, height, **settings))]
fn plan(
    py: Python<'_>,
    width: u32,
    height: u32,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<Plan> {
    let args = PrepareArgs::from_kwargs_only("plan", settings, &Reads::Plan.settings())?;
    let run = args
        .settings
        .resolve_shared()
        .map_err(|e| settings_error(py, &e))?;
    let report = run
        .plan(width, height)
        .map_err(|e| settings_error(py, &e))?;
    let line = report
        .first_line()
        .ok_or_else(|| other_error(py, "internal", "no model chosen", None))?;
    Ok(Plan {
        width,
        height,
        model: line.model.to_owned(),
        tier: line.tier,
        resized: line.resized,
        target_width: line.target_width,
        target_height: line.target_height,
        tokens: line.tokens,
        usd: line.usd,
        budget: line.budget,
    })
}

/// The model data: `as_of`, `source`, `default_model` and every model, as
/// `visionprep models --json` prints them (prices as `Decimal`).
#[pyfunction]
fn models(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_python(py, &ModelListing::new(table()))
}

/// The model used when none is named.
#[pyfunction]
fn default_model(py: Python<'_>) -> PyResult<String> {
    table()
        .default_model()
        .map(|m| m.id.clone())
        .map_err(|e| model_error(py, &e))
}

/// An image's header: format, sizes, orientation, animation.
#[pyclass(frozen, module = "visionprep")]
pub(crate) struct Probe {
    #[pyo3(get)]
    format: &'static str,
    #[pyo3(get)]
    media_type: &'static str,
    #[pyo3(get)]
    width: u32,
    #[pyo3(get)]
    height: u32,
    #[pyo3(get)]
    stored_width: u32,
    #[pyo3(get)]
    stored_height: u32,
    #[pyo3(get)]
    orientation: u8,
    #[pyo3(get)]
    animated: bool,
    #[pyo3(get)]
    frames: Option<u32>,
    #[pyo3(get)]
    bytes: u64,
    #[pyo3(get)]
    accepted: bool,
    /// The file ends early and was read leniently.
    #[pyo3(get)]
    truncated: bool,
}

#[pymethods]
impl Probe {
    fn __repr__(&self) -> String {
        format!(
            "<Probe {} {}x{} ({} bytes)>",
            self.format, self.width, self.height, self.bytes
        )
    }
}

/// Reads an image's header (a few KiB; nothing is decoded).
#[pyfunction]
#[pyo3(signature = (src, *, lenient=false))]
fn probe(py: Python<'_>, src: &Bound<'_, PyAny>, lenient: bool) -> PyResult<Probe> {
    let source = extract(src)?;
    let limits = Limits::default().with_lenient(lenient);
    let result = py.detach(|| source.probe(&limits));
    let p = result.map_err(|e| image_error(py, &e, source.name().as_deref()))?;
    let shown = p.displayed();
    Ok(Probe {
        format: p.format.name(),
        media_type: p.format.mime(),
        width: shown.width,
        height: shown.height,
        stored_width: p.stored.width,
        stored_height: p.stored.height,
        orientation: p.orientation as u8,
        animated: p.animated,
        frames: p.frames,
        bytes: p.bytes,
        accepted: p.format.media_type().is_some(),
        truncated: p.truncated,
    })
}

/// `visionprep bench` from Python: the same measurement, the same JSON report as a dict.
#[pyfunction(name = "bench")]
#[pyo3(signature = (paths=None, *, threads=None, repeat=3, compare=false, python=None,
    sizes=Vec::new(), max_input_mb=2048, **options))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
fn run_bench<'py>(
    py: Python<'py>,
    paths: Option<&Bound<'py, PyAny>>,
    threads: Option<Vec<usize>>,
    repeat: usize,
    compare: bool,
    python: Option<PathBuf>,
    sizes: Vec<f64>,
    max_input_mb: u64,
    options: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    use visionprep_bench::{self as bench, BenchOptions, CompareOptions};
    let prepare =
        crate::options::PrepareArgs::from_kwargs("bench", options)?.options_whole(py, "bench")?;
    let paths = match paths {
        Some(p) => path_list(p)?,
        None => Vec::new(),
    };
    let defaults = BenchOptions::default();
    let options = BenchOptions {
        prepare,
        threads: threads.unwrap_or(defaults.threads),
        repeat,
        compare: compare.then(|| {
            let defaults = CompareOptions::default();
            CompareOptions {
                python: python.unwrap_or(defaults.python),
                ..defaults
            }
        }),
        sizes,
    };
    let report = py.detach(|| {
        let loaded = bench::load(
            &paths,
            &options.prepare.limits,
            max_input_mb.saturating_mul(1_000_000),
        );
        bench::run(&loaded, &options, &mut |_| {})
    });
    let report = report.map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let text = serde_json::to_string(&report)
        .map_err(|e| other_error(py, "internal", &e.to_string(), None))?;
    // Times and rates are measurements, not money: floats.
    py.import("json")?.call_method1("loads", (text,))
}
