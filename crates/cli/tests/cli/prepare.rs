//! `visionprep prepare`: output trees, resume, killed runs, a full disk, tiles.

use super::*;

#[test]
fn prepare_mirrors_the_tree_and_resumes() {
    let dir = prepared_folder();
    let v = json(
        &["prepare", "in", "-o", "out", "--format", "json"],
        dir.path(),
        1,
    );
    let out = dir.path().join("out");
    assert_eq!(
        files_under(&out),
        [
            ".visionprep-manifest.json",
            "a-png.png",
            "a.png",
            "big.png",
            "small.jpg",
            "sub/photo.jpg"
        ],
        "no temporary files left, no output lost to a name clash"
    );
    for name in files_under(&out).iter().filter(|n| !n.starts_with('.')) {
        let img = image::open(out.join(name)).unwrap();
        let size = visionprep::core::Size::new(img.width(), img.height());
        assert!(
            visionprep::core::fits(size, visionprep::core::TierLimits::STANDARD),
            "{name}"
        );
    }
    let files = v["files"].as_array().unwrap();
    let by_path = |p: &str| files.iter().find(|f| f["path"] == p).unwrap().clone();
    let big = by_path("in/big.png");
    assert_eq!(big["output_path"], "out/big.png");
    assert_eq!(
        (big["output_width"].as_u64(), big["output_height"].as_u64()),
        (Some(1456), Some(819))
    );
    assert_eq!(big["output_media_type"], "image/png");
    assert!(
        big["actions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("resized"))
    );
    let small = by_path("in/small.jpg");
    assert_eq!(small["actions"], serde_json::json!(["kept"]));
    let kept = std::fs::read(out.join("small.jpg")).unwrap();
    assert_eq!(
        kept,
        std::fs::read(dir.path().join("in/small.jpg")).unwrap(),
        "byte for byte"
    );
    assert_eq!(by_path("in/empty.png")["error"]["code"], "empty");
    let t = &v["totals"];
    assert_eq!(
        (
            t["files"].as_u64(),
            t["prepared"].as_u64(),
            t["errors"].as_u64()
        ),
        (Some(6), Some(5), Some(1))
    );

    // A rerun keeps what is there; --force redoes it.
    let again = json(
        &["prepare", "in", "-o", "out", "--format", "json"],
        dir.path(),
        1,
    );
    assert_eq!(again["totals"]["up_to_date"], 5);
    assert_eq!(again["totals"]["prepared"], 0);
    let forced = json(
        &["prepare", "in", "-o", "out", "--format", "json", "--force"],
        dir.path(),
        1,
    );
    assert_eq!(forced["totals"]["prepared"], 5);
    assert_eq!(files_under(&out).len(), 6, "five outputs and the manifest");
}

/// Issue 9, bug 1: `a.gif` and `a.png` in one folder. A rerun reports each input against its
/// own output (not both against the GIF's), orphans nothing, and counts every byte once.
#[test]
fn reruns_keep_each_inputs_own_name_and_exact_totals() {
    let dir = prepared_folder();
    let first = json(
        &["prepare", "in", "-o", "out", "--format", "json"],
        dir.path(),
        1,
    );
    let again = json(
        &["prepare", "in", "-o", "out", "--format", "json"],
        dir.path(),
        1,
    );
    let outputs = |v: &Value| -> Vec<(String, String)> {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["error"].is_null())
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_owned(),
                    f["output_path"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(outputs(&first), outputs(&again));
    let by_input: std::collections::HashMap<_, _> = outputs(&again).into_iter().collect();
    assert_eq!(by_input["in/a.gif"], "out/a.png");
    assert_eq!(by_input["in/a.png"], "out/a-png.png");
    assert_eq!(again["totals"]["bytes_out"], first["totals"]["bytes_out"]);
    assert_eq!(again["totals"]["tokens"], first["totals"]["tokens"]);
    assert_eq!(again["totals"]["orphaned"], 0);
    let on_disk: u64 = files_under(&dir.path().join("out"))
        .iter()
        .filter(|n| !n.starts_with('.'))
        .map(|n| {
            std::fs::metadata(dir.path().join("out").join(n))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(again["totals"]["bytes_out"].as_u64(), Some(on_disk));
}

/// Issue 9, bug 2: a rerun with options that change the outputs redoes exactly the affected
/// outputs and says why; options that do not (another model on the same tier) keep them.
#[test]
fn reruns_redo_outputs_made_with_other_options() {
    let dir = prepared_folder();
    json(
        &["prepare", "in", "-o", "out", "--format", "json"],
        dir.path(),
        1,
    );
    // Same tier (standard), same outputs: kept.
    let same = json(
        &[
            "prepare",
            "in",
            "-o",
            "out",
            "-m",
            "claude-haiku-4-5",
            "--format",
            "json",
        ],
        dir.path(),
        1,
    );
    assert_eq!(same["totals"]["up_to_date"], 5);
    let reasons = |v: &Value| -> Vec<String> {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["actions"].as_array())
            .flat_map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .filter(|x| x.starts_with("stale"))
                    .map(str::to_owned)
            })
            .collect()
    };
    let high = json(
        &[
            "prepare",
            "in",
            "-o",
            "out",
            "-m",
            "claude-opus-4-7",
            "--format",
            "json",
        ],
        dir.path(),
        1,
    );
    assert_eq!(high["totals"]["prepared"], 5);
    assert_eq!(reasons(&high), vec!["stale: tier changed".to_owned(); 5]);
    let big = high["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "in/big.png")
        .unwrap();
    assert_eq!(
        big["output_width"], 2560,
        "the high-resolution tier keeps 2560x1440"
    );
    let args = [
        "prepare",
        "in",
        "-o",
        "out",
        "-m",
        "claude-opus-4-7",
        "--output-format",
        "jpeg",
        "--format",
        "json",
    ];
    let jpeg = json(&args, dir.path(), 1);
    assert_eq!(jpeg["totals"]["prepared"], 5);
    assert_eq!(
        reasons(&jpeg),
        vec!["stale: output format changed".to_owned(); 5]
    );
    // The superseded PNG outputs are gone; each input has one output.
    let names = files_under(&dir.path().join("out"));
    assert_eq!(
        names,
        [
            ".visionprep-manifest.json",
            "a-png.jpg",
            "a.jpg",
            "big.jpg",
            "small.jpg",
            "sub/photo.jpg"
        ]
    );
    // An input that is gone leaves an orphan, removed only with --prune.
    std::fs::remove_file(dir.path().join("in/big.png")).unwrap();
    let orphaned = json(&args, dir.path(), 1);
    assert_eq!(orphaned["totals"]["orphaned"], 1);
    assert!(dir.path().join("out/big.jpg").exists());
    let pruned = json(&[&args[..], &["--prune"]].concat(), dir.path(), 1);
    assert_eq!(pruned["totals"]["orphaned"], 0);
    assert!(!dir.path().join("out/big.jpg").exists());
}

#[test]
fn prepare_refuses_an_output_inside_an_input() {
    let dir = prepared_folder();
    let out = visionprep(&["prepare", "in", "-o", "in/prepared"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlaps"));
    assert!(!dir.path().join("in/prepared").exists(), "nothing created");
    let out = visionprep(&["prepare", "in/sub", "-o", "in"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn prepare_options_reach_the_pipeline() {
    let dir = prepared_folder();
    let v = json(
        &[
            "prepare",
            "in/big.png",
            "-o",
            "out",
            "--output-format",
            "jpeg",
            "-m",
            "opus-4.7",
            "--format",
            "json",
        ],
        dir.path(),
        0,
    );
    let f = &v["files"][0];
    assert_eq!(f["output_media_type"], "image/jpeg");
    assert_eq!(f["output_path"], "out/big.jpg");
    assert_eq!(
        f["output_width"], 2560,
        "the high-resolution tier keeps 2560x1440"
    );
    let bad = visionprep(
        &["prepare", "in", "-o", "out", "--quality", "0"],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    let bad = visionprep(
        &["prepare", "in", "-o", "out", "--background", "mauve"],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn a_killed_run_leaves_no_partial_output_and_the_next_run_completes_it() {
    const N: usize = 10;
    // Over the standard tier's 1568 px, so each is decoded, resized and encoded again.
    let dir = photo_folder(N, 1800, 1200);
    // The reference: one uninterrupted run.
    succeeds(&["prepare", "in", "-o", "whole", "-j", "1"], dir.path());
    let whole = contents(&dir.path().join("whole"));
    assert_eq!(whole.len(), N);
    // A temporary file of a process that is gone (no pid is that large) is cleaned up; one of
    // a live process (this one) is left alone.
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    let dead = dir.path().join("out/.visionprep-4294967295-abc.tmp");
    let live = dir
        .path()
        .join(format!("out/.visionprep-{}-abc.tmp", std::process::id()));
    std::fs::write(&dead, b"partial").unwrap();
    std::fs::write(&live, b"in progress").unwrap();

    // Kill the run once a few outputs are in place (polling), and check what it left.
    let outputs = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        contents(dir)
            .into_iter()
            .filter(|(name, _)| !name.contains(".visionprep-"))
            .collect()
    };
    let mut child = Command::new(binary())
        .args(["prepare", "in", "-o", "out", "-j", "2"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while outputs(&dir.path().join("out")).len() < 3 {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("no output appeared within 120 s");
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended before it could be killed: {status:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let done = outputs(&dir.path().join("out"));
    assert!(
        status.code().is_none(),
        "killed, not finished: {status:?}, {} outputs",
        done.len()
    );
    assert!(done.len() < N, "killed before the end");
    // Whatever was renamed into place is a whole output, byte for byte the reference's.
    for (name, bytes) in &done {
        let want = whole.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(&want.1, bytes, "{name} is whole");
    }
    eprintln!("killed with {} of {N} outputs in place", done.len());
    // The next run resumes: all outputs, equal to the uninterrupted run, no temporary left
    // but the live process's.
    succeeds(&["prepare", "in", "-o", "out", "-j", "2"], dir.path());
    assert!(!dead.exists(), "a dead run's temporary is removed");
    assert!(live.exists(), "a live run's temporary is kept");
    std::fs::remove_file(&live).unwrap();
    assert_eq!(contents(&dir.path().join("out")), whole);
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs root to mount a small tmpfs; .ci/run runs it"]
fn a_full_disk_stops_the_batch_with_a_report() {
    let dir = photo_folder(12, 2400, 1600);
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    // 600 KiB: room for a few outputs (about 150-250 KB each), not for twelve.
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=600k", "tmpfs"])
        .arg(&mnt)
        .output();
    assert!(
        mounted.is_ok_and(|o| o.status.success()),
        "cannot mount a small tmpfs here: this test needs root"
    );
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&mnt);
    let out = visionprep(
        &[
            "prepare",
            "in",
            "-o",
            "small/out",
            "-j",
            "1",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("disk is full"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files = v["files"].as_array().unwrap();
    let (ok, failed): (Vec<&Value>, Vec<&Value>) = files.iter().partition(|f| f["error"].is_null());
    assert!(!ok.is_empty() && ok.len() < 12, "{} written", ok.len());
    assert_eq!(failed.len(), 1, "the batch stops at the first full write");
    assert_eq!(failed[0]["error"]["code"], "io");
    assert_eq!(v["totals"]["prepared"], ok.len());
    // What the report lists is on disk, whole; nothing else is (no temporary files).
    let written = contents(&mnt.join("out"));
    assert_eq!(
        written.len(),
        ok.len(),
        "{:?}",
        written.iter().map(|w| &w.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &written {
        assert!(image::load_from_memory(bytes).is_ok(), "{name}");
    }
}

#[test]
fn tiles_are_written_named_labelled_and_superseded() {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/images");
    let scan = examples.join("scan-a4-2480x3508.webp");
    let photo = examples.join("camera-4032x3024.jpg");
    let (scan, photo) = (scan.to_str().unwrap(), photo.to_str().unwrap());
    let args = [
        "prepare", scan, photo, "-o", "out", "--tiles", "auto", "--format", "json",
    ];
    let v = json(&args, dir.path(), 0);
    let rows = v["files"].as_array().unwrap();
    let tiles = rows[0]["tiles"].as_array().unwrap();
    let n = tiles.len();
    assert!(n >= 2, "the scan is tiled");
    assert!(rows[1].get("tiles").is_none(), "the photograph is not");
    let mut bottom = 0;
    for (i, t) in tiles.iter().enumerate() {
        let name = format!("scan-a4-2480x3508.tile-{:02}-of-{n:02}.png", i + 1);
        assert!(t["output_path"].as_str().unwrap().ends_with(&name));
        assert!(dir.path().join("out").join(&name).exists());
        let y = t["region"]["y"].as_u64().unwrap();
        assert!(y < bottom + 1 || i == 0, "tiles overlap or touch");
        bottom = y + t["region"]["height"].as_u64().unwrap();
    }
    assert_eq!(bottom, 3508);
    let sum: u64 = tiles
        .iter()
        .map(|t| t["output_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(rows[0]["output_tokens"].as_u64(), Some(sum));
    assert!(rows[0]["whole_tokens"].as_u64().unwrap() < sum);
    // A rerun keeps them; without tiles the image is one output again and the tiles go.
    let v = json(&args, dir.path(), 0);
    assert_eq!(v["totals"]["up_to_date"], 2);
    assert_eq!(
        v["totals"]["tokens"].as_u64(),
        Some(sum + rows[1]["output_tokens"].as_u64().unwrap())
    );
    let v = json(
        &["prepare", scan, "-o", "out", "--format", "json"],
        dir.path(),
        0,
    );
    assert_eq!(
        v["files"][0]["actions"].as_array().unwrap().last().unwrap(),
        "stale: tiling changed"
    );
    let left: Vec<String> = files_under(&dir.path().join("out"))
        .into_iter()
        .filter(|f| f.contains("tile-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // request: the tiles go in order, labelled with the rows they show, in one body.
    let out = succeeds(
        &[
            "request", scan, photo, "--tiles", "auto", "--prompt", "Read it.", "-o", "req",
        ],
        dir.path(),
    );
    assert!(out.contains("1 body"), "{out}");
    let body: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("req/request-001.json")).unwrap())
            .unwrap();
    let texts: Vec<&str> = body["messages"][0]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(
        texts[0].starts_with(&format!("Image 1, part 1 of {n}: rows 0-")),
        "{texts:?}"
    );
    assert!(
        texts[n - 1].starts_with(&format!("Image 1, part {n} of {n}: rows ")),
        "{texts:?}"
    );
    assert!(texts[n - 1].ends_with("-3508"), "{texts:?}");
    assert_eq!(texts[n], "Image 2:");
    assert_eq!(texts[n + 1], "Read it.");
}
