//! Whole Messages bodies and agent transcripts: read as they are, checked with the API's JSON
//! paths, repaired image by image with every other byte kept.

use crate::make;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::ops::Range;
use visionprep::core::body::{Body, MediaKind, Scan};
use visionprep::core::json;
use visionprep::core::request::{MessagesRequest, base64_encode};
use visionprep::core::{PriceTable, Profile, Size};
use visionprep::request::{
    ChangeKind, CheckOptions, CheckReport, Document, PackImage, PackOptions, RepairOptions,
    RepairReport, Severity, check_document, pack, repair_document,
};

fn fixture(name: &str) -> String {
    let path = make::fixture_dir().join("bodies").join(name);
    std::fs::read_to_string(path).unwrap()
}

fn check_text(text: &str, options: &CheckOptions) -> CheckReport {
    check_document(&Document::from_text(text.to_owned()).unwrap(), options)
}

fn errors(report: &CheckReport) -> Vec<(String, &'static str)> {
    report
        .errors()
        .map(|f| (f.path.clone(), f.code.as_str()))
        .collect()
}

fn repair_text(text: &str, options: &RepairOptions) -> RepairReport {
    repair_document(&Document::from_text(text.to_owned()).unwrap(), options)
}

fn dropping() -> RepairOptions {
    RepairOptions {
        drop_unreadable: true,
        ..RepairOptions::default()
    }
}

/// Every image block of a body or a JSON Lines transcript: (line, source path, block span).
fn image_blocks(text: &str) -> Vec<(Option<usize>, String, Range<usize>)> {
    let mut out = Vec::new();
    let mut add = |line: Option<usize>, scan: &Scan<'_>| {
        for m in scan.media.iter().filter(|m| m.kind == MediaKind::Image) {
            out.push((line, m.source_path(text), m.block.span()));
        }
    };
    if let Ok(root) = json::parse(text) {
        if let Ok(body) = Body::read(text, &root) {
            add(None, &body.scan(text));
        }
        return out;
    }
    let mut at = 0;
    let mut messages = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let range = at..at + line.len();
        at += line.len();
        let Ok(value) = json::parse_range(text, range) else {
            continue;
        };
        let mut scan = Scan::default();
        if let Ok(body) = Body::read(text, &value) {
            body.scan_into(text, 0, &mut scan);
        } else {
            scan.add_message(text, &value, messages, 0);
            messages += 1;
        }
        add(Some(n + 1), &scan);
    }
    out
}

/// The length of the JSON object at the start of `text`.
fn object_len(text: &str) -> usize {
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    for (i, b) in text.bytes().enumerate() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => depth += 1,
            (false, _, b'}' | b']') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    panic!("no JSON object at {}", &text[..text.len().min(80)]);
}

/// Asserts that `output` is `input` with exactly the image blocks named by the report's
/// changes replaced (each by one JSON object), every other byte as it was.
fn assert_only_changed_blocks_differ(input: &str, output: &str, report: &RepairReport) {
    let blocks = image_blocks(input);
    let mut spans: Vec<Range<usize>> = report
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Unrepaired)
        .map(|c| {
            blocks
                .iter()
                .find(|(line, path, _)| *line == c.line && *path == c.path)
                .unwrap_or_else(|| panic!("no block at {:?} {}", c.line, c.path))
                .2
                .clone()
        })
        .collect();
    spans.sort_by_key(|s| s.start);
    let (mut at_in, mut at_out) = (0, 0);
    for span in &spans {
        let same = &input[at_in..span.start];
        assert!(
            output[at_out..].starts_with(same),
            "bytes before {span:?} changed"
        );
        at_out += same.len();
        let len = object_len(&output[at_out..]);
        let block = &output[at_out..at_out + len];
        assert!(
            json::parse(block).is_ok_and(|v| v.is_object()),
            "a replaced block is one JSON object: {block}"
        );
        at_out += len;
        at_in = span.end;
    }
    assert_eq!(&output[at_out..], &input[at_in..]);
}

#[test]
fn every_block_kind_is_read_and_checked_with_the_apis_paths() {
    let options = CheckOptions::default();
    let cases: [(&str, &[(&str, &str)]); 7] = [
        (
            "tool-result-screenshot.json",
            &[(
                "messages.4.content.0.tool_result.content.0.image.source.base64",
                "over-max-side",
            )],
        ),
        (
            "system-blocks-cache.json",
            &[(
                "messages.0.content.0.image.source.base64",
                "media-type-mismatch",
            )],
        ),
        ("documents.json", &[]),
        ("thinking.json", &[]),
        (
            "server-tools.json",
            &[(
                "messages.1.content.3.web_fetch_tool_result.content.web_fetch_result.content.document.source.base64",
                "data-url-prefix",
            )],
        ),
        ("unknown-future.json", &[]),
        (
            "media-types.json",
            &[
                (
                    "messages.0.content.0.image.source.base64",
                    "data-url-prefix",
                ),
                (
                    "messages.0.content.1.image.source.base64",
                    "media-type-mismatch",
                ),
                ("messages.0.content.2.image.source.base64", "empty-image"),
                (
                    "messages.0.content.3.image.source.base64",
                    "unsupported-format",
                ),
            ],
        ),
    ];
    for (name, expected) in cases {
        let report = check_text(&fixture(name), &options);
        let expected: Vec<(String, &str)> =
            expected.iter().map(|(p, c)| (p.to_string(), *c)).collect();
        assert_eq!(errors(&report), expected, "{name}");
        assert_eq!(report.kind, "body");
    }
    // Blocks are counted by type, nested and unknown ones included.
    let report = check_text(&fixture("server-tools.json"), &options);
    let blocks = &report.requests[0].blocks;
    for (kind, n) in [
        ("server_tool_use", 2),
        ("web_search_tool_result", 1),
        ("web_fetch_result", 1),
        ("document", 1),
        ("mcp_tool_result", 1),
        ("search_result", 1),
        ("container_upload", 1),
        ("image", 1),
    ] {
        assert_eq!(blocks.get(kind), Some(&n), "{kind}: {blocks:?}");
    }
    let report = check_text(&fixture("unknown-future.json"), &options);
    assert_eq!(report.requests[0].blocks.get("hologram"), Some(&1));
    assert_eq!(report.requests[0].model, "claude-fable-5-2");
    assert_eq!(report.requests[0].max_images, 600);
    // Documents count with images toward the limit: 5 documents and 1 image.
    let report = check_text(&fixture("documents.json"), &options);
    assert_eq!(
        (report.requests[0].images, report.requests[0].documents),
        (1, 5)
    );
    assert_eq!(
        report.requests[0].max_images, 100,
        "sonnet 4.5: 200k tokens"
    );
    // A tool call's input is the model's arguments, never an image.
    let report = check_text(&fixture("thinking.json"), &options);
    assert_eq!(report.requests[0].images, 0);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code.as_str() == "deprecated-model")
    );
}

#[test]
fn repair_rewrites_only_the_images_at_fault() {
    for name in [
        "tool-result-screenshot.json",
        "system-blocks-cache.json",
        "documents.json",
        "thinking.json",
        "unknown-future.json",
        "media-types.json",
    ] {
        let input = fixture(name);
        let report = repair_text(&input, &dropping());
        assert!(report.after.passes(), "{name}: {:?}", errors(&report.after));
        assert_only_changed_blocks_differ(&input, &report.text, &report);
        // Repairing again changes nothing.
        let again = repair_text(&report.text, &dropping());
        assert!(!again.changed(), "{name}: {:?}", again.changes);
        assert_eq!(again.text, report.text);
    }
    // What each image needed.
    let report = repair_text(&fixture("media-types.json"), &dropping());
    let kinds: Vec<(ChangeKind, Vec<&str>)> = report
        .changes
        .iter()
        .map(|c| (c.kind, c.reasons.iter().map(|r| r.as_str()).collect()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ChangeKind::Rewritten, vec!["data-url-prefix"]),
            (ChangeKind::Relabelled, vec!["media-type-mismatch"]),
            (ChangeKind::Removed, vec!["empty-image"]),
            (ChangeKind::Removed, vec!["unsupported-format"]),
        ]
    );
    // The relabelled GIF keeps its bytes.
    let out: Value = serde_json::from_str(&report.text).unwrap();
    let input: Value = serde_json::from_str(&fixture("media-types.json")).unwrap();
    let (a, b) = (
        &input["messages"][0]["content"][1]["source"],
        &out["messages"][0]["content"][1]["source"],
    );
    assert_eq!(a["data"], b["data"]);
    assert_eq!(b["media_type"], "image/gif");
    assert!(
        out["messages"][0]["content"][2]["text"]
            .as_str()
            .unwrap()
            .contains("the image data is empty")
    );
    // Without --drop-unreadable the unreadable images stay, and are named.
    let kept = repair_text(&fixture("media-types.json"), &RepairOptions::default());
    assert!(!kept.after.passes());
    let left: Vec<&str> = kept
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Unrepaired)
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        left,
        [
            "messages.0.content.2.image.source.base64",
            "messages.0.content.3.image.source.base64"
        ]
    );
    // An image with cache_control keeps its breakpoint: only media_type changed.
    let input = fixture("system-blocks-cache.json");
    let report = repair_text(&input, &RepairOptions::default());
    assert_eq!(
        report.text,
        input.replacen(
            "\"media_type\":\"image/jpeg\"",
            "\"media_type\":\"image/png\"",
            1
        )
    );
    // The too-wide screenshot is prepared for the body's model.
    let report = repair_text(&fixture("tool-result-screenshot.json"), &dropping());
    assert_eq!(report.changes.len(), 1);
    assert_eq!(report.changes[0].kind, ChangeKind::Prepared);
    assert!(report.changes[0].detail.starts_with("8100x8 PNG -> 1568x"));
}

fn png_of(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x / 40) as u8 ^ seed, (y / 40) as u8, seed])
    });
    make::encode(img.into(), image::ImageFormat::Png)
}

/// A 60-turn computer-use transcript, one message a line: the assistant asks for a
/// screenshot, the user turn returns it in a tool_result. Five screenshots are broken.
fn agent_transcript() -> (String, Vec<(usize, &'static str)>) {
    let good = base64_encode(&png_of(1280, 800, 1));
    let wide = base64_encode(&png_of(9000, 120, 2));
    let jpeg = base64_encode(&make::jpeg(640, 400, make::JpegKind::Baseline, None));
    // Noise: a PNG of over 5 MiB of base64.
    let mut state = 12345u32;
    let noise = image::RgbImage::from_fn(1200, 1200, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let huge = base64_encode(&make::encode(noise.into(), image::ImageFormat::Png));
    assert!(huge.len() > 5_242_880);
    let mut lines = Vec::new();
    let mut broken = Vec::new();
    for turn in 0..30 {
        let id = format!("toolu_{turn:02}");
        lines.push(json!({"role": "assistant", "content": [
            {"type": "text", "text": format!("Step {turn}: looking at the screen.")},
            {"type": "tool_use", "id": id, "name": "computer", "input": {"action": "screenshot"}}]}));
        let (media_type, data) = match turn {
            4 => {
                broken.push((lines.len(), "over-max-side"));
                ("image/png", wide.clone())
            }
            8 => {
                broken.push((lines.len(), "media-type-mismatch"));
                ("image/png", jpeg.clone())
            }
            11 => {
                broken.push((lines.len(), "data-url-prefix"));
                ("image/png", format!("data:image/png;base64,{good}"))
            }
            13 => {
                broken.push((lines.len(), "over-byte-limit"));
                ("image/png", huge.clone())
            }
            20 => {
                broken.push((lines.len(), "not-an-image"));
                (
                    "image/png",
                    base64_encode(b"Traceback (most recent call last)"),
                )
            }
            _ => ("image/png", good.clone()),
        };
        lines.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": id,
            "content": [{"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}]}]}));
    }
    let text = lines.iter().map(|l| format!("{l}\n")).collect();
    (text, broken)
}

#[test]
fn an_agent_transcript_is_checked_and_repaired_screenshot_by_screenshot() {
    let (input, broken) = agent_transcript();
    let options = CheckOptions {
        model: Some("claude-sonnet-4-6".into()),
        ..CheckOptions::default()
    };
    let report = check_text(&input, &options);
    assert_eq!(report.kind, "transcript");
    assert_eq!(report.requests.len(), 1, "one conversation");
    let request = &report.requests[0];
    assert_eq!((request.messages, request.images), (60, 30));
    assert_eq!(request.blocks["tool_result"], 30);
    let found: Vec<(Option<usize>, String, &str)> = report
        .errors()
        .filter(|f| f.path != "body")
        .map(|f| (f.line, f.path.clone(), f.code.as_str()))
        .collect();
    let expected: Vec<(Option<usize>, String, &str)> = broken
        .iter()
        .map(|&(m, code)| {
            (
                Some(m + 1),
                format!("messages.{m}.content.0.tool_result.content.0.image.source.base64"),
                code,
            )
        })
        .collect();
    assert_eq!(found, expected);
    // 5.6 MB of one screenshot puts the conversation within portable's 20 MB; the body is fine.
    assert!(report.errors().all(|f| f.path != "body"));

    let repair = RepairOptions {
        check: options.clone(),
        drop_unreadable: true,
        ..RepairOptions::default()
    };
    let report = repair_text(&input, &repair);
    let changed: Vec<(Option<usize>, ChangeKind)> =
        report.changes.iter().map(|c| (c.line, c.kind)).collect();
    assert_eq!(
        changed,
        [
            (Some(10), ChangeKind::Prepared),
            (Some(18), ChangeKind::Relabelled),
            (Some(24), ChangeKind::Rewritten),
            (Some(28), ChangeKind::Prepared),
            (Some(42), ChangeKind::Removed),
        ]
    );
    assert!(report.after.passes(), "{:?}", errors(&report.after));
    assert_only_changed_blocks_differ(&input, &report.text, &report);
    let huge = &report.changes[3];
    assert!(huge.bytes_after < 5_242_880 && huge.bytes_before > 5_242_880);
    assert_eq!(report.text.lines().count(), 60);
}

#[test]
fn image_limits_follow_the_models_context_window() {
    let table = PriceTable::builtin();
    let big = table.get("claude-fable-5-2").unwrap();
    let small = table.get("claude-sonnet-4-5").unwrap();
    let images: Vec<PackImage> = (0..150)
        .map(|i| PackImage::base64("image/png", "AAAA", Size::new(100 + i, 100)))
        .collect();
    let bodies = |model: &visionprep::core::ModelPrice| {
        let options = PackOptions::new(&model.id, "?", Profile::Api.limits_for(model));
        pack(&images, &options)
            .unwrap()
            .iter()
            .map(MessagesRequest::media_count)
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies(big), [150]);
    assert_eq!(bodies(small), [100, 50]);
    // check: 101 images are too many for a 200k-token model only.
    let content: Vec<Value> = (0..101)
        .map(|i| json!({"type": "image", "source": {"type": "url", "url": format!("https://x/{i}.png")}}))
        .collect();
    let body = |model: &str| {
        json!({"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": content}]})
            .to_string()
    };
    let codes = |model: &str| -> Vec<&'static str> {
        check_text(&body(model), &CheckOptions::default())
            .errors()
            .map(|f| f.code.as_str())
            .collect()
    };
    assert_eq!(codes("claude-sonnet-4-5"), ["too-many-images"]);
    assert!(codes("claude-fable-5-2").is_empty());
    let report = check_text(&body("claude-sonnet-4-5"), &CheckOptions::default());
    assert!(report.findings[1].message.contains("101 > 100"));
    // claude.ai takes 20 a message whatever the model.
    assert_eq!(Profile::ClaudeAi.limits_for(big).max_images, 20);
    // The body limit is the profile's: 20 MB portable, 32 MB on the API.
    let options = CheckOptions {
        profile: Profile::Api,
        ..CheckOptions::default()
    };
    let padded = json!({"model": "claude-sonnet-4-6", "max_tokens": 1, "messages": [
        {"role": "user", "content": "x".repeat(25_000_000)}]})
    .to_string();
    assert!(check_text(&padded, &options).passes());
    let codes: Vec<&str> = check_text(&padded, &CheckOptions::default())
        .errors()
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(codes, ["request-too-large"]);
}

#[test]
fn a_retired_or_unknown_model_is_said() {
    let body = |model: &str| {
        json!({"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]})
            .to_string()
    };
    let report = check_text(&body("claude-3-opus"), &CheckOptions::default());
    assert_eq!(errors(&report), [("model".to_owned(), "retired-model")]);
    let report = check_text(&body("claude-nova-9"), &CheckOptions::default());
    assert!(report.passes());
    assert_eq!(report.findings[0].code.as_str(), "unknown-model");
    assert_eq!(report.findings[0].severity, Severity::Note);
    assert!(!report.requests[0].model_known);
    assert_eq!(report.requests[0].max_images, 100);
}

/// A tiny PNG, base64.
fn tiny_png() -> String {
    base64_encode(&png_of(8, 6, 3))
}

/// Blocks of every kind, images good and bad among them.
fn any_block(depth: u32) -> BoxedStrategy<Value> {
    let image = prop_oneof![
        Just(
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": tiny_png()}})
        ),
        Just(
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": tiny_png()}})
        ),
        Just(
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": format!("data:image/png;base64,{}", tiny_png())}, "cache_control": {"type": "ephemeral"}})
        ),
        Just(
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "bm90IGFuIGltYWdl"}})
        ),
        Just(
            json!({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}})
        ),
    ];
    let leaf = prop_oneof![
        "[a-z \\\\\"/é😀\n]{0,12}".prop_map(|t| json!({"type": "text", "text": t})),
        image,
        ("[a-z_]{1,10}", "[a-z]{1,5}", any::<i32>()).prop_map(
            |(kind, key, n)| json!({"type": kind, key: n, "nested": {"deep": [n, null, "x"]}})
        ),
        Just(
            json!({"type": "tool_use", "id": "t", "name": "computer", "input": {"action": "screenshot", "image": {"type": "image", "source": {"type": "base64", "data": "!"}}}})
        ),
        Just(json!({"type": "thinking", "thinking": "hm", "signature": "sig"})),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        3 => leaf,
        1 => proptest::collection::vec(any_block(depth - 1), 0..4).prop_map(|content| json!({"type": "tool_result", "tool_use_id": "t", "content": content, "is_error": false})),
    ]
    .boxed()
}

fn any_body() -> impl Strategy<Value = String> {
    let content = prop_oneof![
        4 => proptest::collection::vec(any_block(2), 1..4).prop_map(Value::from),
        1 => "[a-z é\"]{1,8}".prop_map(Value::from),
    ];
    let message = (any::<bool>(), content, any::<bool>()).prop_map(|(user, content, extra)| {
        let mut m = json!({"role": if user { "user" } else { "assistant" }, "content": content});
        if extra {
            m["future_field"] = json!({"kept": [1.50, "as written"]});
        }
        m
    });
    (
        proptest::collection::vec(message, 1..5),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(messages, pretty, tools)| {
            let mut body =
                json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": messages});
            if tools {
                body["tools"] = json!([{"name": "computer", "input_schema": {"type": "object"}}]);
                body["system"] =
                    json!([{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}]);
            }
            if pretty {
                serde_json::to_string_pretty(&body).unwrap()
            } else {
                body.to_string()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The typed request model reads any body and writes the same JSON value back.
    #[test]
    fn the_request_model_round_trips_any_body(text in any_body()) {
        let body: MessagesRequest = serde_json::from_str(&text).unwrap();
        let again: Value = serde_json::from_str(&serde_json::to_string(&body).unwrap()).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(again, original);
    }

    /// Repair leaves a body the API accepts, changing nothing but the images at fault.
    #[test]
    fn repair_changes_only_images_and_leaves_a_body_that_passes(text in any_body()) {
        let report = repair_text(&text, &dropping());
        prop_assert!(report.after.passes(), "{:?}", errors(&report.after));
        assert_only_changed_blocks_differ(&text, &report.text, &report);
        let before = image_blocks(&text).len();
        let removed = report.changes.iter().filter(|c| c.kind == ChangeKind::Removed).count();
        prop_assert_eq!(image_blocks(&report.text).len(), before - removed);
    }
}
