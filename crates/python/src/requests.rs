//! `build_requests` (the library's packer) and `check_request` (the library's checker).

use crate::errors::{image_error, model_error, request_error};
use crate::options::{PrepareArgs, parse, settings_error, table};
use crate::prepare::Prepared;
use crate::report::{json_text, to_python};
use crate::source::extract;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use visionprep::BodyText;
use visionprep::core::request::base64_encode;
use visionprep::prepare::{PrepareOptions, Preparer};
use visionprep::request::{CheckOptions, CheckVerdict, PackImage, check_bytes, pack};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build_requests, m)?)?;
    m.add_function(wrap_pyfunction!(check_request, m)?)?;
    Ok(())
}

/// One image of `build_requests` as the packer takes it.
fn pack_image(
    py: Python<'_>,
    item: &Bound<'_, PyAny>,
    preparer: &mut Preparer,
    options: &PrepareOptions,
) -> PyResult<PackImage> {
    if let Ok(p) = item.cast::<Prepared>() {
        let p = p.get();
        let data = base64_encode(p.bytes(py));
        return Ok(PackImage::base64(p.media_type(), data, p.size()));
    }
    if let Ok(d) = item.cast::<PyDict>() {
        if let Some(url) = d.get_item("url")? {
            return Ok(PackImage::url(url.extract::<String>()?));
        }
        if let Some(id) = d.get_item("file_id")? {
            return Ok(PackImage::file(id.extract::<String>()?));
        }
        return Err(PyTypeError::new_err(
            "an image given as a dict names a \"url\" or a \"file_id\"",
        ));
    }
    let source = extract(item)?;
    let name = source.name();
    let done = py
        .detach(|| preparer.prepare_input(&source, options))
        .map_err(|e| image_error(py, &e, name.as_deref()))?;
    Ok(PackImage::from_prepared(&done))
}

/// Packs images into the fewest Messages API bodies within the limits, images first, each
/// introduced by `Image N:`, the prompt last. Images are `Prepared` objects, sources (bytes,
/// paths, file objects, PIL images: prepared here with `**options`, those of `prepare`), or
/// `{"url": ...}` and `{"file_id": ...}` dicts. The bodies are for `options`' model and meet
/// its profile's limits, as `visionprep request` with the same flags.
#[pyfunction]
#[pyo3(signature = (images, *, prompt, max_tokens=1024, system=None, **options))]
fn build_requests<'py>(
    py: Python<'py>,
    images: &Bound<'py, PyAny>,
    prompt: &str,
    max_tokens: u32,
    system: Option<String>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let run =
        PrepareArgs::from_kwargs("build_requests", options)?.resolve_whole(py, "build_requests")?;
    let text = BodyText::new(prompt).with(max_tokens, system);
    let pack_options = run
        .pack_options(&text)
        .map_err(|e| settings_error(py, &e))?;
    let options = run.prepare;
    let mut preparer = Preparer::new();
    let mut list = Vec::new();
    for item in images.try_iter()? {
        list.push(pack_image(py, &item?, &mut preparer, &options)?);
    }
    let bodies = py
        .detach(|| pack(&list, &pack_options))
        .map_err(|e| request_error(py, e.code().as_str(), &e.to_string()))?;
    bodies.iter().map(|b| to_python(py, b)).collect()
}

/// Checks a Messages API body (a dict, JSON text or bytes) as `visionprep check` does:
/// returns `{"kind", "requests", "findings", "passes"}`; `passes` is False when the API would
/// refuse it.
#[pyfunction]
#[pyo3(signature = (body, *, profile="portable", model=None))]
fn check_request<'py>(
    py: Python<'py>,
    body: &Bound<'py, PyAny>,
    profile: &str,
    model: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let bytes: Vec<u8> = if body.is_instance_of::<PyDict>() || body.is_instance_of::<PyString>() {
        json_text(body)?.into_bytes()
    } else {
        body.extract::<Vec<u8>>()?
    };
    let options = CheckOptions::for_model(parse("profile", profile)?, model, table().clone())
        .map_err(|e| model_error(py, &e))?;
    let report = py
        .detach(|| check_bytes(bytes, &options))
        .map_err(|e| request_error(py, "not-a-request", &e.to_string()))?;
    to_python(py, &CheckVerdict::from(report))
}
