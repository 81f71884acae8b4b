//! The JavaScript boundary: every export converts its JavaScript arguments, calls [`crate::logic`]
//! and converts the answer back. Built for `wasm32` only (a native build has no JavaScript to
//! talk to, and leaves out wasm-bindgen and js-sys: the native tests cover `logic`).

use crate::logic;

use js_sys::{Array, JSON, Object, Reflect, Uint8Array};
use logic::{Failure, RequestImage};
use visionprep::core::ErrorCode;
use visionprep::core::Size;
use visionprep::probe::Pieces;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

/// The JS exception for a refusal.
fn throw(f: Failure) -> JsValue {
    let e = js_sys::Error::new(&match &f.path {
        Some(p) => format!("{p}: {}", f.message),
        None => f.message.clone(),
    });
    e.set_name("VisionprepError");
    let o: &JsValue = e.as_ref();
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(o, &"code".into(), &f.code.as_str().into());
    let _ = Reflect::set(o, &"path".into(), &f.path.as_deref().into());
    let _ = Reflect::set(o, &"reason".into(), &f.message.as_str().into());
    if let Some(r) = f.need {
        let need = Object::new();
        let _ = Reflect::set(&need, &"offset".into(), &(r.offset as f64).into());
        let _ = Reflect::set(&need, &"length".into(), &(r.len as f64).into());
        let _ = Reflect::set(o, &"need".into(), &need);
    }
    e.into()
}

/// A value the library built, as a JS object (through JSON, so the shape is the CLI's).
fn to_js(value: &serde_json::Value) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| throw(Failure::new(ErrorCode::Internal, e.to_string())))?;
    JSON::parse(&text)
}

/// A JS options object as JSON text; `None` for `undefined` or `null` (the defaults).
fn object_text(value: &JsValue) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() {
        return Err(throw(Failure::new(
            ErrorCode::InvalidOptions,
            "options must be an object",
        )));
    }
    Ok(Some(JSON::stringify(value)?.into()))
}

/// A JS options object (or `undefined`) as `T`, naming an unknown or mistyped field.
fn options<T: for<'de> serde::Deserialize<'de> + Default>(value: &JsValue) -> Result<T, JsValue> {
    logic::parse_options(object_text(value)?.as_deref()).map_err(throw)
}

/// A JS options object (or `undefined`) as the library's settings, by the parity table's
/// camelCase names.
fn settings(value: &JsValue) -> Result<visionprep::Settings, JsValue> {
    logic::settings(object_text(value)?.as_deref()).map_err(throw)
}

/// A number from JS as a byte count or offset: a whole number from 0 to 2^53.
fn byte_count(what: &str, n: f64) -> Result<u64, JsValue> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 {
        Ok(n as u64)
    } else {
        Err(throw(Failure::new(
            ErrorCode::InvalidOptions,
            format!("{what}: {n} is not a byte count"),
        )))
    }
}

/// The version of visionprep.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The model data: `{as_of, source, default_model, models: [...]}`, as `visionprep models
/// --json` prints it.
#[wasm_bindgen(unchecked_return_type = "ModelData")]
pub fn models() -> Result<JsValue, JsValue> {
    to_js(&logic::models())
}

/// The date the built-in prices and model data describe (`YYYY-MM-DD`).
#[wasm_bindgen(js_name = pricesAsOf)]
pub fn prices_as_of() -> String {
    logic::table().as_of().to_owned()
}

/// What the API does with a `width` x `height` image on a model, and what it costs.
#[wasm_bindgen(unchecked_return_type = "Plan")]
pub fn plan(
    width: u32,
    height: u32,
    #[wasm_bindgen(unchecked_param_type = "PlanOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    to_js(&logic::plan(width, height, &settings(&options)?).map_err(throw)?)
}

/// The byte ranges of one file read so far, for a header probe that reads only what it
/// needs: a page adds `file.slice(0, 65536)` and the last 64 KiB, and adds the `need` range
/// of a `need-bytes` error when a header runs longer.
#[wasm_bindgen]
pub struct FileParts {
    pieces: Pieces,
}

#[wasm_bindgen]
impl FileParts {
    /// No bytes yet of a file of `size` bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(size: f64) -> Result<FileParts, JsValue> {
        Ok(FileParts {
            pieces: Pieces::new(byte_count("size", size)?),
        })
    }

    /// Adds the bytes read at `offset`.
    pub fn add(&mut self, offset: f64, bytes: &[u8]) -> Result<(), JsValue> {
        self.pieces.insert(byte_count("offset", offset)?, bytes);
        Ok(())
    }

    /// The size of the whole file.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.pieces.len() as f64
    }

    /// How many bytes have been added.
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> f64 {
        self.pieces.held() as f64
    }
}

/// The header facts of a whole file's bytes: format, media type, size as seen (upright) and
/// as stored, orientation, animation. Reads the header only.
#[wasm_bindgen(unchecked_return_type = "ProbeResult")]
pub fn probe(bytes: &[u8], lenient: Option<bool>) -> Result<JsValue, JsValue> {
    to_js(&logic::probe(bytes, lenient.unwrap_or(false)).map_err(throw)?)
}

/// [`probe`] from the parts of a file read so far; throws `need-bytes` with the range to read
/// when the header continues past them.
#[wasm_bindgen(js_name = probeParts, unchecked_return_type = "ProbeResult")]
pub fn probe_parts(parts: &FileParts, lenient: Option<bool>) -> Result<JsValue, JsValue> {
    to_js(&logic::probe_parts(&parts.pieces, lenient.unwrap_or(false)).map_err(throw)?)
}

/// A cost report being filled, file by file, from headers only: the rows and totals of
/// `visionprep cost --format json` with the same options.
#[wasm_bindgen]
pub struct CostReport {
    inner: logic::CostReport,
}

#[wasm_bindgen]
impl CostReport {
    /// A report for the models and flags in `options` (`cost`'s flags, camelCased).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CostOptions | undefined")] options: JsValue,
    ) -> Result<CostReport, JsValue> {
        Ok(CostReport {
            inner: logic::CostReport::new(&settings(&options)?).map_err(throw)?,
        })
    }

    /// The heading of the CLI's JSON report: `{token_rule, prices_as_of, model_status}`.
    #[wasm_bindgen(unchecked_return_type = "CostHeader")]
    pub fn header(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.header())
    }

    /// Adds a file from the parts read so far. Returns its row; `null` for a non-image found
    /// in a folder (`found`: counted as skipped, as `cost` passes over such files); throws
    /// `need-bytes` (nothing counted) when the header continues past the parts.
    #[wasm_bindgen(unchecked_return_type = "CostRow | null")]
    pub fn add(&mut self, name: &str, parts: &FileParts, found: bool) -> Result<JsValue, JsValue> {
        match self.inner.add(name, &parts.pieces, found).map_err(throw)? {
            Some(row) => to_js(&row),
            None => Ok(JsValue::NULL),
        }
    }

    /// [`CostReport::add`] for a whole file's bytes.
    #[wasm_bindgen(js_name = addBytes, unchecked_return_type = "CostRow | null")]
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8], found: bool) -> Result<JsValue, JsValue> {
        match self.inner.add_bytes(name, bytes, found).map_err(throw)? {
            Some(row) => to_js(&row),
            None => Ok(JsValue::NULL),
        }
    }

    /// Adds a file that could not be read at all (the browser refused it): an `unreadable`
    /// row, counted as an error as `cost` counts one.
    #[wasm_bindgen(unchecked_return_type = "CostRow")]
    pub fn unreadable(&mut self, name: &str, size: f64, message: &str) -> Result<JsValue, JsValue> {
        let bytes = byte_count("size", size)?;
        to_js(&self.inner.unreadable(name, bytes, message).map_err(throw)?)
    }

    /// The totals so far: the CLI's JSON `totals`.
    #[wasm_bindgen(unchecked_return_type = "CostTotals")]
    pub fn totals(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.totals())
    }
}

/// Prepares images with one set of options, reusing its buffers from one image to the next.
#[wasm_bindgen]
pub struct Preparer {
    preparer: visionprep::Preparer,
    options: visionprep::PrepareOptions,
}

/// The JS result of a prepare: the facts with `data`, the bytes.
fn prepared_js(done: visionprep::Prepared, facts: &serde_json::Value) -> Result<JsValue, JsValue> {
    let out = to_js(facts)?;
    let data = Uint8Array::from(done.bytes.as_slice());
    Reflect::set(&out, &"data".into(), &data)?;
    Ok(out)
}

#[wasm_bindgen]
impl Preparer {
    /// A preparer for `options` (`prepare`'s flags, camelCased), checked now.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "PrepareOptions | undefined")] options: JsValue,
    ) -> Result<Preparer, JsValue> {
        Ok(Preparer {
            preparer: visionprep::Preparer::new(),
            options: logic::prepare_options(&settings(&options)?).map_err(throw)?,
        })
    }

    /// Makes one image Claude-ready: `{data, mediaType, width, height, tokens, usd, actions,
    /// ...}`. `name` labels an error.
    #[wasm_bindgen(unchecked_return_type = "Prepared")]
    pub fn prepare(&mut self, bytes: &[u8], name: Option<String>) -> Result<JsValue, JsValue> {
        let (done, facts) =
            logic::prepare(&mut self.preparer, bytes, &self.options, name.as_deref())
                .map_err(throw)?;
        prepared_js(done, &facts)
    }
}

#[wasm_bindgen]
impl Preparer {
    /// Makes one image Claude-ready as one image or, by the options' `tiles` (`auto`,
    /// `always`), as several tiles in order, each with its `tile` (index, count, region,
    /// label): what `visionprep prepare --tiles` writes.
    #[wasm_bindgen(js_name = prepareTiles, unchecked_return_type = "Prepared[]")]
    pub fn prepare_tiles(&mut self, bytes: &[u8], name: Option<String>) -> Result<Array, JsValue> {
        let parts = logic::prepare_tiles(&mut self.preparer, bytes, &self.options, name.as_deref())
            .map_err(throw)?;
        let out = Array::new();
        for (done, facts) in parts {
            out.push(&prepared_js(done, &facts)?);
        }
        Ok(out)
    }
}

/// Makes one image Claude-ready (a [`Preparer`] used once).
#[wasm_bindgen(unchecked_return_type = "Prepared")]
pub fn prepare(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_param_type = "PrepareOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    Preparer::new(options)?.prepare(bytes, None)
}

fn get(o: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(o, &key.into())
}

/// One image of `buildRequests` from JS.
fn request_image(item: &JsValue) -> Result<RequestImage, JsValue> {
    let bad = |why: &str| throw(Failure::new(ErrorCode::InvalidOptions, why.to_owned()));
    if !item.is_object() {
        return Err(bad("each image is an object"));
    }
    let url = get(item, "url")?;
    if let Some(u) = url.as_string() {
        return Ok(RequestImage::Url(u));
    }
    let file = get(item, "fileId")?;
    if let Some(f) = file.as_string() {
        return Ok(RequestImage::File(f));
    }
    let data = get(item, "data")?;
    let media = get(item, "mediaType")?
        .as_string()
        .ok_or_else(|| bad("an image with data has a mediaType"))?;
    if !data.is_instance_of::<Uint8Array>() {
        return Err(bad(
            "an image is {data: Uint8Array, mediaType}, {url} or {fileId}",
        ));
    }
    let bytes = Uint8Array::from(data).to_vec();
    let w = get(item, "width")?.as_f64();
    let h = get(item, "height")?.as_f64();
    let size = w.zip(h).map(|(w, h)| Size::new(w as u32, h as u32));
    Ok(RequestImage::Bytes(media, bytes, size))
}

/// Packs images into the fewest Messages API bodies within the limits, as `visionprep
/// request` does. Images are prepared results (`{data, mediaType, width, height}`), `{url}`
/// or `{fileId}`.
#[wasm_bindgen(js_name = buildRequests, unchecked_return_type = "MessagesRequest[]")]
pub fn build_requests(
    #[wasm_bindgen(unchecked_param_type = "RequestImage[]")] images: Array,
    #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let args: logic::RequestArgs = self::options(&options)?;
    let list = images
        .iter()
        .map(|i| request_image(&i))
        .collect::<Result<Vec<_>, _>>()?;
    to_js(&logic::build_requests(list, &args).map_err(throw)?)
}

/// The file names of prepared outputs, in input order, as `visionprep prepare` names them:
/// `names` are the inputs' relative paths, `mediaTypes` the outputs' media types. Inputs that
/// would collide (`a.gif` and `a.png` both becoming PNG, or `a.png` and `A.PNG`) get distinct
/// names, so that a zip of the outputs loses none.
#[wasm_bindgen(js_name = outputNames)]
pub fn output_names(names: Vec<String>, media_types: Vec<String>) -> Result<Vec<String>, JsValue> {
    logic::output_names(&names, &media_types).map_err(throw)
}

/// Checks a Messages API body (an object, JSON text or bytes) as `visionprep check` does:
/// `{kind, requests, findings, passes}`.
#[wasm_bindgen(unchecked_return_type = "CheckReport")]
pub fn check(
    #[wasm_bindgen(unchecked_param_type = "object | string | Uint8Array")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CheckOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let args: logic::CheckArgs = self::options(&options)?;
    let bytes = if let Some(text) = body.as_string() {
        text.into_bytes()
    } else if body.is_instance_of::<Uint8Array>() {
        Uint8Array::from(body).to_vec()
    } else {
        String::from(JSON::stringify(&body)?).into_bytes()
    };
    to_js(&logic::check(bytes, &args).map_err(throw)?)
}
