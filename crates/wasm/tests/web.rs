//! The bindings themselves, in headless Chromium (`wasm-bindgen-test-runner` with Debian's
//! chromedriver): JS values in, JS values and exceptions out. Run by `.ci/run`:
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver \
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=target/tools/bin/wasm-bindgen-test-runner \
//! cargo test -p visionprep-wasm --target wasm32-unknown-unknown --test web --features browser-tests
//! ```
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use js_sys::{Array, JSON, Reflect, Uint8Array};
use visionprep_wasm::{CostReport, FileParts, Preparer, build_requests, check, plan, probe};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CHART: &[u8] = include_bytes!("../../../examples/images/chart-1092x1092.png");
const CAMERA: &[u8] = include_bytes!("../../../examples/images/camera-4032x3024.jpg");
const HEIC: &[u8] = include_bytes!("../../../examples/images/phone-64x48.heic");

fn obj(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap()
}

fn code(e: &JsValue) -> String {
    assert!(e.is_instance_of::<js_sys::Error>());
    assert_eq!(
        get(e, "name").as_string().as_deref(),
        Some("VisionprepError")
    );
    get(e, "code").as_string().unwrap()
}

#[wasm_bindgen_test]
fn plan_takes_camel_case_options_and_refuses_unknown_ones() {
    let p = plan(4032, 3024, obj(r#"{"model":"claude-opus-4-7"}"#)).unwrap();
    assert_eq!(num(&p, "targetWidth"), 2212.0);
    assert_eq!(num(&p, "tokens"), 4893.0);
    let p = plan(4032, 3024, JsValue::UNDEFINED).unwrap();
    assert!(get(&p, "model").as_string().is_some());
    let e = plan(10, 10, obj(r#"{"tokenrule":"x"}"#)).unwrap_err();
    assert_eq!(code(&e), "invalid-options");
    let e = plan(10, 10, JsValue::from_str("claude")).unwrap_err();
    assert_eq!(code(&e), "invalid-options");
    let e = plan(10, 10, obj(r#"{"model":"claude-nope"}"#)).unwrap_err();
    assert_eq!(code(&e), "unknown-model");
}

#[wasm_bindgen_test]
fn parts_ask_for_the_bytes_they_lack() {
    let mut parts = FileParts::new(CAMERA.len() as f64).unwrap();
    parts.add(0.0, &CAMERA[..32]).unwrap();
    let mut report = CostReport::new(obj(r#"{"models":["claude-sonnet-4-6"]}"#)).unwrap();
    let row = loop {
        match report.add("camera.jpg", &parts, false) {
            Ok(row) => break row,
            Err(e) => {
                assert_eq!(code(&e), "need-bytes");
                let need = get(&e, "need");
                let (at, len) = (num(&need, "offset") as usize, num(&need, "length") as usize);
                parts.add(at as f64, &CAMERA[at..at + len]).unwrap();
            }
        }
    };
    assert_eq!(num(&row, "width"), 3024.0);
    let models = get(&row, "models");
    assert_eq!(num(&get(&models, "claude-sonnet-4-6"), "tokens"), 1613.0);
    assert!(parts.held() < CAMERA.len() as f64);
    let totals = report.totals().unwrap();
    assert_eq!(num(&totals, "images"), 1.0);
    assert!(FileParts::new(-1.0).is_err());
    assert!(FileParts::new(0.5).is_err());
}

#[wasm_bindgen_test]
fn probe_and_prepare_return_objects_and_bytes() {
    let p = probe(CHART, None).unwrap();
    assert_eq!(
        get(&p, "mediaType").as_string().as_deref(),
        Some("image/png")
    );
    let e = probe(b"hello", None).unwrap_err();
    assert_eq!(code(&e), "not-an-image");
    let mut preparer = Preparer::new(JsValue::UNDEFINED).unwrap();
    let out = preparer.prepare(CAMERA, Some("camera.jpg".into())).unwrap();
    let data = get(&out, "data").dyn_into::<Uint8Array>().unwrap();
    assert_eq!(data.length() as f64, num(&out, "bytes"));
    assert_eq!(&data.to_vec()[..3], &[0xFF, 0xD8, 0xFF]);
    assert!(num(&out, "width") <= 1568.0 && num(&out, "height") <= 1568.0);
    let e = preparer
        .prepare(HEIC, Some("phone.heic".into()))
        .unwrap_err();
    assert_eq!(code(&e), "unsupported-format");
    assert_eq!(get(&e, "path").as_string().as_deref(), Some("phone.heic"));
    assert!(Preparer::new(obj(r#"{"quality":0}"#)).is_err());
}

#[wasm_bindgen_test]
fn requests_are_built_and_checked() {
    let mut preparer = Preparer::new(JsValue::UNDEFINED).unwrap();
    let out = preparer.prepare(CHART, None).unwrap();
    let images = Array::of2(&out, &obj(r#"{"url":"https://example.invalid/a.png"}"#));
    let bodies = build_requests(images, obj(r#"{"prompt":"What is this?"}"#)).unwrap();
    let bodies: Array = bodies.dyn_into().unwrap();
    assert_eq!(bodies.length(), 1);
    let report = check(bodies.get(0), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&report, "passes").as_bool(), Some(true));
    let text = JSON::stringify(&bodies.get(0)).unwrap();
    let report = check(text.into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&report, "passes").as_bool(), Some(true));
    let e = check(JsValue::from_str("{oops"), JsValue::UNDEFINED).unwrap_err();
    assert_eq!(code(&e), "not-a-request");
    let e = build_requests(Array::of1(&JsValue::from(3)), obj(r#"{"prompt":"x"}"#)).unwrap_err();
    assert_eq!(code(&e), "invalid-options");
}
