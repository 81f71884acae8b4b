//! Agent session files: `check` finds exactly the planted faults by line, entry and path;
//! `repair` rewrites exactly those lines, and nothing else, byte for byte.

#[path = "support/session.rs"]
mod fixture;

use fixture::{Expected, MODEL, claude_code_session};
use std::collections::BTreeSet;
use visionprep::request::{
    ChangeKind, CheckOptions, InputFormat, LinesInput, RepairOptions, RepairTarget, check_lines,
    repair_file,
};

fn errors_of(report: &visionprep::request::CheckReport) -> Vec<Expected> {
    let mut found: Vec<Expected> = report
        .errors()
        .map(|f| Expected {
            line: f.line.unwrap(),
            uuid: f.uuid.clone().unwrap_or_default(),
            path: f.path.clone(),
            code: f.code.as_str(),
        })
        .collect();
    found.sort();
    found
}

fn lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|b| *b == b'\n').collect()
}

#[test]
fn check_finds_the_planted_faults_by_line_entry_and_path() {
    let session = claude_code_session();
    assert!(session.text.lines().count() >= 300);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.jsonl");
    std::fs::write(&file, &session.text).unwrap();
    let report = check_lines(
        LinesInput::Path(&file),
        InputFormat::Auto,
        &CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(report.kind, "claude-code-session");
    assert_eq!(errors_of(&report), session.expected);
    let request = &report.requests[0];
    assert_eq!(
        request.model, MODEL,
        "the synthetic assistant entry is not a model"
    );
    // 25 large screenshots, 5 small, 3 planted; the rewound branch's one is not re-sent.
    assert_eq!(request.images, 33);
    // The rewound branch's 2400x1300 screenshot: found and inspected (the API would shrink
    // it), but not over the 2000 px rule, which counts only what is sent together.
    let off_chain: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| session.off_chain.contains(&f.line.unwrap_or(0)))
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(off_chain, vec!["downsized"], "{:?}", report.findings);
    // The same bytes checked in memory, and told as a session explicitly: the same report.
    let in_memory = check_lines(
        LinesInput::Bytes(session.text.as_bytes()),
        InputFormat::ClaudeCodeSession,
        &CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(in_memory, report);
    // Read as bare messages, the entries are not messages: every line says so.
    let wrong = check_lines(
        LinesInput::Bytes(session.text.as_bytes()),
        InputFormat::MessagesJsonl,
        &CheckOptions::default(),
    );
    assert!(wrong.is_err(), "{wrong:?}");
}

#[test]
fn repair_rewrites_only_the_lines_it_names() {
    let session = claude_code_session();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("session.jsonl");
    std::fs::write(&input, &session.text).unwrap();
    let out = dir.path().join("fixed.jsonl");
    let done = repair_file(
        &input,
        &RepairTarget::File(out.clone()),
        InputFormat::Auto,
        &RepairOptions::default(),
    )
    .unwrap();
    let unreadable: Vec<&Expected> = session
        .expected
        .iter()
        .filter(|e| e.code == "not-an-image")
        .collect();
    let fixable: BTreeSet<usize> = session
        .expected
        .iter()
        .filter(|e| e.code != "not-an-image")
        .map(|e| e.line)
        .collect();
    assert_eq!(
        done.repair
            .lines_changed
            .iter()
            .copied()
            .collect::<BTreeSet<_>>(),
        fixable
    );
    for change in &done.repair.changes {
        let planted = session
            .expected
            .iter()
            .find(|e| e.line == change.line.unwrap())
            .unwrap();
        assert_eq!(change.uuid.as_deref(), Some(planted.uuid.as_str()));
        assert_eq!(change.path, planted.path);
        let kind = match planted.code {
            "media-type-mismatch" => ChangeKind::Relabelled,
            "not-an-image" => ChangeKind::Unrepaired,
            _ => ChangeKind::Prepared,
        };
        assert_eq!(change.kind, kind, "{change:?}");
        if kind == ChangeKind::Prepared {
            assert!(change.bytes_after < change.bytes_before, "{change:?}");
        }
    }
    // Every other line is the same bytes; the changed ones parse and keep their envelope.
    let before = session.text.as_bytes();
    let after = std::fs::read(&out).unwrap();
    let (a, b) = (lines(before), lines(&after));
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if !fixable.contains(&(i + 1)) {
            assert_eq!(x, y, "line {} changed", i + 1);
            continue;
        }
        assert_ne!(x, y);
        let mut old: serde_json::Value = serde_json::from_slice(x).unwrap();
        let mut new: serde_json::Value = serde_json::from_slice(y).unwrap();
        for key in ["uuid", "parentUuid", "sessionId", "timestamp"] {
            assert_eq!(old[key], new[key], "line {}: {key}", i + 1);
        }
        old["message"] = serde_json::Value::Null;
        new["message"] = serde_json::Value::Null;
        assert_eq!(old, new, "line {}: only the message changes", i + 1);
        assert!(y.ends_with(b"\n"));
    }
    // What is left is the one image nothing can read.
    let left = errors_of(&done.after);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(&&left[0], &unreadable[0]);

    // Dropping it, in place: the original is kept as a backup, and the session passes.
    let options = RepairOptions {
        drop_unreadable: true,
        ..RepairOptions::default()
    };
    let done = repair_file(&out, &RepairTarget::InPlace, InputFormat::Auto, &options).unwrap();
    assert!(
        done.after.passes(),
        "{:?}",
        done.after.errors().collect::<Vec<_>>()
    );
    assert_eq!(done.repair.lines_changed, vec![unreadable[0].line]);
    let backup = done.backup.unwrap();
    assert_eq!(std::fs::read(&backup).unwrap(), after);
    let dropped = std::fs::read_to_string(&out).unwrap();
    let line = dropped.lines().nth(unreadable[0].line - 1).unwrap();
    assert!(line.contains("visionprep removed an image"), "{line}");
    // Nothing left to do: in place writes nothing and keeps no second backup.
    let again = repair_file(&out, &RepairTarget::InPlace, InputFormat::Auto, &options).unwrap();
    assert!(!again.repair.changed());
    assert_eq!(again.written, None);
    assert!(!backup.with_extension("bak.2").exists());
}

#[test]
fn repair_keeps_every_other_byte_crlf_and_bom_included() {
    let jpeg = fixture::b64(&fixture::jpeg(300, 300));
    let entry = |id: &str, parent: &str, message: &str| {
        format!(
            r#"{{"parentUuid":{parent},"type":"user","message":{message},"uuid":"{id}","sessionId":"s"}}"#
        )
    };
    let shot = format!(
        r#"{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{jpeg}"}}}}]}}]}}"#
    );
    let first =
        "\u{feff}{\"type\":\"summary\",\"summary\":\"caf\\u00e9 \u{e9}\",\"leafUuid\":\"b\"}";
    let text = format!(
        "{first}\r\n{}\r\n\r\n{}\r\n{}",
        entry("a", "null", r#"{"role":"user","content":"look"}"#),
        entry("b", "\"a\"", &shot),
        entry("c", "\"b\"", r#"{"role":"user","content":"and?"}"#),
    );
    let mut out = Vec::new();
    let r = visionprep::request::repair_lines(
        LinesInput::Bytes(text.as_bytes()),
        InputFormat::Auto,
        &RepairOptions::default(),
        &mut out,
    )
    .unwrap();
    assert_eq!(r.lines_changed, vec![4]);
    assert_eq!(r.changes[0].uuid.as_deref(), Some("b"));
    let out = String::from_utf8(out).unwrap();
    let (a, b): (Vec<&str>, Vec<&str>) =
        (text.split("\r\n").collect(), out.split("\r\n").collect());
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if i == 3 {
            let relabelled = x.replace(
                "\"media_type\":\"image/png\"",
                "\"media_type\":\"image/jpeg\"",
            );
            assert_eq!(*y, relabelled);
        } else {
            assert_eq!(x, y);
        }
    }
    let again = check_lines(
        LinesInput::Bytes(out.as_bytes()),
        InputFormat::Auto,
        &CheckOptions::default(),
    )
    .unwrap();
    assert!(again.passes());
}
