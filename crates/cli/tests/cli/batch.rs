//! `visionprep batch` and `visionprep batch-results`.

use super::*;

#[test]
fn batch_writes_files_a_rerun_reuses_and_results_join() {
    let dir = photo_folder(5, 900, 600);
    let p = dir.path();
    std::fs::write(p.join("in/broken.png"), b"\x89PNG\r\n\x1a\n cut").unwrap();
    let args = [
        "batch",
        "in",
        "--prompt",
        "Describe it.",
        "--per-request",
        "2",
        "-o",
        "out",
        "--format",
        "json",
    ];
    let out = visionprep(&args, p);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.png"));
    let summary: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (summary["requests"].as_u64(), summary["images"].as_u64()),
        (Some(3), Some(5))
    );
    let files = p.join("out");
    let text = std::fs::read_to_string(files.join("batch-001.jsonl")).unwrap();
    let mut ids = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["custom_id"].as_str().unwrap().to_owned();
        assert!(
            id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
        let content = &v["params"]["messages"][0]["content"];
        assert_eq!(
            content.as_array().unwrap().last().unwrap()["text"],
            "Describe it."
        );
        ids.push(id);
    }
    assert_eq!(ids.len(), 3);
    // The same run again: every request copied, the file the same bytes.
    let again: Value = serde_json::from_str(&stdout(&visionprep(&args, p))).unwrap();
    assert_eq!(again["reused"].as_u64(), Some(3));
    assert_eq!(
        std::fs::read_to_string(files.join("batch-001.jsonl")).unwrap(),
        text
    );
    // Results: two succeeded, one errored; a result whose id the map does not know.
    let mut results = String::new();
    for (i, id) in ids.iter().enumerate() {
        let result = if i == 1 {
            r#"{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}"#.to_owned()
        } else {
            r#"{"type":"succeeded","message":{"model":"claude-sonnet-4-6","usage":{"input_tokens":5000,"output_tokens":10}}}"#.to_owned()
        };
        results.push_str(&format!("{{\"custom_id\":\"{id}\",\"result\":{result}}}\n"));
    }
    std::fs::write(p.join("results.jsonl"), &results).unwrap();
    let report = visionprep(&["batch-results", "results.jsonl", "--map", "out"], p);
    assert_eq!(report.status.code(), Some(1));
    let said = stdout(&report);
    assert!(said.contains("requests: 1 errored, 2 succeeded"), "{said}");
    assert!(
        said.contains("billed input tokens 10,000 ($0.015000 at the batch price)"),
        "{said}"
    );
    assert!(said.contains(&format!("{}  errored", ids[1])), "{said}");
    // A template that cannot make valid ids is a usage error.
    let bad = visionprep(
        &[
            "batch",
            "in",
            "--prompt",
            "x",
            "-o",
            "o2",
            "--custom-id",
            "a b",
        ],
        p,
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn batch_and_request_refuse_what_the_api_would() {
    let dir = tempfile::tempdir().unwrap();
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/images");
    let images = images.to_str().unwrap();
    for (args, says) in [
        (
            vec![
                "batch", images, "--prompt", "x", "-o", "out", "--tiles", "auto",
            ],
            "--tiles: a batch sends each image whole",
        ),
        (
            vec!["request", images, "--prompt", "", "--dry-run"],
            "--prompt: required",
        ),
    ] {
        let out = visionprep(&args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing written");
}
