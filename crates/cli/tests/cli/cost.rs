//! `visionprep cost`: reports, models and prices, walks, hostile names and files.

use super::*;

#[test]
fn json_report_of_a_mixed_folder() {
    let dir = mixed_folder();
    let v = json(
        &["cost", ".", "--format", "json", "-m", "sonnet-4.6"],
        dir.path(),
        1,
    );
    assert_eq!(v["token_rule"], "area750");
    assert_eq!(v["prices_as_of"], "2026-11-30");
    assert_eq!(v["model_status"]["claude-sonnet-4-6"]["status"], "active");
    let files = v["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    // Sorted by name inside folders, hidden files and non-images left out.
    assert_eq!(
        paths,
        [
            "./a-1920x1080.png",
            "./cut.jpg",
            "./empty.png",
            "./sub/b-200x200.jpg",
            "./sub/c-1000x1000.gif",
            "./wrong-ext.jpg"
        ]
    );
    let a = &files[0];
    assert_eq!(a["media_type"], "image/png");
    assert_eq!(
        (a["width"].as_u64(), a["height"].as_u64()),
        (Some(1920), Some(1080))
    );
    let m = &a["models"]["claude-sonnet-4-6"];
    assert_eq!(m["tier"], "standard");
    assert_eq!(m["resized"], true);
    assert_eq!(
        (m["target_width"].as_u64(), m["target_height"].as_u64()),
        (Some(1456), Some(819))
    );
    assert_eq!(m["tokens"], 1590); // ceil(1456 * 819 / 750)
    assert_eq!(m["usd"].as_f64(), Some(0.00477));
    assert_eq!(a["error"], Value::Null);
    assert_eq!(files[1]["error"]["code"], "truncated");
    assert_eq!(files[1]["media_type"], "image/jpeg");
    assert_eq!(files[2]["error"]["code"], "empty");
    let b = &files[3];
    assert_eq!(b["models"]["claude-sonnet-4-6"]["tokens"], 54);
    assert_eq!(
        b["models"]["claude-sonnet-4-6"]["usd"].as_f64(),
        Some(0.000162)
    );
    assert_eq!(files[4]["models"]["claude-sonnet-4-6"]["tokens"], 1334);
    assert_eq!(files[5]["media_type"], "image/png");
    assert_eq!(
        files[5]["problems"],
        serde_json::json!(["extension-mismatch"])
    );
    let t = &v["totals"];
    assert_eq!(
        (
            t["files"].as_u64(),
            t["images"].as_u64(),
            t["errors"].as_u64()
        ),
        (Some(6), Some(4), Some(2))
    );
    assert_eq!(t["skipped"], 1, "notes.txt");
    let tokens = 1590 + 54 + 1334 + 120; // 300x300 -> ceil(90000/750) = 120
    assert_eq!(t["models"]["claude-sonnet-4-6"]["tokens"], tokens);
    let usd = t["models"]["claude-sonnet-4-6"]["usd"].as_f64().unwrap();
    assert!((usd - tokens as f64 * 3e-6).abs() < 1e-12, "{usd}");
    let per_1000 = t["models"]["claude-sonnet-4-6"]["usd_per_1000_images"]
        .as_f64()
        .unwrap();
    assert!((per_1000 - usd * 1000.0 / 4.0).abs() < 1e-9);
}

#[test]
fn several_models_give_several_columns() {
    let dir = mixed_folder();
    let args = [
        "cost",
        "a-1920x1080.png",
        "-m",
        "claude-sonnet-4-5",
        "-m",
        "claude-opus-4-7",
        "--format",
    ];
    let out = visionprep(&[&args[..], &["csv"]].concat(), dir.path());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(
        header.contains(&"claude-sonnet-4-5:tokens") && header.contains(&"claude-opus-4-7:tokens")
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row.len(), header.len());
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("claude-sonnet-4-5:target_width"), "1456");
    assert_eq!(
        col("claude-opus-4-7:resized"),
        "false",
        "the high tier keeps 1920x1080"
    );
    assert_eq!(col("claude-opus-4-7:tokens"), "2765"); // ceil(1920 * 1080 / 750)
    assert_eq!(col("claude-opus-4-7:usd"), "0.013825");
    assert_eq!(lines.next(), None);

    let out = visionprep(&[&args[..], &["table"]].concat(), dir.path());
    let text = stdout(&out);
    assert!(
        text.contains("claude-sonnet-4-5") && text.contains("claude-opus-4-7"),
        "{text}"
    );
    assert!(text.contains("1456x819") && text.contains("kept"), "{text}");
    assert!(text.contains("1 files, 1 images, 0 errors"), "{text}");
}

#[test]
fn table_names_errors_and_problems() {
    let dir = mixed_folder();
    let out = visionprep(&["cost", "."], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("./cut.jpg  error truncated:"), "{text}");
    assert!(text.contains("./empty.png  error empty:"), "{text}");
    assert!(text.contains("[extension-mismatch]"), "{text}");
    assert!(
        text.contains("6 files, 4 images, 2 errors, 1 non-images skipped"),
        "{text}"
    );
}

#[test]
fn named_files_are_always_reported() {
    let dir = mixed_folder();
    let v = json(
        &["cost", "notes.txt", "missing.png", "--format", "json"],
        dir.path(),
        1,
    );
    assert_eq!(v["files"][0]["error"]["code"], "not-an-image");
    assert_eq!(v["files"][0]["error"]["message"], "not an image (text)");
    assert_eq!(v["files"][1]["error"]["code"], "unreadable");
    let v = json(
        &["cost", ".hidden.png", "--hidden", "--format", "json"],
        dir.path(),
        1,
    );
    assert_eq!(v["files"][0]["error"]["code"], "not-an-image");
}

#[test]
fn hidden_files_only_on_request() {
    let dir = mixed_folder();
    let v = json(
        &["cost", ".", "--hidden", "--format", "json"],
        dir.path(),
        1,
    );
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"./.hidden.png"), "{paths:?}");
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let dir = mixed_folder();
    let one = visionprep(&["cost", ".", "--format", "json", "-j", "1"], dir.path());
    let four = visionprep(&["cost", ".", "--format", "json", "-j", "4"], dir.path());
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionprep(
        &["plan", "100", "100", "-m", "claude-sonet-4-5"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean claude-sonnet-4-5"), "{err}");
    assert_eq!(visionprep(&["cost"], dir.path()).status.code(), Some(2));
    assert_eq!(
        visionprep(&["plan", "a", "b"], dir.path()).status.code(),
        Some(2)
    );
    // No image has a side of 0 pixels.
    let out = visionprep(&["plan", "0", "100"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
    assert_eq!(
        visionprep(&["cost", ".", "--token-rule", "x"], dir.path())
            .status
            .code(),
        Some(2)
    );
    std::fs::write(dir.path().join("bad.toml"), "[[models]]\nid = 3\n").unwrap();
    let out = visionprep(&["plan", "10", "10", "--prices", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn price_files_extend_the_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        "as_of = \"2027-02-01\"\n[[models]]\nid = \"claude-sonnet-6\"\ntier = \"high-resolution\"\ninput = \"1.5\"\n",
    )
    .unwrap();
    let v = json(
        &[
            "plan", "1000", "1000", "-m", "sonnet-6", "--prices", "p.toml", "--json",
        ],
        dir.path(),
        0,
    );
    assert_eq!(
        v["models"]["claude-sonnet-6"]["usd"].as_f64(),
        Some(0.002001)
    );
    let out = visionprep(&["models", "--prices", "p.toml"], dir.path());
    assert!(stdout(&out).contains("claude-sonnet-6") && stdout(&out).contains("2027-02-01"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_fifos_do_not_hang() {
    let dir = mixed_folder();
    std::os::unix::fs::symlink("..", dir.path().join("sub/loop")).unwrap();
    let _ = Command::new("mkfifo")
        .arg(dir.path().join("sub/pipe.png"))
        .status();
    let v = json(&["cost", ".", "--format", "json"], dir.path(), 1);
    let files = v["files"].as_array().unwrap();
    let looped: Vec<&Value> = files
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("loop"))
        .collect();
    assert_eq!(looped.len(), 1, "{files:?}");
    assert_eq!(looped[0]["error"]["code"], "unreadable");
    assert!(
        looped[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("loop")
    );
    // The FIFO is reported, never opened (opening it would block the run).
    let row = |v: &Value, end: &str| -> Value {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(end))
            .cloned()
            .unwrap_or_else(|| panic!("no {end} in {v}"))
    };
    let pipe = row(&v, "pipe.png");
    assert_eq!(pipe["error"]["code"], "unreadable");
    assert!(
        pipe["error"]["message"].as_str().unwrap().contains("FIFO"),
        "{pipe}"
    );
    let named = json(&["cost", "sub/pipe.png", "--format", "json"], dir.path(), 1);
    assert_eq!(row(&named, "pipe.png")["error"]["code"], "unreadable");
    std::fs::remove_file(dir.path().join("sub/loop")).unwrap();
    let prepared = json(
        &["prepare", "sub", "-o", "../out", "--format", "json"],
        dir.path(),
        1,
    );
    assert_eq!(row(&prepared, "pipe.png")["error"]["code"], "unreadable");
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_reported_losslessly() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9 \\ 1.png");
    write_image(
        &dir.path().join("in").join(name),
        300,
        200,
        image::ImageFormat::Png,
    );
    let v = json(&["cost", "in", "--format", "json"], dir.path(), 0);
    let file = &v["files"][0];
    assert_eq!(file["path"], r"in/caf\xE9 \\ 1.png");
    assert_eq!(file["path_escaped"], true);
    let text = file["path"].as_str().unwrap();
    assert_eq!(
        visionprep::core::PathText::unescape(text).unwrap(),
        b"in/caf\xe9 \\ 1.png"
    );
    // A UTF-8 name carries no flag.
    write_image(
        &dir.path().join("in/café.png"),
        300,
        200,
        image::ImageFormat::Png,
    );
    let v = json(&["cost", "in/café.png", "--format", "json"], dir.path(), 0);
    assert!(v["files"][0].get("path_escaped").is_none(), "{v}");
    // prepare writes the output under the same bytes and says so.
    let v = json(
        &[
            "prepare",
            "in",
            "-o",
            "out",
            "--output-format",
            "jpeg",
            "--format",
            "json",
        ],
        dir.path(),
        0,
    );
    let row = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path_escaped"] == true)
        .unwrap();
    assert_eq!(row["output_path_escaped"], true, "{row}");
    let written =
        visionprep::core::PathText::unescape(row["output_path"].as_str().unwrap()).unwrap();
    assert!(
        dir.path()
            .join(std::ffi::OsStr::from_bytes(&written))
            .is_file(),
        "{row}"
    );
}

#[cfg(unix)]
#[test]
#[ignore = "needs a user other than root (root reads mode-000 files); .ci/run runs it as nobody"]
fn unreadable_files_are_errors_and_the_batch_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = mixed_folder();
    let locked = dir.path().join("locked.png");
    write_image(&locked, 300, 200, image::ImageFormat::Png);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert!(
        std::fs::read(&locked).is_err(),
        "running as root, a mode-000 file is still readable: run this test as another user"
    );
    let v = json(&["cost", ".", "--format", "json"], dir.path(), 1);
    let files = v["files"].as_array().unwrap();
    let row = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("locked.png"))
        .unwrap();
    assert_eq!(row["error"]["code"], "unreadable");
    assert!(
        files.iter().any(|f| f["error"].is_null()),
        "the others are reported"
    );
}

#[test]
fn lenient_reads_cut_off_files_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write_image(
        &dir.path().join("full.jpg"),
        2400,
        1600,
        image::ImageFormat::Jpeg,
    );
    let full = std::fs::read(dir.path().join("full.jpg")).unwrap();
    std::fs::write(dir.path().join("cut.jpg"), &full[..full.len() / 2]).unwrap();
    let strict = json(&["cost", "cut.jpg", "--format", "json"], dir.path(), 1);
    assert_eq!(strict["files"][0]["error"]["code"], "truncated");
    let lenient = json(
        &["cost", "cut.jpg", "--lenient", "--format", "json"],
        dir.path(),
        0,
    );
    assert!(lenient["files"][0]["error"].is_null());
    assert_eq!(
        lenient["files"][0]["problems"],
        serde_json::json!(["truncated"])
    );
    let prepared = json(
        &[
            "prepare",
            "cut.jpg",
            "--lenient",
            "-o",
            "out",
            "--format",
            "json",
        ],
        dir.path(),
        0,
    );
    let row = &prepared["files"][0];
    assert_eq!(row["problems"], serde_json::json!(["truncated"]));
    let out = image::open(dir.path().join(row["output_path"].as_str().unwrap())).unwrap();
    assert_eq!((out.width(), out.height()), (1344, 896));
}

/// Model lifecycle (issue 11): a deprecated model warns once per run, not per file, and JSON
/// carries its status; a retired one is refused with its successor named unless
/// --allow-retired; an unknown one can be priced from the command line.
#[test]
fn deprecated_models_warn_once_and_retired_ones_are_refused() {
    let dir = mixed_folder();
    let out = visionprep(
        &["cost", ".", "-m", "claude-sonnet-4-5", "--format", "json"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "two files of the folder are broken"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("deprecated").count(), 1, "{err}");
    assert!(
        err.contains("2026-11-30") && err.contains("claude-sonnet-4-6"),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = &v["model_status"]["claude-sonnet-4-5"];
    assert_eq!(status["status"], "deprecated");
    assert_eq!(status["retires"], "2026-11-30");
    assert_eq!(status["successor"], "claude-sonnet-4-6");

    let out = visionprep(&["plan", "800", "600", "-m", "claude-3-opus"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("retired on 2026-01-05")
            && err.contains("claude-opus-4-8")
            && err.contains("--allow-retired"),
        "{err}"
    );
    let v = json(
        &[
            "plan",
            "800",
            "600",
            "-m",
            "claude-3-opus",
            "--allow-retired",
            "--json",
        ],
        dir.path(),
        0,
    );
    assert_eq!(v["models"]["claude-3-opus"]["tokens"], 640);
    assert_eq!(v["models"]["claude-3-opus"]["usd"].as_f64(), Some(0.0096));
    assert_eq!(v["model_status"]["claude-3-opus"]["status"], "retired");

    // A current model prints nothing on stderr.
    let out = visionprep(
        &["plan", "800", "600", "-m", "claude-fable-5-2"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unknown_models_can_be_priced_on_the_command_line() {
    let dir = mixed_folder();
    let out = visionprep(&["plan", "1920", "1080", "-m", "claude-opus-9"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did you mean") && err.contains("--tier") && err.contains("[[models]]"),
        "{err}"
    );
    // The same numbers as a table entry with the same tier and price (Opus 4.7).
    let custom = json(
        &[
            "cost",
            ".",
            "-m",
            "claude-opus-9",
            "--tier",
            "high-resolution",
            "--price-per-mtok",
            "5",
            "--format",
            "json",
        ],
        dir.path(),
        1,
    );
    let known = json(
        &["cost", ".", "-m", "claude-opus-4-7", "--format", "json"],
        dir.path(),
        1,
    );
    assert_eq!(
        custom["totals"]["models"]["claude-opus-9"],
        known["totals"]["models"]["claude-opus-4-7"]
    );
    for (c, k) in custom["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip(known["files"].as_array().unwrap())
    {
        assert_eq!(c["models"]["claude-opus-9"], k["models"]["claude-opus-4-7"]);
    }
    // A one-entry price file does the same.
    std::fs::write(
        dir.path().join("opus9.toml"),
        "[[models]]\nid = \"claude-opus-9\"\ntier = \"high-resolution\"\ninput = \"5\"\n",
    )
    .unwrap();
    let file = json(
        &[
            "cost",
            ".",
            "-m",
            "opus-9",
            "--prices",
            "opus9.toml",
            "--format",
            "json",
        ],
        dir.path(),
        1,
    );
    assert_eq!(
        file["totals"]["models"]["claude-opus-9"],
        custom["totals"]["models"]["claude-opus-9"]
    );
    // --tier without --price-per-mtok, or with only known models, is a usage error.
    for args in [
        &[
            "plan",
            "10",
            "10",
            "-m",
            "claude-opus-9",
            "--tier",
            "standard",
        ][..],
        &[
            "plan",
            "10",
            "10",
            "-m",
            "claude-opus-4-7",
            "--tier",
            "standard",
            "--price-per-mtok",
            "1",
        ],
        &[
            "plan",
            "10",
            "10",
            "-m",
            "x",
            "--tier",
            "medium",
            "--price-per-mtok",
            "1",
        ],
    ] {
        assert_eq!(
            visionprep(args, dir.path()).status.code(),
            Some(2),
            "{args:?}"
        );
    }
}

/// 200 images of mixed sizes: `cost --budget-usd` finds the largest cap within the budget
/// (one more token per image is over it), and `prepare --token-budget` at that cap spends
/// exactly the predicted total.
#[test]
fn folder_budget_is_the_largest_cap_and_prepare_spends_it() {
    const N: usize = 200;
    use visionprep::core::{Size, SizeSet, TierLimits, TokenRule};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let mut seed = 0x9e37_79b9_u32;
    let mut next = |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed % n
    };
    let mut sizes = Vec::new();
    for i in 0..N {
        let (w, h) = match i % 10 {
            0 => (60 + next(200), 40 + next(200)),
            1 => (150 + next(200), 700 + next(300)),
            _ => (100 + next(800), 100 + next(800)),
        };
        let img = image::GrayImage::from_pixel(w, h, image::Luma([(i % 250) as u8]));
        img.save(input.join(format!("{i:03}.png"))).unwrap();
        sizes.push(Size::new(w, h));
    }
    let set = SizeSet::new(sizes);
    let (tier, rule) = (TierLimits::STANDARD, TokenRule::Area750);
    let uncapped = set.tokens_at(None, tier, rule);
    // $3 per million tokens: 40% of the uncapped total.
    let usd = format!("{:.6}", uncapped as f64 * 0.4 * 3e-6);
    let v = json(
        &["cost", "in", "--budget-usd", &usd, "--format", "json"],
        dir.path(),
        0,
    );
    let b = &v["budget"]["models"]["claude-sonnet-4-6"];
    let cap = b["cap"].as_u64().unwrap();
    let allowed = b["allowed_tokens"].as_u64().unwrap();
    let predicted = b["tokens"].as_u64().unwrap();
    assert_eq!(b["uncapped_tokens"].as_u64(), Some(uncapped));
    assert_eq!(set.tokens_at(Some(cap), tier, rule), predicted);
    assert!(predicted <= allowed);
    assert!(
        set.tokens_at(Some(cap + 1), tier, rule) > allowed,
        "cap + 1 is over"
    );
    assert!(b["met"].as_bool().unwrap());
    let text = succeeds(&["cost", "in", "--budget-usd", &usd], dir.path());
    assert!(text.contains(&format!("--token-budget {cap} ->")), "{text}");
    let v = json(
        &[
            "prepare",
            "in",
            "-o",
            "out",
            "--token-budget",
            &cap.to_string(),
            "--format",
            "json",
            "--no-progress",
        ],
        dir.path(),
        0,
    );
    assert_eq!(v["totals"]["prepared"], N);
    assert_eq!(
        v["totals"]["tokens"].as_u64(),
        Some(predicted),
        "to the token"
    );
    assert_eq!(v["totals"]["tokens_as_is"].as_u64(), Some(uncapped));
    for row in v["files"].as_array().unwrap() {
        assert!(row["output_tokens"].as_u64().unwrap() <= cap);
    }
    // A rerun keeps every output, and the totals still agree.
    let v = json(
        &[
            "prepare",
            "in",
            "-o",
            "out",
            "--token-budget",
            &cap.to_string(),
            "--format",
            "json",
        ],
        dir.path(),
        0,
    );
    assert_eq!(v["totals"]["up_to_date"], N);
    assert_eq!(v["totals"]["tokens"].as_u64(), Some(predicted));
    // A budget too small for 200 px images says so; one no cap can meet says so too.
    let v = json(
        &[
            "cost",
            "in",
            "--total-token-budget",
            "8000",
            "--format",
            "json",
        ],
        dir.path(),
        0,
    );
    assert_eq!(
        v["budget"]["models"]["claude-sonnet-4-6"]["sensible"],
        false
    );
    let text = succeeds(&["cost", "in", "--total-token-budget", "199"], dir.path());
    assert!(text.contains("cannot be met"), "{text}");
}
