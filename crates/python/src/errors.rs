//! The exceptions: `VisionprepError` with `.code` (the CLI's error codes), `.path` and
//! `.message`, and a subclass for each main kind, so that callers catch what they can handle.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use visionprep::core::{ErrorCode, PriceError};

create_exception!(
    _visionprep,
    VisionprepError,
    PyException,
    "Anything visionprep refuses. `.code` is the CLI's code, `.path` the file (or None)."
);
create_exception!(
    _visionprep,
    ImageError,
    VisionprepError,
    "An image could not be read, decoded or encoded."
);
create_exception!(
    _visionprep,
    UnsupportedFormatError,
    ImageError,
    "Not an image, or a format visionprep cannot read (codes not-an-image, unsupported-format)."
);
create_exception!(
    _visionprep,
    CorruptImageError,
    ImageError,
    "The data is cut off or broken (codes truncated, corrupt)."
);
create_exception!(
    _visionprep,
    ImageTooLargeError,
    ImageError,
    "Over the decode limits (codes dimensions-too-large, memory-limit)."
);
create_exception!(
    _visionprep,
    ModelError,
    VisionprepError,
    "An unknown or retired model; `.suggestions` lists the closest known ids."
);
create_exception!(
    _visionprep,
    RequestError,
    VisionprepError,
    "A request body that breaks a limit or is not a Messages API body."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("VisionprepError", py.get_type::<VisionprepError>())?;
    m.add("ImageError", py.get_type::<ImageError>())?;
    m.add(
        "UnsupportedFormatError",
        py.get_type::<UnsupportedFormatError>(),
    )?;
    m.add("CorruptImageError", py.get_type::<CorruptImageError>())?;
    m.add("ImageTooLargeError", py.get_type::<ImageTooLargeError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("RequestError", py.get_type::<RequestError>())?;
    Ok(())
}

/// Builds an exception instance of `kind` with its attributes set.
fn build<E: pyo3::PyTypeInfo>(
    py: Python<'_>,
    code: &str,
    message: &str,
    path: Option<&str>,
) -> PyErr {
    let text = match path {
        Some(p) => format!("{p}: {message}"),
        None => message.to_owned(),
    };
    let err = PyErr::from_type(py.get_type::<E>(), (text,));
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of memory
    // exhaustion; were it to, the exception still carries its text.
    let _ = value.setattr("code", code);
    let _ = value.setattr("message", message);
    let _ = value.setattr("path", path);
    err
}

/// An image error of the library (probe, decode, encode, limits), for the file `path`.
pub(crate) fn image_error(py: Python<'_>, e: &visionprep::Error, path: Option<&str>) -> PyErr {
    image_code_error(py, e.code(), &e.to_string(), path)
}

/// An image error from its code and message (a report row's error, for instance).
pub(crate) fn image_code_error(
    py: Python<'_>,
    code: ErrorCode,
    message: &str,
    path: Option<&str>,
) -> PyErr {
    let c = code.as_str();
    match code {
        ErrorCode::NotAnImage | ErrorCode::UnsupportedFormat => {
            build::<UnsupportedFormatError>(py, c, message, path)
        }
        ErrorCode::Truncated | ErrorCode::Corrupt => {
            build::<CorruptImageError>(py, c, message, path)
        }
        ErrorCode::DimensionsTooLarge | ErrorCode::MemoryLimit => {
            build::<ImageTooLargeError>(py, c, message, path)
        }
        // Unreadable files, empty ones and encoder faults: an ImageError whose code says which.
        _ => build::<ImageError>(py, c, message, path),
    }
}

/// A model the data does not know, or that is retired.
pub(crate) fn model_error(py: Python<'_>, e: &PriceError) -> PyErr {
    model_error_saying(py, e, &e.to_string())
}

/// [`model_error`] with the message `message` (the settings' one, with what to give instead).
pub(crate) fn model_error_saying(py: Python<'_>, e: &PriceError, message: &str) -> PyErr {
    let suggestions = match e {
        PriceError::UnknownModel { suggestions, .. } => suggestions.clone(),
        _ => Vec::new(),
    };
    let err = build::<ModelError>(py, e.code().as_str(), message, None);
    let _ = err.value(py).setattr("suggestions", suggestions);
    err
}

/// A request body that breaks a limit, or is no body.
pub(crate) fn request_error(py: Python<'_>, code: &str, message: &str) -> PyErr {
    build::<RequestError>(py, code, message, None)
}

/// Any other refusal (an output that cannot be written, a bad batch folder).
pub(crate) fn other_error(py: Python<'_>, code: &str, message: &str, path: Option<&str>) -> PyErr {
    build::<VisionprepError>(py, code, message, path)
}
