//! What a Python caller may hand in as an image: bytes (or bytearray, memoryview), a path
//! (str or os.PathLike), a binary file object, or a PIL image.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use std::path::PathBuf;

/// An image source, owned so that it can cross to a worker thread without the GIL: bytes (a
/// `bytes` object is borrowed, not copied) or a path.
pub(crate) type Source = visionprep::prepare::Input<PyBackedBytes>;

/// Reads `obj` as an image source.
///
/// A PIL image is saved losslessly first (PNG, or TIFF for modes PNG cannot hold such as
/// CMYK) with its EXIF block, so that an orientation tag still turns the pixels; it is then
/// prepared like any other image (decoded again: pass the file's bytes instead when you have
/// them, it is faster and keeps a JPEG byte for byte when it is ready as is).
pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    let py = obj.py();
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        return Ok(Source::Bytes(obj.extract::<PyBackedBytes>()?));
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let bytes = py.import("builtins")?.getattr("bytes")?.call1((obj,))?;
        return Ok(Source::Bytes(bytes.extract::<PyBackedBytes>()?));
    }
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(Source::Path(obj.extract::<PathBuf>()?));
    }
    if is_pil_image(obj)? {
        return pil_bytes(obj).map(Source::Bytes);
    }
    if obj.hasattr("read")? {
        let data = obj.call_method0("read")?;
        if data.is_instance_of::<PyBytes>() || data.is_instance_of::<PyByteArray>() {
            return Ok(Source::Bytes(data.extract::<PyBackedBytes>()?));
        }
        return Err(PyTypeError::new_err(
            "the file object gave text, not bytes: open the image in binary mode ('rb')",
        ));
    }
    Err(PyTypeError::new_err(format!(
        "cannot read an image from a {}: pass bytes, a path, a binary file object or a PIL image",
        obj.get_type().name()?
    )))
}

fn is_pil_image(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let module: String = obj.get_type().getattr("__module__")?.extract()?;
    Ok(module.starts_with("PIL.") && obj.hasattr("save")? && obj.hasattr("mode")?)
}

/// Saves a PIL image to PNG (TIFF for modes PNG cannot hold) in memory, with its EXIF.
fn pil_bytes(image: &Bound<'_, PyAny>) -> PyResult<PyBackedBytes> {
    let py = image.py();
    let mode: String = image.getattr("mode")?.extract()?;
    let format = match mode.as_str() {
        "1" | "L" | "LA" | "P" | "PA" | "RGB" | "RGBA" | "I" | "I;16" => "PNG",
        _ => "TIFF",
    };
    let buffer = py.import("io")?.getattr("BytesIO")?.call0()?;
    let kwargs = pyo3::types::PyDict::new(py);
    let exif = image.call_method0("getexif")?;
    if exif.len()? > 0 {
        kwargs.set_item("exif", exif.call_method0("tobytes")?)?;
    }
    if format == "TIFF" {
        kwargs.set_item("compression", "tiff_deflate")?;
    }
    image.call_method("save", (&buffer, format), Some(&kwargs))?;
    Ok(buffer
        .call_method0("getvalue")?
        .extract::<PyBackedBytes>()?)
}
