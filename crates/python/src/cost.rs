//! The cost report in Python: `estimate` (one image), `cost` (an iterator over the rows of a
//! folder, the library's `CostRows`) and `folder_budget`, with the CLI's pricing keywords.

use crate::errors::other_error;
use crate::options::parse;
use crate::report::loads;
use crate::source::{Source, extract};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
use visionprep::Settings;
use visionprep::core::{Allowance, Usd};
use visionprep::folder::{Assessor, CostRows, RunError, RunOptions, budget_folder};
use visionprep::report::CostTotals;

/// The pricing keywords of `cost`, `estimate` and `folder_budget`, as the CLI's flags.
#[derive(Debug, Default)]
struct Pricing {
    prices: Option<PathBuf>,
    cache: Option<String>,
    us_only: bool,
    prompt_tokens: Option<u64>,
    allow_retired: bool,
}

/// The assessor of `cost`, `estimate` and `folder_budget`, from the library's settings.
#[allow(
    clippy::too_many_arguments,
    reason = "the keywords of the Python functions"
)]
fn assessor(
    py: Python<'_>,
    models: Vec<String>,
    token_rule: &str,
    profile: &str,
    batch: bool,
    lenient: bool,
    token_budget: Option<u64>,
    pricing: Pricing,
) -> PyResult<Assessor> {
    let mut s = Settings::default();
    s.models = models;
    s.token_rule = parse("token_rule", token_rule)?;
    s.profile = parse("profile", profile)?;
    s.batch = batch;
    s.lenient = lenient;
    s.token_budget = token_budget;
    s.prices = pricing.prices;
    s.cache = pricing.cache.map(|c| parse("cache", &c)).transpose()?;
    s.us_only = pricing.us_only;
    s.prompt_tokens = pricing.prompt_tokens;
    s.allow_retired = pricing.allow_retired;
    Ok(crate::options::resolve(py, &s)?.assessor())
}

/// One image's cost row from its header: the row `visionprep cost --format json` prints for
/// it (`path` is the path, or `name` for bytes). A file that cannot be read is a row with
/// its `error`, as in the report. With `walked=True`, bytes that a folder walk would pass
/// over (not an image, no image extension) give `None`, as `cost` skips them.
#[pyfunction]
#[pyo3(signature = (src, *, models=Vec::new(), name="<bytes>", token_rule="area750",
    profile="portable", batch=false, lenient=false, walked=false, token_budget=None,
    prices=None, cache=None, us_only=false, prompt_tokens=None, allow_retired=false))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn estimate<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    models: Vec<String>,
    name: &str,
    token_rule: &str,
    profile: &str,
    batch: bool,
    lenient: bool,
    walked: bool,
    token_budget: Option<u64>,
    prices: Option<PathBuf>,
    cache: Option<String>,
    us_only: bool,
    prompt_tokens: Option<u64>,
    allow_retired: bool,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    use visionprep::folder::{Item, Outcome};
    let pricing = Pricing {
        prices,
        cache,
        us_only,
        prompt_tokens,
        allow_retired,
    };
    let assessor = assessor(
        py,
        models,
        token_rule,
        profile,
        batch,
        lenient,
        token_budget,
        pricing,
    )?;
    let source = extract(src)?;
    let outcome = py.detach(|| match &source {
        Source::Bytes(b) if walked => assessor.assess_found_bytes(name, b.as_ref()),
        Source::Bytes(b) => Outcome::Report(assessor.assess_bytes(name, b.as_ref())),
        Source::Path(p) => assessor.assess(&Item::Named(p.clone())),
    });
    let Outcome::Report(report) = outcome else {
        return Ok(None);
    };
    let text = serde_json::to_string(&report)
        .map_err(|e| other_error(py, "internal", &e.to_string(), None))?;
    loads(py, &text).map(Some)
}

/// The rows of a cost report over files and folders, in the CLI's order, as they are ready
/// (the library's `CostRows`). After the last row, `totals` holds the report's totals.
#[pyclass(module = "visionprep")]
pub(crate) struct CostRun {
    /// The rows (a `Mutex` only to make the class `Sync`); `None` once finished.
    rows: Option<Mutex<CostRows>>,
    totals: Option<Py<PyAny>>,
}

#[pymethods]
impl CostRun {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(rows) = &self.rows else {
            return Ok(None);
        };
        let next = py.detach(|| match rows.lock() {
            Ok(mut rows) => match rows.next() {
                Some(row) => Ok(Some(row)),
                None => Ok(None),
            },
            Err(_) => Err(()),
        });
        match next {
            Ok(Some(Ok(row))) => loads(py, &to_json(py, &row)?).map(Some),
            Ok(Some(Err(e))) => {
                self.rows = None;
                Err(other_error(py, e.code().as_str(), &e.to_string(), None))
            }
            Ok(None) => {
                let rows = self.rows.take();
                let totals = rows.as_ref().and_then(|r| r.lock().ok()).and_then(|r| {
                    r.totals()
                        .map(|(totals, skipped)| to_json(py, &CostTotals { totals, skipped }))
                });
                if let Some(text) = totals {
                    self.totals = Some(loads(py, &text?)?.unbind());
                }
                Ok(None)
            }
            Err(()) => {
                self.rows = None;
                Err(other_error(
                    py,
                    "internal",
                    "the cost run stopped (a bug)",
                    None,
                ))
            }
        }
    }

    /// The totals (`files`, `images`, `errors`, `bytes`, per-model tokens and USD,
    /// `skipped`), once every row was read; `None` before.
    #[getter]
    fn totals(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.totals.as_ref().map(|t| t.clone_ref(py))
    }
}

/// `value` as JSON text.
fn to_json(py: Python<'_>, value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| other_error(py, "internal", &e.to_string(), None))
}

/// Walks files and folders like `visionprep cost` and yields its JSON rows.
#[pyfunction]
#[pyo3(signature = (paths, *, models=Vec::new(), token_rule="area750", profile="portable",
    batch=false, lenient=false, hidden=false, threads=None, token_budget=None, prices=None,
    cache=None, us_only=false, prompt_tokens=None, allow_retired=false))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn cost(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    models: Vec<String>,
    token_rule: &str,
    profile: &str,
    batch: bool,
    lenient: bool,
    hidden: bool,
    threads: Option<usize>,
    token_budget: Option<u64>,
    prices: Option<PathBuf>,
    cache: Option<String>,
    us_only: bool,
    prompt_tokens: Option<u64>,
    allow_retired: bool,
) -> PyResult<CostRun> {
    let paths = path_list(paths)?;
    let pricing = Pricing {
        prices,
        cache,
        us_only,
        prompt_tokens,
        allow_retired,
    };
    let assessor = assessor(
        py,
        models,
        token_rule,
        profile,
        batch,
        lenient,
        token_budget,
        pricing,
    )?;
    let run = RunOptions {
        jobs: threads,
        hidden,
        ..RunOptions::default()
    };
    let rows = CostRows::start(paths, assessor, run)
        .map_err(|e| other_error(py, e.code().as_str(), &e.to_string(), None))?;
    Ok(CostRun {
        rows: Some(Mutex::new(rows)),
        totals: None,
    })
}

/// The largest per-image token budget at which the images under `paths` cost at most `usd`
/// (or `tokens`) on each model: what `visionprep cost --budget-usd` (`--total-token-budget`)
/// adds to its JSON report as `budget`, as a dict (amounts as `Decimal`). Pass the cap to
/// `prepare(..., token_budget=cap)` to spend exactly its `tokens`.
#[pyfunction]
#[pyo3(signature = (paths, *, usd=None, tokens=None, models=Vec::new(), token_rule="area750",
    batch=false, lenient=false, hidden=false, threads=None, prices=None, cache=None,
    us_only=false, prompt_tokens=None, allow_retired=false))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn folder_budget<'py>(
    py: Python<'py>,
    paths: &Bound<'py, PyAny>,
    usd: Option<&Bound<'py, PyAny>>,
    tokens: Option<u64>,
    models: Vec<String>,
    token_rule: &str,
    batch: bool,
    lenient: bool,
    hidden: bool,
    threads: Option<usize>,
    prices: Option<PathBuf>,
    cache: Option<String>,
    us_only: bool,
    prompt_tokens: Option<u64>,
    allow_retired: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let allowance = match (usd, tokens) {
        (Some(u), None) => {
            let text = u.str()?.to_string();
            Allowance::Usd(parse::<Usd>("usd", text.trim_start_matches('$'))?)
        }
        (None, Some(t)) => Allowance::Tokens(t),
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "give exactly one of usd= and tokens=",
            ));
        }
    };
    let paths = path_list(paths)?;
    let pricing = Pricing {
        prices,
        cache,
        us_only,
        prompt_tokens,
        allow_retired,
    };
    let assessor = assessor(
        py, models, token_rule, "portable", batch, lenient, None, pricing,
    )?;
    let run = RunOptions {
        jobs: threads,
        hidden,
        ..RunOptions::default()
    };
    let walked = py.detach(|| budget_folder::<RunError>(&paths, &assessor, &run, allowance));
    let report = walked.map_err(|e| other_error(py, e.code().as_str(), &e.to_string(), None))?;
    let text = serde_json::to_string(&report)
        .map_err(|e| other_error(py, "internal", &e.to_string(), None))?;
    loads(py, &text)
}

/// One path, or an iterable of paths.
pub(crate) fn path_list(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    match paths.extract::<PathBuf>() {
        Ok(one) => Ok(vec![one]),
        Err(_) => paths.extract(),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CostRun>()?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(cost, m)?)?;
    m.add_function(wrap_pyfunction!(folder_budget, m)?)?;
    Ok(())
}
