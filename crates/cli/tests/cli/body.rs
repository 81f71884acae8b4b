//! `visionprep check` and `visionprep repair` on bodies and agent session files.

use super::*;

#[test]
fn check_and_repair_an_agent_body() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let original = body_fixture("tool-result-screenshot.json");
    std::fs::write(p.join("body.json"), &original).unwrap();
    let out = visionprep(&["check", "body.json"], p);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("body.json: messages.4.content.0.tool_result.content.0.image.source.base64: error over-max-side: 8100x8 is over the 8000 px limit"),
        "{text}"
    );
    assert!(text.contains("tool_result 2"), "{text}");
    let report = json(&["check", "body.json", "--json"], p, 1);
    assert_eq!(report[0]["passes"], false);
    assert_eq!(report[0]["requests"][0]["max_images"], 600);
    assert_eq!(report[0]["findings"][1]["code"], "over-max-side");

    // Never over the input; into another file; then the output passes.
    let refused = visionprep(&["repair", "body.json", "-o", "./body.json"], p);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("never writes over its input"));
    let text = succeeds(&["repair", "body.json", "-o", "fixed.json"], p);
    assert!(text.contains("prepared (over-max-side"), "{text}");
    assert!(text.contains("it passes check"), "{text}");
    assert!(succeeds(&["check", "fixed.json"], p).contains("fixed.json: ok"));
    assert_eq!(
        std::fs::read_to_string(p.join("body.json")).unwrap(),
        original
    );

    // In place, keeping a backup; a second run has nothing to do and keeps it.
    let dry = succeeds(&["repair", "body.json", "--dry-run"], p);
    assert!(dry.contains("dry run: nothing written"), "{dry}");
    succeeds(&["repair", "body.json", "--in-place"], p);
    assert_eq!(
        std::fs::read_to_string(p.join("body.json.bak")).unwrap(),
        original
    );
    assert_eq!(
        std::fs::read(p.join("body.json")).unwrap(),
        std::fs::read(p.join("fixed.json")).unwrap()
    );
    let again = succeeds(&["repair", "body.json", "--in-place"], p);
    assert!(again.contains("0 images repaired"), "{again}");
    assert!(!p.join("body.json.bak.2").exists());

    // An unreadable image: named, exit 1; removed with --drop-unreadable.
    std::fs::write(p.join("m.json"), body_fixture("media-types.json")).unwrap();
    let out = visionprep(&["repair", "m.json", "-o", "m2.json"], p);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("NOT repaired (empty-image)"));
    let text = succeeds(
        &[
            "repair",
            "m.json",
            "-o",
            "m3.json",
            "--drop-unreadable",
            "--json",
        ],
        p,
    );
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["changes"].as_array().unwrap().len(), 4);
    assert_eq!(
        report["after"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .count(),
        0
    );

    // A transcript that is not JSON at all is a clear error.
    std::fs::write(p.join("notes.txt"), "hello\nworld\n").unwrap();
    let out = visionprep(&["check", "notes.txt"], p);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("notes.txt: not-a-request: not JSON"));
}

/// The command line on a Claude Code session file (the example shipped in examples/sessions;
/// the library's tests check a generated session of 300+ entries): findings by line, entry and
/// path; repair in place with a backup.
#[test]
fn check_and_repair_a_claude_code_session() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // Repair in place (on the example session, with an image block holding a YAML file
    // added: the large session's repair is the library's test): the agent's own file, with a
    // backup; the unreadable image is left and said, then dropped when asked.
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sessions/claude-code.jsonl");
    let mut text = std::fs::read_to_string(example).unwrap();
    let last = text.lines().last().unwrap();
    let last: Value = serde_json::from_str(last).unwrap();
    text.push_str(&format!(
        r#"{{"parentUuid":"{}","type":"user","message":{{"role":"user","content":[{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{}"}}}}]}},"uuid":"yaml-1","sessionId":"s"}}"#,
        last["uuid"].as_str().unwrap(),
        visionprep::core::request::base64_encode(b"logo: data:image/png;base64,iVBORw0KGgo\n")
    ));
    text.push('\n');
    std::fs::write(p.join("s.jsonl"), &text).unwrap();
    let out = visionprep(&["repair", "s.jsonl", "--in-place"], p);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = stdout(&out);
    assert!(said.contains("s.jsonl:16: message.content.0.image.source.base64 (entry yaml-1): NOT repaired (not-an-image)"), "{said}");
    assert!(said.contains("relabelled (media-type-mismatch)"), "{said}");
    assert!(said.contains("2 images repaired on 2 lines"), "{said}");
    assert!(said.contains("the original kept as s.jsonl.bak"), "{said}");
    assert_eq!(
        std::fs::read_to_string(p.join("s.jsonl.bak")).unwrap(),
        text
    );
    let said = succeeds(&["repair", "s.jsonl", "--in-place", "--drop-unreadable"], p);
    assert!(said.contains("removed (not-an-image)"), "{said}");
    assert!(p.join("s.jsonl.bak.2").exists());
    assert!(succeeds(&["check", "s.jsonl"], p).contains("s.jsonl: ok"));
    // Checked before: each finding by line, entry and path; JSON too; told as bare messages,
    // the entries are not a request.
    std::fs::write(p.join("before.jsonl"), &text).unwrap();
    let out = visionprep(&["check", "before.jsonl"], p);
    assert_eq!(out.status.code(), Some(1));
    let said = stdout(&out);
    assert!(
        said.contains("before.jsonl:13: message.content.0.tool_result.content.0.image.source.base64 (entry 8e81973e-0bec-47b0-b898-d190f9ebdacc): error over-max-side: 8200x60 is over the 8000 px limit"),
        "{said}"
    );
    assert!(said.contains("before.jsonl: claude-code-session (line 2) for claude-sonnet-4-6: 14 messages, 7 images"), "{said}");
    assert_eq!(said.matches(": error ").count(), 3, "{said}");
    let report = json(&["check", "before.jsonl", "--format", "json"], p, 1);
    assert_eq!(report[0]["kind"], "claude-code-session");
    assert_eq!(
        report[0]["findings"][0]["uuid"],
        "90c192cf-d3ac-44af-8f21-ddb66cad4a26"
    );
    let wrong = visionprep(
        &["check", "before.jsonl", "--input-format", "messages-jsonl"],
        p,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stdout(&wrong).contains("not-a-request"),
        "{}",
        stdout(&wrong)
    );
}
