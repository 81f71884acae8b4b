//! What the JS functions do, on plain Rust values: options parsed from JSON text, results as
//! `serde_json` values, refusals as [`Failure`]. Nothing here touches JavaScript, so the
//! native test suite covers it; `lib.rs` only converts at the boundary.

use serde::Deserialize;
use serde_json::Value;
use visionprep::core::request::base64_encode;
use visionprep::core::{ErrorCode, MediaType, PriceError, PriceTable, Profile, Size, TileMode};
use visionprep::folder::CostTally;
use visionprep::prepare::{PrepareOptions, Prepared, Preparer};
use visionprep::probe::{ByteRange, PieceError, Pieces, probe_pieces};
use visionprep::report::ModelListing;
use visionprep::request::{CheckOptions, CheckVerdict, PackImage, check_bytes, pack};
use visionprep::settings::Front;
use visionprep::{BodyText, Limits, Settings, SettingsError, probe_bytes};

/// A refusal, as the JS exception carries it: the CLI's error code, the message, the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The CLI's code: `corrupt`, `unknown-model`, `invalid-options`, `need-bytes`, ...
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// The file it is about, when there is one.
    pub path: Option<String>,
    /// For `need-bytes`: the byte range of the file to read next.
    pub need: Option<ByteRange>,
}

impl Failure {
    /// A refusal with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code: code.as_str().to_owned(),
            message: message.into(),
            path: None,
            need: None,
        }
    }

    fn options(message: impl std::fmt::Display) -> Self {
        Failure::new(ErrorCode::InvalidOptions, message.to_string())
    }

    fn image(e: &visionprep::Error, path: Option<&str>) -> Self {
        Failure {
            path: path.map(str::to_owned),
            ..Failure::new(e.code(), e.to_string())
        }
    }

    fn model(e: &PriceError) -> Self {
        Failure::new(e.code(), e.to_string())
    }

    /// A settings refusal, with its code; an option named in its JavaScript spelling.
    fn settings(e: &SettingsError) -> Self {
        Failure::new(e.code(), e.message_for(Front::JavaScript))
    }

    fn need(range: ByteRange, path: Option<&str>) -> Self {
        Failure {
            path: path.map(str::to_owned),
            need: Some(range),
            ..Failure::new(
                ErrorCode::NeedBytes,
                format!(
                    "the header continues past the bytes given: read bytes {}..{} and try again",
                    range.offset,
                    range.offset + range.len
                ),
            )
        }
    }
}

/// The result of the functions here.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// The built-in model data, parsed once.
pub fn table() -> &'static PriceTable {
    PriceTable::shared()
}

/// Parses a JS options object (as JSON text; `None` for `undefined`) into `T`, naming an
/// unknown or mistyped field.
pub fn parse_options<T: for<'de> Deserialize<'de> + Default>(json: Option<&str>) -> Result<T> {
    match json {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(text).map_err(Failure::options),
    }
}

/// JavaScript options (the parity table's camelCase names; `model` for one model) as the
/// library's settings: what each means, its default and its checks are the library's.
pub fn settings(json: Option<&str>) -> Result<Settings> {
    let Some(text) = json else {
        return Ok(Settings::default());
    };
    let Value::Object(given) = serde_json::from_str(text).map_err(Failure::options)? else {
        return Err(Failure::options("options must be an object"));
    };
    Settings::from_spelled(&given, Front::JavaScript).map_err(|e| Failure::settings(&e))
}

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| Failure::options(format!("{what}: {e}")))
}

/// A profile by name; `portable` when none is given.
fn profile_named(name: Option<&str>) -> Result<Profile> {
    name.map_or(Ok(Profile::default()), |p| parse("profile", p))
}

/// What the API does with a `width` x `height` image on a model, and what it costs: the
/// fields of `visionprep plan --format json`'s estimate, camel-cased.
pub fn plan(width: u32, height: u32, settings: &Settings) -> Result<Value> {
    let run = settings
        .resolve_shared()
        .map_err(|e| Failure::settings(&e))?;
    let report = run.plan(width, height).map_err(|e| Failure::settings(&e))?;
    let line = report
        .first_line()
        .ok_or_else(|| Failure::options("no model chosen"))?;
    Ok(camel(&line))
}

/// The model data as `visionprep models --json` prints it.
pub fn models() -> Value {
    serde_json::to_value(ModelListing::new(table())).unwrap_or(Value::Null)
}

/// A library value as JavaScript reads it: its fields (top level) camel-cased.
fn camel(v: &impl serde::Serialize) -> Value {
    Front::JavaScript.fields(value(v))
}

/// Probes a whole file's bytes.
pub fn probe(bytes: &[u8], lenient: bool) -> Result<Value> {
    let limits = Limits::default().with_lenient(lenient);
    probe_bytes(bytes, &limits)
        .map(|p| camel(&p))
        .map_err(|e| Failure::image(&e, None))
}

/// Probes the pieces of a file read so far; `need-bytes` names the range to read next.
pub fn probe_parts(pieces: &Pieces, lenient: bool) -> Result<Value> {
    let limits = Limits::default().with_lenient(lenient);
    match probe_pieces(pieces, &limits) {
        Ok(p) => Ok(camel(&p)),
        Err(PieceError::Need(r)) => Err(Failure::need(r, None)),
        Err(PieceError::Probe(e)) => Err(Failure::image(&e, None)),
    }
}

/// A cost report being filled: the same rows and totals as `visionprep cost --format json`.
#[derive(Debug)]
pub struct CostReport(CostTally);

impl CostReport {
    /// A report for `settings`.
    pub fn new(settings: &Settings) -> Result<Self> {
        let run = settings.resolve().map_err(|e| Failure::settings(&e))?;
        Ok(CostReport(CostTally::new(&run)))
    }

    /// The report's heading: token rule, model data date, each model's lifecycle.
    pub fn header(&self) -> Value {
        value(self.0.header())
    }

    /// Adds one file from the pieces read so far: its row (the `files` entry of the CLI's
    /// JSON), `None` for a non-image found in a folder (counted as skipped), or `need-bytes`
    /// with the range to read (nothing is counted then).
    pub fn add(&mut self, name: &str, pieces: &Pieces, found: bool) -> Result<Option<Value>> {
        match self.0.add_pieces(name, pieces, found) {
            Err(range) => Err(Failure::need(range, Some(name))),
            Ok(row) => Ok(row.as_ref().map(value)),
        }
    }

    /// [`CostReport::add`] for a whole file's bytes.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8], found: bool) -> Result<Option<Value>> {
        Ok(self.0.add_bytes(name, bytes, found).as_ref().map(value))
    }

    /// Adds a file that could not be read at all: an `unreadable` row, counted as an error.
    pub fn unreadable(&mut self, name: &str, bytes: u64, message: &str) -> Result<Value> {
        Ok(value(&self.0.unreadable(name, bytes, message)))
    }

    /// The totals so far, as the CLI's JSON `totals`.
    pub fn totals(&self) -> Value {
        value(&self.0.totals())
    }
}

/// A library value as JSON, its field names as the CLI writes them.
fn value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The prepare options of `settings`, for images sent whole (tiles come from
/// `prepareTiles`).
pub fn prepare_options(settings: &Settings) -> Result<PrepareOptions> {
    Ok(settings
        .resolve()
        .map_err(|e| Failure::settings(&e))?
        .prepare)
}

/// A prepared image's facts (its bytes travel beside them), camel-cased, with the model.
pub fn prepared_value(p: &Prepared, model: &str) -> Value {
    let mut value = camel(p);
    if let Value::Object(map) = &mut value {
        map.insert("model".into(), model.into());
    }
    value
}

/// Prepares one image: the bytes and their facts. `name` only labels the error.
pub fn prepare(
    preparer: &mut Preparer,
    bytes: &[u8],
    options: &PrepareOptions,
    name: Option<&str>,
) -> Result<(Prepared, Value)> {
    if options.tiles.mode != TileMode::Never {
        return Err(Failure::options(
            "prepare() sends each image whole: tiles are made by prepareTiles()",
        ));
    }
    let done = preparer
        .prepare(bytes, options)
        .map_err(|e| Failure::image(&e, name))?;
    let facts = prepared_value(&done, options.target.model());
    Ok((done, facts))
}

/// Prepares one image as `visionprep prepare --tiles` does: one image, or (by the settings'
/// `tiles`) several tiles in order, each with its `tile` (place, region, label).
pub fn prepare_tiles(
    preparer: &mut Preparer,
    bytes: &[u8],
    options: &PrepareOptions,
    name: Option<&str>,
) -> Result<Vec<(Prepared, Value)>> {
    let parts = preparer
        .prepare_parts(bytes, options)
        .map_err(|e| Failure::image(&e, name))?;
    let model = options.target.model();
    Ok(parts
        .into_iter()
        .map(|p| {
            let facts = prepared_value(&p, model);
            (p, facts)
        })
        .collect())
}

/// The options of `buildRequests`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RequestArgs {
    /// The text after the images (required).
    pub prompt: String,
    /// `max_tokens` of each body (default 1024).
    pub max_tokens: Option<u32>,
    /// The system prompt.
    pub system: Option<String>,
    /// The model the bodies name; default: the model data's default.
    pub model: Option<String>,
    /// The limits the bodies meet: `portable` (default), `api`, ...
    pub profile: Option<String>,
}

/// One image of `buildRequests`: prepared bytes with their media type and size, a URL or a
/// Files API id.
#[derive(Debug)]
pub enum RequestImage {
    /// Base64 data: the media type, the bytes and the size.
    Bytes(String, Vec<u8>, Option<Size>),
    /// `{"url": ...}`.
    Url(String),
    /// `{"fileId": ...}`.
    File(String),
}

/// The file names of prepared outputs, in input order, as `visionprep prepare` names them
/// (the library's namer): `names` are the inputs' relative paths, `media_types` the outputs'.
/// Two inputs that would collide (`a.gif` and `a.png` both becoming PNG, `a.png` and `A.PNG`)
/// get distinct names, as they do in an output folder.
pub fn output_names(names: &[String], media_types: &[String]) -> Result<Vec<String>> {
    if names.len() != media_types.len() {
        return Err(Failure::options(
            "outputNames: one media type for each name",
        ));
    }
    let mut files = Vec::new();
    for (name, m) in names.iter().zip(media_types) {
        let bad = || Failure::options(format!("mediaType: {m} is not an API media type"));
        files.push((
            std::path::Path::new(name),
            MediaType::from_mime(m).ok_or_else(bad)?,
        ));
    }
    let named = visionprep::folder::output_names(files);
    Ok(named
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// Packs images into the fewest Messages API bodies within the limits, as `visionprep
/// request` does: images first, each introduced by `Image N:`, the prompt last.
pub fn build_requests(images: Vec<RequestImage>, args: &RequestArgs) -> Result<Value> {
    let mut settings = Settings::default();
    settings.models = args.model.iter().cloned().collect();
    settings.profile = profile_named(args.profile.as_deref())?;
    let run = settings.resolve().map_err(|e| Failure::settings(&e))?;
    let max_tokens = args.max_tokens.unwrap_or(BodyText::default().max_tokens);
    let text = BodyText::new(&args.prompt).with(max_tokens, args.system.clone());
    let options = run.pack_options(&text).map_err(|e| Failure::settings(&e))?;
    let list: Vec<PackImage> = images
        .into_iter()
        .map(|i| match i {
            // An image given without its size is measured, never taken as 0x0.
            RequestImage::Bytes(media, data, None) => {
                PackImage::measured(media, &data, &Limits::default())
                    .map_err(|e| Failure::image(&e, None))
            }
            RequestImage::Bytes(media, data, Some(s)) => {
                Ok(PackImage::base64(media, base64_encode(&data), s))
            }
            RequestImage::Url(u) => Ok(PackImage::url(u)),
            RequestImage::File(f) => Ok(PackImage::file(f)),
        })
        .collect::<Result<_>>()?;
    let bodies = pack(&list, &options).map_err(|e| Failure::new(e.code(), e.to_string()))?;
    serde_json::to_value(&bodies).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))
}

/// The options of `check`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CheckArgs {
    /// `portable` (default), `api`, `bedrock`, `vertex`, `claude-ai`.
    pub profile: Option<String>,
    /// The model of bodies that name none.
    pub model: Option<String>,
}

/// Checks a Messages API body (or a list of messages, or a transcript) as `visionprep check`
/// does: `{kind, requests, findings, passes}`.
pub fn check(body: Vec<u8>, args: &CheckArgs) -> Result<Value> {
    let profile = profile_named(args.profile.as_deref())?;
    let options = CheckOptions::for_model(profile, args.model.clone(), table().clone())
        .map_err(|e| Failure::model(&e))?;
    let report = check_bytes(body, &options)
        .map_err(|e| Failure::new(ErrorCode::NotARequest, e.to_string()))?;
    Ok(value(&CheckVerdict::from(report)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionprep::settings::SPELLINGS;

    fn example(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../examples/images/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap_or_default()
    }

    fn whole(bytes: &[u8]) -> Pieces {
        let mut p = Pieces::new(bytes.len() as u64);
        p.insert(0, bytes);
        p
    }

    #[test]
    fn probe_facts_are_camel_cased() {
        let v = probe(&example("camera-4032x3024.jpg"), false).unwrap();
        assert_eq!(v["mediaType"], "image/jpeg");
        assert_eq!(
            (v["width"].as_u64(), v["storedWidth"].as_u64()),
            (Some(3024), Some(4032))
        );
        assert_eq!(
            (v["orientation"].as_u64(), v["accepted"].as_bool()),
            (Some(6), Some(true))
        );
        assert_eq!(v["truncated"], false);
        let heic = probe(&example("phone-64x48.heic"), false).unwrap();
        assert_eq!(heic["accepted"], false);
    }

    #[test]
    fn plan_matches_the_core() {
        let opts = settings(Some(r#"{"model":"claude-opus-4-7","tokenBudget":800}"#)).unwrap();
        let v = plan(4032, 3024, &opts).unwrap();
        assert_eq!(v["model"], "claude-opus-4-7");
        assert_eq!(v["tier"], "high-resolution");
        assert_eq!(v["targetWidth"], 2212);
        assert_eq!(v["tokens"], 4893);
        assert!(v["budget"]["tokens"].as_u64().unwrap() <= 800);
        let bad = settings(Some(r#"{"modle":"x"}"#)).unwrap_err();
        assert_eq!(bad.code, "invalid-options");
        assert!(bad.message.contains("modle"), "{}", bad.message);
        let unknown = settings(Some(r#"{"model":"claude-nope"}"#)).unwrap();
        assert_eq!(plan(10, 10, &unknown).unwrap_err().code, "unknown-model");
        let zero = settings(Some(r#"{"tokenBudget":0}"#)).unwrap();
        let e = plan(10, 10, &zero).unwrap_err();
        assert_eq!(e.code, "invalid-options");
        assert!(e.message.starts_with("tokenBudget: "), "{}", e.message);
    }

    #[test]
    fn cost_rows_are_the_cli_rows() {
        let opts = settings(Some(
            r#"{"models":["claude-sonnet-4-6","claude-opus-4-7"]}"#,
        ))
        .unwrap();
        let mut report = CostReport::new(&opts).unwrap();
        let jpeg = example("camera-4032x3024.jpg");
        let mut head = Pieces::new(jpeg.len() as u64);
        head.insert(0, &jpeg[..16]);
        let need = report.add("camera.jpg", &head, false).unwrap_err();
        assert_eq!(need.code, "need-bytes");
        assert!(need.need.is_some());
        let row = report
            .add_bytes("camera.jpg", &jpeg, false)
            .unwrap()
            .unwrap();
        assert_eq!(row["width"], 3024);
        // The same row from the pieces, read whole (on a second report: nothing counted twice).
        let mut again = CostReport::new(&opts).unwrap();
        let from_pieces = again.add("camera.jpg", &whole(&jpeg), false).unwrap();
        assert_eq!(from_pieces.as_ref(), Some(&row));
        assert_eq!(row["models"]["claude-sonnet-4-6"]["tokens"], 1613);
        assert_eq!(row["models"]["claude-opus-4-7"]["usd"], 0.024465);
        assert_eq!(row["problems"][0], "exif-rotated");
        let junk = b"not an image at all".to_vec();
        assert_eq!(report.add_bytes("notes.txt", &junk, true).unwrap(), None);
        let row = report
            .add_bytes("notes.txt", &junk, false)
            .unwrap()
            .unwrap();
        assert_eq!(row["error"]["code"], "not-an-image");
        let gone = report.unreadable("gone.jpg", 10, "NotFoundError").unwrap();
        assert_eq!(gone["error"]["code"], "unreadable");
        let totals = report.totals();
        assert_eq!(totals["files"], 3);
        assert_eq!(totals["errors"], 2);
        assert_eq!(totals["skipped"], 1);
        assert_eq!(report.header()["prices_as_of"], table().as_of());
    }

    #[test]
    fn prepare_fits_and_refuses_with_codes() {
        let options = prepare_options(&Settings::default()).unwrap();
        let mut preparer = Preparer::new();
        let jpeg = example("camera-4032x3024.jpg");
        let (done, facts) = prepare(&mut preparer, &jpeg, &options, Some("camera.jpg")).unwrap();
        assert_eq!(facts["mediaType"], "image/jpeg");
        assert_eq!(facts["bytes"], done.bytes.len());
        assert!(facts["width"].as_u64().unwrap() <= 1568);
        let heic = example("phone-64x48.heic");
        let e = prepare(&mut preparer, &heic, &options, Some("phone.heic")).unwrap_err();
        assert_eq!(e.code, "unsupported-format");
        assert_eq!(e.path.as_deref(), Some("phone.heic"));
        let bad = settings(Some(r#"{"quality":0}"#)).unwrap();
        assert_eq!(prepare_options(&bad).unwrap_err().code, "invalid-options");
        let file = settings(Some(r#"{"prices":"/etc/prices.toml"}"#)).unwrap_err();
        assert!(file.message.contains("pricesToml"), "{}", file.message);
    }

    #[test]
    fn tiles_are_offered_as_the_cli_offers_them() {
        let scan = example("scan-a4-2480x3508.webp");
        let opts = settings(Some(r#"{"tiles":"always","minScale":0.75}"#)).unwrap();
        let options = prepare_options(&opts).unwrap();
        let mut preparer = Preparer::new();
        let parts = prepare_tiles(&mut preparer, &scan, &options, None).unwrap();
        assert!(parts.len() >= 2, "{} parts", parts.len());
        for (i, (done, facts)) in parts.iter().enumerate() {
            assert_eq!(facts["tile"]["index"], i);
            assert_eq!(facts["tile"]["count"], parts.len());
            let label = facts["tile"]["label"].as_str().unwrap();
            assert!(
                label.starts_with(&format!("Image 1, part {} of", i + 1)),
                "{label}"
            );
            assert_eq!(facts["bytes"], done.bytes.len());
        }
        let e = prepare(&mut preparer, &scan, &options, None).unwrap_err();
        assert!(e.message.contains("prepareTiles"), "{}", e.message);
        let whole = prepare_options(&Settings::default()).unwrap();
        let one = prepare_tiles(&mut preparer, &scan, &whole, None).unwrap();
        assert_eq!(one.len(), 1);
        assert!(one[0].1["tile"].is_null());
    }

    /// A valid value of each setting, by its JavaScript name.
    fn sample(js: &str) -> &'static str {
        match js {
            "models" => r#"["claude-opus-4-7"]"#,
            "tier" | "pricePerMtok" => "null",
            "pricesToml" => r#""""#,
            "profile" => r#""api""#,
            "tokenRule" => r#""patch28""#,
            "quality" => "70",
            "filter" => r#""mitchell""#,
            "outputFormat" => r#""png""#,
            "background" => "[0, 0, 0]",
            "tokenBudget" => "500",
            "tiles" => r#""always""#,
            "minScale" => "0.75",
            "tileOverlap" => "32",
            "cache" => r#""read""#,
            "promptTokens" => "1000",
            _ => "true",
        }
    }

    #[test]
    fn every_setting_of_the_parity_table_is_an_option() {
        for row in SPELLINGS {
            match row.js {
                Some(js) => {
                    let text = format!("{{\"{js}\": {}}}", sample(js));
                    let s = settings(Some(&text)).unwrap_or_else(|e| panic!("{js}: {}", e.message));
                    let given: Value = serde_json::from_str(sample(js)).unwrap();
                    let set = &serde_json::to_value(&s).unwrap()[row.name];
                    if !given.is_null() && row.name != "min_scale" {
                        assert_eq!(set, &given, "{js}");
                    }
                }
                None => {
                    let text = format!("{{\"{}\": \"x\"}}", row.name);
                    let e = settings(Some(&text)).unwrap_err();
                    assert_eq!(e.code, "invalid-options");
                    assert!(e.message.contains(row.note), "{}", e.message);
                }
            }
        }
        let later = settings(Some(
            r#"{"model":"later-1","tier":"standard","pricePerMtok":4}"#,
        ));
        let run = later.unwrap().resolve().unwrap();
        assert_eq!(run.model().id, "later-1");
    }

    #[test]
    fn requests_pack_and_check() {
        let options = prepare_options(&Settings::default()).unwrap();
        let mut preparer = Preparer::new();
        let png = example("chart-1092x1092.png");
        let (done, _) = prepare(&mut preparer, &png, &options, None).unwrap();
        let image = RequestImage::Bytes(
            done.media_type.as_str().into(),
            done.bytes.clone(),
            Some(done.output_size),
        );
        let args = RequestArgs {
            prompt: "What is in this chart?".into(),
            ..RequestArgs::default()
        };
        let bodies = build_requests(
            vec![image, RequestImage::Url("https://x/y.png".into())],
            &args,
        )
        .unwrap();
        assert_eq!(bodies.as_array().map(Vec::len), Some(1));
        let text = serde_json::to_vec(&bodies[0]).unwrap();
        let report = check(text, &CheckArgs::default()).unwrap();
        assert_eq!(report["passes"], true, "{report}");
        let e = check(b"{not json".to_vec(), &CheckArgs::default()).unwrap_err();
        assert_eq!(e.code, "not-a-request");
        let e = build_requests(vec![], &RequestArgs::default()).unwrap_err();
        assert_eq!(e.code, "invalid-options");
        assert!(e.message.starts_with("prompt: required"), "{}", e.message);
        let zero = RequestArgs {
            prompt: "x".into(),
            max_tokens: Some(0),
            ..RequestArgs::default()
        };
        let e = build_requests(vec![], &zero).unwrap_err();
        assert_eq!(e.message, "maxTokens: must be at least 1");
    }

    #[test]
    fn a_colour_is_read_as_text_or_channels_and_models_say_what_to_give() {
        let text = settings(Some(r##"{"background": "#ff8000"}"##)).unwrap();
        let channels = settings(Some(r#"{"background": [255, 128, 0]}"#)).unwrap();
        assert_eq!(text.background, channels.background);
        let e = settings(Some(r#"{"background": "mauve"}"#)).unwrap_err();
        assert!(e.message.contains("mauve"), "{}", e.message);
        let e = plan(
            10,
            10,
            &settings(Some(r#"{"model": "claude-vision-9"}"#)).unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.code, "unknown-model");
        assert!(e.message.contains("pricePerMtok: USD"), "{}", e.message);
    }

    #[test]
    fn an_image_given_without_its_size_is_measured() {
        let wide = example("screenshot-2560x1440.png");
        let args = RequestArgs {
            prompt: "Compare them.".into(),
            ..RequestArgs::default()
        };
        let images = |size: Option<Size>| {
            (0..21)
                .map(|_| RequestImage::Bytes("image/png".into(), wide.clone(), size))
                .collect::<Vec<_>>()
        };
        let measured = build_requests(images(None), &args).unwrap();
        let told = build_requests(images(Some(Size::new(2560, 1440))), &args).unwrap();
        let count = |v: &Value| v.as_array().map_or(0, Vec::len);
        assert!(
            measured == told,
            "packed differently: {} bodies measured, {} told",
            count(&measured),
            count(&told)
        );
        // Past 20 images the 2000 px rule holds: 21 images 2560 px wide never share a body.
        let bodies = measured.as_array().unwrap();
        assert!(bodies.len() >= 2, "{} bodies", bodies.len());
        let e = build_requests(
            vec![RequestImage::Bytes(
                "image/png".into(),
                b"not an image".to_vec(),
                None,
            )],
            &args,
        )
        .unwrap_err();
        assert_eq!(e.code, "not-an-image", "{}", e.message);
    }

    #[test]
    fn outputs_are_named_as_the_cli_names_them() {
        let names = ["A.PNG", "a.gif", "a.png", "dir/b.jpeg"].map(String::from);
        let types = ["image/png", "image/png", "image/png", "image/jpeg"].map(String::from);
        assert_eq!(
            output_names(&names, &types).unwrap(),
            ["A.png", "a-gif.png", "a-png.png", "dir/b.jpg"]
        );
        let e = output_names(&names[..1], &types).unwrap_err();
        assert_eq!(e.code, "invalid-options");
        let e = output_names(&names[..1], &["image/heic".to_owned()]).unwrap_err();
        assert_eq!(e.code, "invalid-options");
    }

    #[test]
    fn models_are_listed() {
        assert_eq!(models()["as_of"], table().as_of());
    }
}
