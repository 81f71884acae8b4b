//! `visionprep count` against a stub of the count_tokens endpoint on 127.0.0.1: never the
//! real API.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// What the stub saw: each request's API key and body.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A stub that answers like the API: 1,000 tokens per image block, 7 per text block, 3 for
/// the message wrapper; a 401 with the API's error JSON for the key `bad`; one 429 with
/// `retry-after: 0` before each answer for the key `busy`; a 400 for a body holding a member
/// the endpoint refuses.
fn stub() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut busy_next = true;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            let mut key = String::new();
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => len = value.trim().parse().unwrap(),
                    "x-api-key" => key = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap();
            log.lock().unwrap().push((key.clone(), body.clone()));
            let (status, extra, answer) = if !request_line.contains("/v1/messages/count_tokens") {
                (
                    404,
                    "",
                    json!({"type": "error", "error": {"type": "not_found_error", "message": "no such path"}}),
                )
            } else if key == "bad" {
                (
                    401,
                    "",
                    json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
                )
            } else if key == "busy" && busy_next {
                busy_next = false;
                (
                    429,
                    "retry-after: 0\r\n",
                    json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}),
                )
            } else if body.get("max_tokens").is_some() || body.get("stream").is_some() {
                (
                    400,
                    "",
                    json!({"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Extra inputs are not permitted"}}),
                )
            } else {
                busy_next = true;
                let text = body.to_string();
                let images = text.matches(r#""type":"image""#).count() as u64;
                let texts = text.matches(r#""type":"text""#).count() as u64;
                (
                    200,
                    "",
                    json!({"input_tokens": 3 + 1000 * images + 7 * texts}),
                )
            };
            let answer = answer.to_string();
            let reason = match status {
                200 => "OK",
                401 => "Unauthorized",
                429 => "Too Many Requests",
                400 => "Bad Request",
                _ => "Not Found",
            };
            write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
        }
    });
    (url, seen)
}

fn visionprep(args: &[&str], dir: &Path, key: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_visionprep"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("ANTHROPIC_BASE_URL");
    match key {
        Some(k) => cmd.env("ANTHROPIC_API_KEY", k),
        None => cmd.env_remove("ANTHROPIC_API_KEY"),
    };
    cmd.output().unwrap()
}

/// A 64x64 PNG, base64.
fn png_base64() -> String {
    visionprep::core::request::base64_encode(&super::encoded(64, 64, image::ImageFormat::Png))
}

fn body_with_images(n: usize) -> Value {
    let image = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png_base64()}});
    let mut content: Vec<Value> = vec![image; n];
    content.push(json!({"type": "text", "text": "What is shown?"}));
    json!({"model": "claude-sonnet-4-6", "max_tokens": 1024, "stream": false, "temperature": 0.2,
           "messages": [{"role": "user", "content": content}]})
}

/// Counts a body of `images` images with the key `key` against a fresh stub; checks it
/// succeeded and returns the JSON rows, what the stub saw, the folder and the stub's address.
fn counted(images: usize, key: &str) -> (Value, Seen, tempfile::TempDir, String) {
    let (url, seen) = stub();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b.json"),
        body_with_images(images).to_string(),
    )
    .unwrap();
    let out = visionprep(
        &["count", "b.json", "--base-url", &url, "--json"],
        dir.path(),
        Some(key),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), seen, dir, url)
}

#[test]
fn counts_beside_the_estimate_and_strips_what_the_endpoint_refuses() {
    let (rows, seen, dir, url) = counted(2, "good");
    let row = &rows[0];
    // 2 images and 1 text: 3 + 2000 + 7; without the images: 3 + 3 stand-ins x 7.
    assert_eq!(row["api_input_tokens"], 2010);
    assert_eq!(row["api_without_images"], 24);
    assert_eq!(row["api_image_tokens"], 1986);
    // 64x64 under area750: ceil(4096 / 750) = 6 tokens each.
    assert_eq!(row["estimated_image_tokens"], 12);
    assert_eq!(row["difference"], 1974);
    assert_eq!(
        row["stripped"],
        json!(["max_tokens", "stream", "temperature"])
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|(k, b)| k == "good" && b.get("max_tokens").is_none())
    );
    assert_eq!(seen[0].1["model"], "claude-sonnet-4-6");
    // The text form says the same.
    drop(seen);
    let out = visionprep(
        &["count", "b.json", "--base-url", &url],
        dir.path(),
        Some("good"),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("the API counts 2,010 input tokens, 24 without its 2 images: images 1986 by the API, 12 estimated, difference +1974"), "{text}");
}

#[test]
fn url_images_are_refused_before_anything_is_sent() {
    let (url, seen) = stub();
    let dir = tempfile::tempdir().unwrap();
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {"type": "text", "text": "?"}]}]});
    std::fs::write(dir.path().join("u.json"), body.to_string()).unwrap();
    let out = visionprep(
        &["count", "u.json", "--base-url", &url],
        dir.path(),
        Some("good"),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("takes base64 images only"), "{text}");
    assert!(
        text.contains("messages.0.content.0.image.source.url"),
        "{text}"
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_429_is_retried_after_its_retry_after() {
    let (rows, seen, _dir, _url) = counted(1, "busy");
    assert_eq!(rows[0]["api_input_tokens"], 1010);
    // Two counts, each refused once first.
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[test]
fn a_401_names_the_key_and_stops() {
    let (url, seen) = stub();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), body_with_images(1).to_string()).unwrap();
    std::fs::write(dir.path().join("b.json"), body_with_images(1).to_string()).unwrap();
    let out = visionprep(
        &["count", "a.json", "b.json", "--base-url", &url],
        dir.path(),
        Some("bad"),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("401 authentication_error: invalid x-api-key (check ANTHROPIC_API_KEY)"),
        "{text}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "stopped after the first refusal"
    );
}

#[test]
fn no_key_no_request() {
    let (url, seen) = stub();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.json"), body_with_images(1).to_string()).unwrap();
    let out = visionprep(&["count", "b.json", "--base-url", &url], dir.path(), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set ANTHROPIC_API_KEY"));
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_transcript_of_messages_is_counted_as_one_conversation() {
    let (url, seen) = stub();
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        json!({"role": "user", "content": "Take a screenshot"}),
        json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "computer", "input": {"action": "screenshot"}}]}),
        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png_base64()}}]}]}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("t.jsonl"), text).unwrap();
    let out = visionprep(
        &[
            "count",
            "t.jsonl",
            "--base-url",
            &url,
            "--json",
            "-m",
            "claude-opus-4-7",
        ],
        dir.path(),
        Some("good"),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].1["model"], "claude-opus-4-7");
    assert_eq!(seen[0].1["messages"].as_array().unwrap().len(), 3);
    assert_eq!(seen[0].1["messages"][2], lines[2]);
}
