//! A session file of 1 GB, mostly text as an agent's long sessions are, with screenshots
//! among the lines: `repair` streams it, holding memory to the largest line and a batch, not
//! the file. One test in its own binary, so the peak resident size of this process's children
//! is that run's alone. It writes 2 GB, so it runs in CI only (`.ci/run`).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../visionprep/tests/support/session.rs"]
mod session;

use std::io::{BufRead, BufWriter, Write};
use std::process::Command;

const SIZE: u64 = 1 << 30;
const LIMIT_KB: i64 = 200 * 1024;

#[test]
#[ignore = "CI only: writes a 1 GB session and its repaired copy (2 GB of disk)"]
fn a_1_gb_session_is_repaired_in_bounded_memory() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let input = dir.path().join("big.jsonl");
    let shot = session::b64(&session::screenshot(2200, 1240, 1));
    let label = session::b64(&session::screenshot(640, 400, 2));
    let mut w = BufWriter::new(std::fs::File::create(&input).unwrap());
    let filler: String = "The checkout form keeps its two columns down to 1200 px; below that the summary moves under the card fields. "
        .repeat(10);
    let (mut written, mut n, mut images) = (0u64, 0u32, Vec::new());
    let mut parent = "null".to_owned();
    let mut last_shots = 0;
    while written < SIZE || last_shots < 25 {
        n += 1;
        let id = session::uuid(n);
        let image = |media_type: &str, data: &str| {
            format!(
                r#"{{"parentUuid":{parent},"isSidechain":false,"type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_{n}","type":"tool_result","content":[{{"type":"image","source":{{"type":"base64","media_type":"{media_type}","data":"{data}"}}}}]}}]}},"uuid":"{id}","timestamp":"2026-11-30T10:00:00.000Z"}}"#
            )
        };
        let line = if n % 8_000 == 0 && written < SIZE {
            // Long sessions are compacted: each boundary starts the chain sent again.
            format!(
                r#"{{"parentUuid":null,"logicalParentUuid":{parent},"isSidechain":false,"type":"system","subtype":"compact_boundary","content":"Conversation compacted","uuid":"{id}","timestamp":"2026-11-30T10:00:00.000Z"}}"#
            )
        } else if n % 5_000 == 0 && written < SIZE {
            // Mislabelled all along the file: relabelled wherever it is.
            images.push(n as usize);
            image("image/jpeg", &label)
        } else if written >= SIZE && n % 50 == 0 {
            // 25 screenshots over 2000 px at the end, sent together.
            last_shots += 1;
            images.push(n as usize);
            image("image/png", &shot)
        } else if n % 2 == 0 {
            format!(
                r#"{{"parentUuid":{parent},"isSidechain":false,"type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_{n}","type":"tool_result","content":"{n}: {filler}"}}]}},"uuid":"{id}","timestamp":"2026-11-30T10:00:00.000Z"}}"#
            )
        } else {
            format!(
                r#"{{"parentUuid":{parent},"isSidechain":false,"type":"assistant","message":{{"role":"assistant","model":"claude-sonnet-4-6","content":[{{"type":"text","text":"Step {n}. \u00e9 {filler}"}}]}},"uuid":"{id}","timestamp":"2026-11-30T10:00:00.000Z"}}"#
            )
        };
        parent = format!("\"{id}\"");
        w.write_all(line.as_bytes()).unwrap();
        w.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
    }
    w.flush().unwrap();
    drop(w);
    let output = dir.path().join("fixed.jsonl");
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_visionprep"))
        .args([
            "repair",
            "big.jsonl",
            "-o",
            "fixed.jsonl",
            "--format",
            "json",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    let peak_kb = usage.max_rss();
    eprintln!(
        "repaired {} lines ({} MB, {} images changed) in {seconds:.1} s ({:.0} MB/s), peak RSS {} MB",
        n,
        written >> 20,
        images.len(),
        written as f64 / 1e6 / seconds,
        peak_kb / 1024
    );
    assert!(peak_kb < LIMIT_KB, "peak RSS {peak_kb} kB");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changed: Vec<usize> = report["lines_changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(changed, images);
    // Line by line: the same bytes but on the lines repaired.
    let a = std::io::BufReader::new(std::fs::File::open(&input).unwrap());
    let b = std::io::BufReader::new(std::fs::File::open(&output).unwrap());
    let mut count = 0;
    for (i, (x, y)) in a.split(b'\n').zip(b.split(b'\n')).enumerate() {
        let (x, y) = (x.unwrap(), y.unwrap());
        if images.binary_search(&(i + 1)).is_ok() {
            assert!(x != y, "line {} not repaired", i + 1);
        } else {
            assert!(x == y, "line {} changed", i + 1);
        }
        count += 1;
    }
    assert_eq!(count, n as usize);
}
