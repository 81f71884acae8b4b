//! Message Batches files from Python: the whole folder run (`write_batches`), the writer
//! for lines made elsewhere (`BatchFiles`, for Ray), per-worker request lines
//! (`BatchRequests`), custom ids, and the results reader.

use crate::errors::{image_error, other_error, request_error};
use crate::options::{PrepareArgs, settings_error, table};
use crate::report::{json_text, to_python};
use crate::source::extract;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use visionprep::BodyText;
use visionprep::core::BatchLimits;
use visionprep::core::ErrorCode;
use visionprep::folder::RunOptions;
use visionprep::prepare::{PrepareOptions, Preparer};
use visionprep::request::batches::{
    BatchError, BatchFiles as LibBatchFiles, BatchOptions, CustomIds, FailedImage, MAP_NAME,
    MapEntry, batch_folder, read_results,
};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BatchFiles>()?;
    m.add_class::<BatchRequests>()?;
    m.add_function(wrap_pyfunction!(write_batches, m)?)?;
    m.add_function(wrap_pyfunction!(batch_custom_id, m)?)?;
    m.add_function(wrap_pyfunction!(read_batch_results, m)?)?;
    m.add("BATCH_MAP_NAME", MAP_NAME)?;
    Ok(())
}

/// A batch refusal as the exception its code calls for: `ValueError` for options, a
/// `RequestError` for requests, a `VisionprepError` (with the file) for the rest.
fn batch_error(py: Python<'_>, e: &BatchError) -> PyErr {
    let code = e.code();
    match code {
        ErrorCode::InvalidOptions => PyValueError::new_err(e.to_string()),
        ErrorCode::DuplicateCustomId | ErrorCode::RequestTooLarge | ErrorCode::ImageTooLarge => {
            request_error(py, code.as_str(), &e.to_string())
        }
        _ => other_error(py, code.as_str(), &e.to_string(), e.path()),
    }
}

/// Prepares the images under `paths` and writes Message Batches files into `out`, exactly
/// as `visionprep batch` does; returns its summary (files, requests, reused, images, tokens,
/// `usd` at the batch price, `failed`, `map`).
#[pyfunction]
#[pyo3(signature = (paths, out, *, prompt, per_request=1, custom_id="{stem}-{hash}",
    max_tokens=1024, system=None, threads=None, hidden=false, force=false, **options))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
fn write_batches<'py>(
    py: Python<'py>,
    paths: &Bound<'py, PyAny>,
    out: PathBuf,
    prompt: &str,
    per_request: usize,
    custom_id: &str,
    max_tokens: u32,
    system: Option<String>,
    threads: Option<usize>,
    hidden: bool,
    force: bool,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let paths = crate::cost::path_list(paths)?;
    let run =
        PrepareArgs::from_kwargs("write_batches", options)?.resolve_whole(py, "write_batches")?;
    let assessor = run.prepare_assessor().map_err(|e| settings_error(py, &e))?;
    let options = run.prepare.clone();
    let text = BodyText::new(prompt).with(max_tokens, system);
    let batch = run
        .batch_options(&text, per_request, custom_id)
        .map_err(|e| settings_error(py, &e))?;
    let run = RunOptions {
        jobs: threads,
        hidden,
        force,
        prune: false,
    };
    let summary = py
        .detach(|| batch_folder(&paths, &out, &options, &assessor, &batch, &run, |_, _| {}))
        .map_err(|e| batch_error(py, &e))?;
    to_python(py, &summary)
}

/// The custom id `visionprep batch` gives the request holding the images at `paths`.
#[pyfunction]
#[pyo3(signature = (paths, *, template="{stem}-{hash}", number=1))]
fn batch_custom_id(
    py: Python<'_>,
    paths: Vec<String>,
    template: &str,
    number: u64,
) -> PyResult<String> {
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    CustomIds::new(template)
        .and_then(|ids| ids.id(&refs, number))
        .map_err(|e| batch_error(py, &e))
}

/// Joins a Message Batches results file to the map `batch` wrote (the map file, or the
/// folder holding it): rows per request and totals of billed and estimated tokens.
#[pyfunction]
fn read_batch_results<'py>(
    py: Python<'py>,
    results: PathBuf,
    map: PathBuf,
) -> PyResult<Bound<'py, PyAny>> {
    let report = py
        .detach(|| read_results(&results, &map, table()))
        .map_err(|e| batch_error(py, &e))?;
    to_python(py, &report)
}

/// Request lines made one image at a time, for workers that do not see the whole folder
/// (Ray actors): `request(src, path)` prepares the image and returns the request line's
/// parts, the same bytes `visionprep batch` writes for that path with `per_request=1`.
#[pyclass(module = "visionprep")]
pub(crate) struct BatchRequests {
    preparer: Preparer,
    options: PrepareOptions,
    batch: BatchOptions,
}

#[pymethods]
impl BatchRequests {
    #[new]
    #[pyo3(signature = (*, prompt, custom_id="{stem}-{hash}", max_tokens=1024, system=None,
        **options))]
    fn new(
        py: Python<'_>,
        prompt: &str,
        custom_id: &str,
        max_tokens: u32,
        system: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let args = PrepareArgs::from_kwargs("BatchRequests", options)?;
        if custom_id.contains("{n}") {
            return Err(PyValueError::new_err(
                "custom_id: {n} numbers a run's requests in order, which workers that see one \
                 image at a time do not know: use {stem}, {parent} and {hash}",
            ));
        }
        let run = args.resolve_whole(py, "BatchRequests")?;
        let text = BodyText::new(prompt).with(max_tokens, system);
        let batch = run
            .batch_options(&text, 1, custom_id)
            .map_err(|e| settings_error(py, &e))?;
        let options = run.prepare;
        Ok(BatchRequests {
            preparer: Preparer::new(),
            options,
            batch,
        })
    }

    /// Prepares `src` (bytes, a path, ...) and returns `{"custom_id", "params", "paths",
    /// "model", "image_tokens", "usd"}` with `params` the body as JSON text; `path` names
    /// the image for its id (default: `src` itself when it is a path). Raises the image's
    /// error when it cannot be prepared or sent.
    #[pyo3(signature = (src, path=None))]
    fn request<'py>(
        &mut self,
        py: Python<'py>,
        src: &Bound<'py, PyAny>,
        path: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let source = extract(src)?;
        let name = path
            .or_else(|| source.name())
            .ok_or_else(|| PyValueError::new_err("path: needed to make the id of bytes"))?;
        let (preparer, options) = (&mut self.preparer, &self.options);
        let done = py
            .detach(|| preparer.prepare_input(&source, options))
            .map_err(|e| image_error(py, &e, Some(&name)))?;
        let request = self
            .batch
            .request(&done, &name)
            .map_err(|e| batch_error(py, &e))?;
        to_python(py, &request)?
            .cast_into::<PyDict>()
            .map_err(|e| other_error(py, "internal", &e.to_string(), None))
    }
}

/// Writes request lines into `batch-001.jsonl`, ... in `out`, each file within the batch
/// limits, and the map beside them on `close()`. Lines are added with `add` (params as a
/// dict or as JSON text, written as given). A context manager: leaving the block closes it.
#[pyclass(module = "visionprep")]
pub(crate) struct BatchFiles {
    inner: Option<LibBatchFiles>,
}

#[pymethods]
impl BatchFiles {
    #[new]
    #[pyo3(signature = (out, *, max_requests=None, max_bytes=None))]
    fn new(
        py: Python<'_>,
        out: PathBuf,
        max_requests: Option<u64>,
        max_bytes: Option<u64>,
    ) -> PyResult<Self> {
        let limits = BatchLimits::at_most(max_requests, max_bytes);
        let inner = LibBatchFiles::new(&out, limits).map_err(|e| batch_error(py, &e))?;
        Ok(BatchFiles { inner: Some(inner) })
    }

    /// Adds one request. `params` is the body (a dict, or JSON text as `BatchRequests`
    /// makes it); `paths`, `model`, `image_tokens` and `usd` go into the map.
    #[pyo3(signature = (custom_id, params, *, paths=Vec::new(), model="", image_tokens=0,
        usd="0"))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn add(
        &mut self,
        py: Python<'_>,
        custom_id: String,
        params: &Bound<'_, PyAny>,
        paths: Vec<String>,
        model: &str,
        image_tokens: u64,
        usd: &str,
    ) -> PyResult<()> {
        let text = json_text(params)?;
        let files = self
            .inner
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the batch files are closed"))?;
        let entry = MapEntry {
            custom_id,
            file: String::new(),
            offset: 0,
            length: 0,
            paths,
            stamps: Vec::new(),
            key: String::new(),
            model: model.to_owned(),
            image_tokens,
            usd: usd.to_owned(),
        };
        py.detach(|| files.add_params(&text, entry))
            .map_err(|e| batch_error(py, &e))
    }

    /// Notes an image that went into no request (it is listed in the summary's `failed`):
    /// `message` is `path: reason`, `code` its error code (default `unreadable`).
    #[pyo3(signature = (message, code=None))]
    fn failed(&mut self, message: &str, code: Option<&str>) -> PyResult<()> {
        let code = match code {
            Some(c) => crate::options::parse::<ErrorCode>("code", c)?,
            None => ErrorCode::Unreadable,
        };
        let (path, reason) = message.split_once(": ").unwrap_or(("", message));
        self.inner
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the batch files are closed"))?
            .failed(FailedImage {
                path: path.to_owned(),
                code,
                message: reason.to_owned(),
            });
        Ok(())
    }

    /// Renames the files into place, writes the map and returns the summary.
    fn close<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let files = self
            .inner
            .take()
            .ok_or_else(|| PyValueError::new_err("the batch files are closed"))?;
        let summary = py
            .detach(|| files.finish())
            .map_err(|e| batch_error(py, &e))?;
        to_python(py, &summary)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Closes on a clean exit; on an exception the temporary files are dropped and the
    /// folder's earlier files stay as they were.
    fn __exit__(
        &mut self,
        py: Python<'_>,
        kind: Option<&Bound<'_, PyAny>>,
        _value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if kind.is_none() && self.inner.is_some() {
            self.close(py)?;
        } else {
            self.inner = None;
        }
        Ok(false)
    }
}
