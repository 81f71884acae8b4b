//! `visionprep proxy` as a process: the address on its first line, the status endpoint, a
//! clean stop on SIGTERM with the totals, a refusal of a non-loopback address.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A raw HTTP/1.1 GET, the whole answer as text.
fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn proxy_prints_its_address_answers_status_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("proxy.jsonl");
    let mut child = Command::new(binary())
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:9",
        ])
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{first}"
    );
    let status = get(&addr, "/visionprep/status");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(status.contains("\"requests\":0"), "{status}");
    // Nothing listens upstream: the API's error shape, naming the proxy.
    let models = get(&addr, "/v1/models");
    assert!(models.starts_with("HTTP/1.1 502"), "{models}");
    assert!(models.contains("visionprep proxy"), "{models}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let totals: Value = serde_json::from_str(rest.trim()).unwrap();
    assert_eq!(
        (
            totals["requests"].as_u64(),
            totals["upstream_errors"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(
        lines.lines().last().unwrap().contains("\"summary\""),
        "{lines}"
    );
}

#[test]
fn proxy_refuses_a_remote_address_without_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let o = visionprep(&["proxy", "--listen", "0.0.0.0:0"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-remote"));
}
