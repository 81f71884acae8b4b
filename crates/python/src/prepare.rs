//! `prepare`, `Preparer`, `prepare_many` and the `Prepared` result.

use crate::errors::{image_error, other_error};
use crate::options::PrepareArgs;
use crate::report::{decimal, to_python};
use crate::source::{Source, extract};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict};
use std::path::PathBuf;
use std::sync::Mutex;
use visionprep::core::request::{ContentBlock, ImageSource};
use visionprep::core::{CoordMap, TileMode, Usd};
use visionprep::prepare::{PrepareOptions, Prepared as Done, Preparer as LibPreparer, TilePart};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Prepared>()?;
    m.add_class::<Preparer>()?;
    m.add_class::<PrepareMany>()?;
    m.add_function(wrap_pyfunction!(prepare, m)?)?;
    m.add_function(wrap_pyfunction!(prepare_tiles, m)?)?;
    m.add_function(wrap_pyfunction!(prepare_many, m)?)?;
    Ok(())
}

/// A Claude-ready image and what it costs.
#[pyclass(frozen, module = "visionprep")]
pub(crate) struct Prepared {
    data: Py<PyBytes>,
    #[pyo3(get)]
    media_type: &'static str,
    #[pyo3(get)]
    input_format: &'static str,
    #[pyo3(get)]
    input_width: u32,
    #[pyo3(get)]
    input_height: u32,
    #[pyo3(get)]
    width: u32,
    #[pyo3(get)]
    height: u32,
    #[pyo3(get)]
    tokens: u64,
    usd: Usd,
    #[pyo3(get)]
    model: String,
    actions: Vec<&'static str>,
    #[pyo3(get)]
    quality_lowered_to: Option<u8>,
    #[pyo3(get)]
    truncated: bool,
    #[pyo3(get)]
    path: Option<String>,
    tile: Option<TilePart>,
}

impl Prepared {
    pub(crate) fn new(py: Python<'_>, done: Done, model: &str, path: Option<String>) -> Self {
        Prepared {
            data: PyBytes::new(py, &done.bytes).unbind(),
            media_type: done.media_type.as_str(),
            input_format: done.input_format.name(),
            input_width: done.input_size.width,
            input_height: done.input_size.height,
            width: done.output_size.width,
            height: done.output_size.height,
            tokens: done.tokens,
            usd: done.usd,
            model: model.to_owned(),
            actions: done.actions.names(),
            quality_lowered_to: done.actions.quality_lowered_to,
            truncated: done.truncated,
            tile: done.tile,
            path,
        }
    }

    /// The bytes, borrowed.
    pub(crate) fn bytes(&self, py: Python<'_>) -> &[u8] {
        self.data.as_bytes(py)
    }

    /// Its media type.
    pub(crate) fn media_type(&self) -> &'static str {
        self.media_type
    }

    /// Its pixel size.
    pub(crate) fn size(&self) -> visionprep::core::Size {
        visionprep::core::Size::new(self.width, self.height)
    }
}

#[pymethods]
impl Prepared {
    /// The image to send.
    #[getter]
    fn data(&self, py: Python<'_>) -> Py<PyBytes> {
        self.data.clone_ref(py)
    }

    /// What its tokens cost on `model`, exact.
    #[getter]
    fn usd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, self.usd)
    }

    /// What was done, as the CLI's report names it (`kept`, `resized`, `oriented`, ...).
    #[getter]
    fn actions(&self) -> Vec<&'static str> {
        self.actions.clone()
    }

    /// Which tile of its input this image is (`prepare_tiles`): a dict with `index` (from 0),
    /// `count`, `columns`, `rows`, the region `x`, `y`, `width`, `height` it shows, and the
    /// `label` a request introduces it with; `None` for an image sent whole.
    #[getter]
    fn tile<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.tile.as_ref().map(|t| to_python(py, t)).transpose()
    }

    /// A point the model names in this image (its pixels, as sent) in the input's pixels (as
    /// displayed): scaled back, and offset by the tile's place for a tile.
    fn to_original(&self, x: f64, y: f64) -> (f64, f64) {
        let map = match &self.tile {
            Some(t) => t.map,
            None => CoordMap::whole(
                visionprep::core::Size::new(self.input_width, self.input_height),
                self.size(),
            ),
        };
        map.to_original(x, y)
    }

    /// The image as an image content block of the Messages API, exactly the dict the
    /// `anthropic` SDK takes: `{"type": "image", "source": {"type": "base64", ...}}`.
    fn to_content_block<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let bytes = self.bytes(py);
        let block = py.detach(|| {
            ContentBlock::image(ImageSource::Base64 {
                media_type: self.media_type.to_owned(),
                data: visionprep::core::request::base64_encode(bytes),
            })
        });
        to_python(py, &block)
    }

    /// Writes the image to `path` atomically (a temporary file in the same folder, then a
    /// rename). Refuses to write over the file it was prepared from.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let bytes = self.bytes(py);
        let input = self.path.as_deref().map(std::path::Path::new);
        py.detach(|| visionprep::folder::write_atomic(&path, bytes, input))
            .map_err(|e| {
                let shown = path.display().to_string();
                let message = match e.kind() {
                    std::io::ErrorKind::AlreadyExists => e.to_string(),
                    _ => format!("cannot write it: {e}"),
                };
                other_error(py, "io", &message, Some(&shown))
            })
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.bytes(py).len()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<Prepared {} {}x{} ({} bytes) from {} {}x{}: {} tokens, ${} on {}>",
            self.media_type,
            self.width,
            self.height,
            self.bytes(py).len(),
            self.input_format,
            self.input_width,
            self.input_height,
            self.tokens,
            self.usd,
            self.model
        )
    }
}

/// Prepares one source on the current thread with the GIL released.
fn run(
    py: Python<'_>,
    preparer: &mut LibPreparer,
    source: &Source,
    options: &PrepareOptions,
) -> PyResult<Prepared> {
    if options.tiles.mode != TileMode::Never {
        return Err(PyValueError::new_err(
            "prepare() returns one image: use prepare_tiles() with tiles=\"auto\" or \"always\"",
        ));
    }
    let name = source.name();
    match py.detach(|| preparer.prepare_input(source, options)) {
        Ok(done) => Ok(Prepared::new(py, done, options.target.model(), name)),
        Err(e) => Err(image_error(py, &e, name.as_deref())),
    }
}

/// Prepares one source as one image or, by the options' `tiles`, as tiles, with the GIL
/// released.
fn run_parts(
    py: Python<'_>,
    preparer: &mut LibPreparer,
    source: &Source,
    options: &PrepareOptions,
) -> PyResult<Vec<Prepared>> {
    let name = source.name();
    match py.detach(|| preparer.prepare_input_parts(source, options)) {
        Ok(parts) => Ok(parts
            .into_iter()
            .map(|done| Prepared::new(py, done, options.target.model(), name.clone()))
            .collect()),
        Err(e) => Err(image_error(py, &e, name.as_deref())),
    }
}

/// Prepares one image for Claude as a list of images: the image whole, or, with
/// `tiles="auto"` (drawn content only) or `"always"`, the tiles of an image the API would
/// shrink by more than `min_scale`, in order. See the package docs for the arguments.
#[pyfunction]
#[pyo3(signature = (src, **options))]
fn prepare_tiles(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<Prepared>> {
    let options = PrepareArgs::from_kwargs("prepare_tiles", options)?.options(py)?;
    let source = extract(src)?;
    run_parts(py, &mut LibPreparer::new(), &source, &options)
}

/// Prepares one image for Claude. See the package docs for the arguments.
#[pyfunction]
#[pyo3(signature = (src, **options))]
fn prepare(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Prepared> {
    let options = PrepareArgs::from_kwargs("prepare", options)?.options_whole(py, "prepare")?;
    let source = extract(src)?;
    run(py, &mut LibPreparer::new(), &source, &options)
}

/// Prepares images one after another with the same options, reusing its buffers: make one
/// per worker (thread, process, Ray actor).
#[pyclass(module = "visionprep")]
pub(crate) struct Preparer {
    inner: LibPreparer,
    options: PrepareOptions,
}

#[pymethods]
impl Preparer {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(Preparer {
            inner: LibPreparer::new(),
            options: PrepareArgs::from_kwargs("Preparer", options)?.options(py)?,
        })
    }

    /// The model images are prepared for.
    #[getter]
    fn model(&self) -> &str {
        self.options.target.model()
    }

    /// Prepares one image.
    fn prepare(&mut self, py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Prepared> {
        let source = extract(src)?;
        run(py, &mut self.inner, &source, &self.options)
    }

    /// Prepares one image as one image or tiles (see `prepare_tiles`).
    fn prepare_tiles(&mut self, py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Vec<Prepared>> {
        let source = extract(src)?;
        run_parts(py, &mut self.inner, &source, &self.options)
    }
}

/// The results of `prepare_many`, in input order, as they are ready: a `Prepared`, or the
/// `VisionprepError` of an image that could not be prepared (returned, not raised).
#[pyclass(module = "visionprep")]
pub(crate) struct PrepareMany {
    sources: Py<PyAny>,
    exhausted: bool,
    /// The library's run (a `Mutex` only to make the class `Sync`: the iterator's own borrow
    /// already makes access exclusive).
    run: Mutex<visionprep::folder::PrepareMany<PyBackedBytes>>,
}

#[pymethods]
impl PrepareMany {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let run = self
            .run
            .get_mut()
            .map_err(|_| other_error(py, "internal", "a worker thread failed (a bug)", None))?;
        // Sources are taken with the GIL, until the window is full or they run out.
        let sources = self.sources.bind(py);
        while !self.exhausted && run.has_room() {
            match sources.call_method0("__next__") {
                Ok(item) => run.push(extract(&item)?),
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) => {
                    self.exhausted = true
                }
                Err(e) => return Err(e),
            }
        }
        // The oldest result is waited for without it.
        let Some(done) = py.detach(|| run.next_ready()) else {
            return Ok(None);
        };
        let model = run.options().target.model();
        Ok(Some(match done.result {
            Ok(p) => Py::new(py, Prepared::new(py, p, model, done.name))?.into_any(),
            Err(e) => image_error(py, &e, done.name.as_deref())
                .into_value(py)
                .into_any(),
        }))
    }
}

/// Prepares many images in parallel (`threads` workers, default one per core) and yields
/// the results in input order. At most four images per thread are in flight, so memory
/// stays flat for any number of images.
#[pyfunction]
#[pyo3(signature = (srcs, *, threads=None, **options))]
fn prepare_many(
    py: Python<'_>,
    srcs: &Bound<'_, PyAny>,
    threads: Option<usize>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PrepareMany> {
    if threads == Some(0) {
        return Err(PyValueError::new_err("threads: must be at least 1"));
    }
    let options =
        PrepareArgs::from_kwargs("prepare_many", options)?.options_whole(py, "prepare_many")?;
    let run = visionprep::folder::PrepareMany::new(options, threads)
        .map_err(|e| other_error(py, "internal", &e.to_string(), None))?;
    Ok(PrepareMany {
        sources: srcs.try_iter()?.into_any().unbind(),
        exhausted: false,
        run: Mutex::new(run),
    })
}
