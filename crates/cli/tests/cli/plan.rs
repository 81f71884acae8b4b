//! `visionprep plan` and `visionprep models`.

use super::*;

#[test]
fn plan_answers_for_a_size() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(
        &[
            "plan",
            "3840",
            "2160",
            "-m",
            "opus-4.7",
            "-m",
            "sonnet-4.5",
            "--json",
        ],
        dir.path(),
        0,
    );
    assert!(v.get("path").is_none() && v.get("bytes").is_none());
    let opus = &v["models"]["claude-opus-4-7"];
    assert_eq!(
        (
            opus["target_width"].as_u64(),
            opus["target_height"].as_u64()
        ),
        (Some(2576), Some(1449))
    );
    assert_eq!(opus["tier"], "high-resolution");
    let out = visionprep(
        &["plan", "200", "200", "--token-rule", "patch28"],
        dir.path(),
    );
    let text = stdout(&out);
    assert!(text.contains("64 tokens"), "{text}");
    assert!(text.contains("kept as is"), "{text}");
    let v = json(&["plan", "9000", "100", "--json"], dir.path(), 0);
    assert_eq!(
        v["problems"],
        serde_json::json!(["over-max-side", "under-200px"])
    );
}

#[test]
fn models_lists_lifecycles_context_windows_and_platform_ids() {
    let dir = tempfile::tempdir().unwrap();
    let text = succeeds(&["models"], dir.path());
    for needle in [
        "claude-fable-5-2",
        "claude-mythos-5-2",
        "deprecated, retires 2026-11-30 (use claude-sonnet-4-6)",
        "retired 2026-06-30",
        "active (default)",
        "vertex: claude-sonnet-4-5@20250929",
        "1M",
        "200k",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let v: Value = serde_json::from_str(&succeeds(&["models", "--json"], dir.path())).unwrap();
    assert_eq!(v["default_model"], "claude-sonnet-4-6");
    let fable = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "claude-fable-5-2")
        .unwrap();
    assert_eq!(fable["context_window"], 1_000_000);
    assert_eq!(fable["images_per_request"], 600);
    assert_eq!(fable["status"], "active");
    assert_eq!(fable["tier"], "high-resolution");
}

#[test]
fn plan_with_a_token_budget_and_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(
        &["plan", "4032", "3024", "--token-budget", "800", "--json"],
        dir.path(),
        0,
    );
    let b = &v["models"]["claude-sonnet-4-6"]["budget"];
    assert_eq!(
        (
            b["width"].as_u64(),
            b["height"].as_u64(),
            b["tokens"].as_u64()
        ),
        (Some(894), Some(670), Some(799))
    );
    assert_eq!(v["models"]["claude-sonnet-4-6"]["tokens"], 1613);
    let text = succeeds(
        &["plan", "4032", "3024", "--token-budget", "800"],
        dir.path(),
    );
    assert!(
        text.contains("at the 800 token budget: 894x670, 799 tokens"),
        "{text}"
    );
    let v = json(
        &["plan", "1170", "8000", "--tiles", "always", "--json"],
        dir.path(),
        0,
    );
    let t = &v["models"]["claude-sonnet-4-6"]["tiles"];
    assert_eq!(
        (t["columns"].as_u64(), t["rows"].as_u64()),
        (Some(1), Some(3))
    );
    assert!(t["tokens"].as_u64() > v["models"]["claude-sonnet-4-6"]["tokens"].as_u64());
    // A budget and tiles contradict each other; a budget of 0 is no budget.
    for args in [
        &["plan", "10", "10", "--token-budget", "5", "--tiles", "auto"][..],
        &["plan", "10", "10", "--token-budget", "0"],
        &["plan", "10", "10", "--min-scale", "1.5"],
        &[
            "cost",
            ".",
            "--budget-usd",
            "1",
            "--total-token-budget",
            "5",
        ],
        &["batch", ".", "--prompt", "x", "-o", "b", "--tiles", "auto"],
    ] {
        let out = visionprep(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
