//! The cost report in Python: `estimate` (one image), `cost` (an iterator over the rows of a
//! folder, the library's `CostRows`) and `folder_budget`, with the CLI's pricing keywords.

use crate::errors::other_error;
use crate::options::{PrepareArgs, parse};
use crate::report::to_python;
use crate::source::{Source, extract};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Mutex;
use visionprep::core::{Allowance, Usd};
use visionprep::folder::{Assessor, CostRows, RunError, RunOptions, budget_folder};
use visionprep::report::CostTotals;
use visionprep::settings::Reads;

/// The settings `estimate` and `cost` take as keywords (the CLI's `cost` flags).
fn assessor(
    py: Python<'_>,
    function: &str,
    reads: Reads,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Assessor> {
    let args = PrepareArgs::from_kwargs_only(function, kwargs, &reads.settings())?;
    Ok(args.resolve(py)?.assessor())
}

/// One image's cost row from its header: the row `visionprep cost --format json` prints for
/// it (`path` is the path, or `name` for bytes). A file that cannot be read is a row with
/// its `error`, as in the report. With `walked=True`, bytes that a folder walk would pass
/// over (not an image, no image extension) give `None`, as `cost` skips them.
#[pyfunction]
#[pyo3(signature = (src, *, name="<bytes>", walked=false, **settings))]
pub(crate) fn estimate<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    name: &str,
    walked: bool,
    settings: Option<&Bound<'py, PyDict>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    use visionprep::folder::{Item, Outcome};
    let assessor = assessor(py, "estimate", Reads::Cost, settings)?;
    let source = extract(src)?;
    let outcome = py.detach(|| match &source {
        Source::Bytes(b) if walked => assessor.assess_found_bytes(name, b.as_ref()),
        Source::Bytes(b) => Outcome::Report(assessor.assess_bytes(name, b.as_ref())),
        Source::Path(p) => assessor.assess(&Item::Named(p.clone())),
    });
    let Outcome::Report(report) = outcome else {
        return Ok(None);
    };
    to_python(py, &report).map(Some)
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
            Ok(Some(Ok(row))) => to_python(py, &row).map(Some),
            Ok(Some(Err(e))) => {
                self.rows = None;
                Err(other_error(py, e.code().as_str(), &e.to_string(), None))
            }
            Ok(None) => {
                let rows = self.rows.take();
                if let Some(rows) = rows.as_ref().and_then(|r| r.lock().ok())
                    && let Some((totals, skipped)) = rows.totals()
                {
                    self.totals = Some(to_python(py, &CostTotals { totals, skipped })?.unbind());
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
/// Walks files and folders like `visionprep cost` and yields its JSON rows.
#[pyfunction]
#[pyo3(signature = (paths, *, hidden=false, threads=None, **settings))]
pub(crate) fn cost(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    hidden: bool,
    threads: Option<usize>,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<CostRun> {
    let paths = path_list(paths)?;
    let assessor = assessor(py, "cost", Reads::Cost, settings)?;
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
#[pyo3(signature = (paths, *, usd=None, tokens=None, hidden=false, threads=None, **settings))]
pub(crate) fn folder_budget<'py>(
    py: Python<'py>,
    paths: &Bound<'py, PyAny>,
    usd: Option<&Bound<'py, PyAny>>,
    tokens: Option<u64>,
    hidden: bool,
    threads: Option<usize>,
    settings: Option<&Bound<'py, PyDict>>,
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
    let assessor = assessor(py, "folder_budget", Reads::FolderBudget, settings)?;
    let run = RunOptions {
        jobs: threads,
        hidden,
        ..RunOptions::default()
    };
    let walked = py.detach(|| budget_folder::<RunError>(&paths, &assessor, &run, allowance));
    let report = walked.map_err(|e| other_error(py, e.code().as_str(), &e.to_string(), None))?;
    to_python(py, &report)
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
