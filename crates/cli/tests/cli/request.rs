//! `visionprep request`: bodies ready to send, written as they fill, conversations continued.

use super::*;

#[test]
fn request_writes_bodies_ready_to_send() {
    let dir = prepared_folder();
    let text = succeeds(
        &[
            "request",
            "in/sub",
            "in/big.png",
            "--prompt",
            "Compare them.",
            "-o",
            "bodies",
        ],
        dir.path(),
    );
    assert!(text.contains("1 body, 2 new images"), "{text}");
    let body: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bodies/request-001.json")).unwrap())
            .unwrap();
    // The default model: the newest active standard-tier Sonnet in the model data.
    assert_eq!(body["model"], "claude-sonnet-4-6");
    assert_eq!(body["max_tokens"], 1024);
    let content = body["messages"][0]["content"].as_array().unwrap();
    let kinds: Vec<&str> = content
        .iter()
        .map(|b| {
            if b["type"] == "image" {
                "image"
            } else {
                b["text"].as_str().unwrap()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        ["Image 1:", "image", "Image 2:", "image", "Compare them."]
    );
    assert_eq!(content[1]["source"]["type"], "base64");
    assert_eq!(content[1]["source"]["media_type"], "image/jpeg");
    assert_eq!(content[3]["source"]["media_type"], "image/png");

    // A later turn: the first body as history, a file, a URL and a file id.
    let text = succeeds(
        &[
            "request",
            "in/big.png",
            "--url",
            "https://example.com/plan.png",
            "--file-id",
            "file_011CNha8iCJcU1wXNR6q4V8w",
            "--history",
            "bodies/request-001.json",
            "--prompt",
            "And these?",
            "-o",
            "bodies2",
        ],
        dir.path(),
    );
    assert!(text.contains("1 body, 3 new images"), "{text}");
    assert!(
        text.contains("the 2 images of earlier turns, 2 images by URL or file id"),
        "{text}"
    );
    let later: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("bodies2/request-001.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(later["messages"][0], body["messages"][0]);
    let turn = later["messages"][1]["content"].as_array().unwrap();
    let labels: Vec<&str> = turn.iter().filter_map(|b| b["text"].as_str()).collect();
    assert_eq!(labels, ["Image 3:", "Image 4:", "Image 5:", "And these?"]);
    assert_eq!(
        turn[3]["source"],
        serde_json::json!({"type": "url", "url": "https://example.com/plan.png"})
    );
    assert_eq!(
        turn[5]["source"]["file_id"],
        "file_011CNha8iCJcU1wXNR6q4V8w"
    );
    let bad_history = visionprep(
        &[
            "request",
            "--url",
            "https://x/y.png",
            "--history",
            "in/big.png",
            "--prompt",
            "x",
            "--dry-run",
        ],
        dir.path(),
    );
    assert_eq!(bad_history.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_history.stderr).contains("not a Messages API request body")
    );

    // A dry run writes nothing; a failing file is named and the exit status says so.
    let dry = visionprep(&["request", "in", "--prompt", "x", "--dry-run"], dir.path());
    assert_eq!(dry.status.code(), Some(1), "empty.png fails");
    assert!(String::from_utf8_lossy(&dry.stderr).contains("empty.png"));
    assert!(stdout(&dry).contains("dry run"));
    assert!(!dir.path().join("request-001.json").exists());
    let missing_out = visionprep(&["request", "in", "--prompt", "x"], dir.path());
    assert_eq!(
        missing_out.status.code(),
        Some(2),
        "-o is required unless --dry-run"
    );
}

#[test]
fn request_writes_each_body_as_it_fills() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    for i in 0..45 {
        write_image(
            &dir.path().join(format!("in/{i:02}.png")),
            300 + i,
            200,
            image::ImageFormat::Png,
        );
    }
    let text = succeeds(
        &[
            "request",
            "in",
            "--prompt",
            "Which is widest?",
            "--profile",
            "claude-ai",
            "-o",
            "b",
        ],
        dir.path(),
    );
    assert!(text.contains("3 bodies, 45 new images"), "{text}");
    let mut seen = Vec::new();
    for (n, expect) in [(1, 20), (2, 20), (3, 5)] {
        let body: Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("b/request-{n:03}.json"))).unwrap(),
        )
        .unwrap();
        let content = body["messages"][0]["content"].as_array().unwrap();
        let images: Vec<&Value> = content.iter().filter(|b| b["type"] == "image").collect();
        assert_eq!(images.len(), expect, "body {n}");
        seen.extend(
            images
                .iter()
                .map(|b| b["source"]["data"].as_str().unwrap().len()),
        );
    }
    assert_eq!(seen.len(), 45, "every image once");
}

#[test]
fn request_continues_an_agent_conversation() {
    let dir = prepared_folder();
    let p = dir.path();
    let history = body_fixture("thinking.json");
    std::fs::write(p.join("history.json"), &history).unwrap();
    let text = succeeds(
        &[
            "request",
            "in/small.jpg",
            "--history",
            "history.json",
            "--prompt",
            "And this chart?",
            "-o",
            "next",
        ],
        p,
    );
    assert!(text.contains("1 body, 1 new images"), "{text}");
    let earlier: Value = serde_json::from_str(&history).unwrap();
    let body: Value =
        serde_json::from_slice(&std::fs::read(p.join("next/request-001.json")).unwrap()).unwrap();
    // Every earlier turn, tool calls and thinking included, and the tools they need.
    assert_eq!(
        body["messages"].as_array().unwrap()[..3],
        earlier["messages"].as_array().unwrap()[..]
    );
    assert_eq!(body["tools"], earlier["tools"]);
    assert_eq!(body["thinking"], earlier["thinking"]);
    assert_eq!(body["tool_choice"], earlier["tool_choice"]);
    assert_eq!(body["messages"][3]["content"][0]["type"], "image");
    succeeds(&["check", "next/request-001.json"], p);
}
