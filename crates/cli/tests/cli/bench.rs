//! `visionprep bench`.

use super::*;

#[test]
fn bench_reports_every_stage_thread_count_and_kind() {
    let dir = bench_folder();
    let report = json(
        &[
            "bench",
            ".",
            "--threads",
            "1,2",
            "--repeat",
            "1",
            "--format",
            "json",
        ],
        dir.path(),
        0,
    );
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        skipped.iter().any(|p| p.ends_with("cut-off.jpg")),
        "{skipped:?}"
    );
    let cut = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with("cut-off.jpg"))
        .unwrap();
    assert_eq!(cut["error_code"], "truncated", "{cut}");
    assert_eq!(report["inputs"]["passed_over"], 1, "notes.txt");
    // Every example is measured or named as skipped (HEIC without the heif feature).
    let images = report["inputs"]["images"].as_u64().unwrap();
    assert_eq!(images as usize + skipped.len(), 6, "{report}");
    assert!(images >= 4);
    assert_eq!(report["inputs"]["in_memory"], true);
    let kinds: Vec<&str> = report["inputs"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    for kind in ["baseline JPEG", "PNG", "GIF", "lossy WebP"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| r["threads"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let stage_names = ["probe", "verify", "decode", "resize", "color", "encode"];
    let mut not_run = Vec::new();
    for run in runs {
        let mut counted = 0;
        let sets = run["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .chain([&run["total"]]);
        for set in sets {
            let name = set["kind"].as_str().unwrap();
            assert!(name == "all" || kinds.contains(&name), "{name}");
            if name != "all" {
                counted += set["images"].as_u64().unwrap();
            }
            assert!(set["images_per_second"].as_f64().unwrap() > 0.0, "{set}");
            assert!(set["megapixels_per_second"].as_f64().unwrap() > 0.0);
            assert!(set["prepare"]["median_ms"].as_f64().unwrap() > 0.0);
            assert!(
                set["prepare"]["p90_ms"].as_f64().unwrap()
                    >= set["prepare"]["median_ms"].as_f64().unwrap()
            );
            let stages = set["stages"].as_array().unwrap();
            let names: Vec<&str> = stages
                .iter()
                .map(|s| s["stage"].as_str().unwrap())
                .collect();
            assert_eq!(names, stage_names);
            for s in stages {
                if s["timing"].is_null() {
                    assert_eq!(s["images"], 0, "{s}");
                    assert!(s["not_run"].as_str().unwrap().len() > 10, "{s}");
                    not_run.push((name.to_owned(), s["stage"].as_str().unwrap().to_owned()));
                } else {
                    assert!(s["not_run"].is_null());
                    assert!(s["images"].as_u64().unwrap() >= 1, "{s}");
                    let t = s["timing"]["median_ms"].as_f64().unwrap();
                    // Probe and colour can take well under a microsecond; the others cannot.
                    if ["decode", "resize", "encode", "verify"]
                        .contains(&s["stage"].as_str().unwrap())
                    {
                        assert!(t > 0.0, "{s}");
                    } else {
                        assert!(t >= 0.0, "{s}");
                    }
                }
            }
            // The whole set ran every stage: a photo is resized, a small PNG passes through.
            if name == "all" {
                assert!(stages.iter().all(|s| !s["timing"].is_null()), "{set}");
            }
        }
        assert_eq!(counted, images);
        let efficiency = &run["total"]["scaling_efficiency"];
        assert_eq!(efficiency.is_null(), run["threads"] == 1, "{efficiency}");
    }
    // The 480x360 GIF needs no resize: its set says so.
    assert!(
        not_run.contains(&("GIF".to_owned(), "resize".to_owned())),
        "{not_run:?}"
    );

    // The tables say the same.
    let table = succeeds(
        &["bench", ".", "--threads", "1", "--repeat", "1", "--stages"],
        dir.path(),
    );
    assert!(table.contains("disk is not measured"), "{table}");
    assert!(
        table.contains("skipped ./cut-off.jpg: truncated"),
        "{table}"
    );
    for kind in ["baseline JPEG", "lossy WebP", "all"] {
        assert!(table.contains(kind), "{kind}: {table}");
    }
    assert!(
        table.contains("DECODE") && table.contains("share of time"),
        "{table}"
    );
}

#[test]
fn bench_compare_names_the_tools_it_could_not_run() {
    let dir = tempfile::tempdir().unwrap();
    write_image(
        &dir.path().join("a.png"),
        1800,
        1200,
        image::ImageFormat::Png,
    );
    let empty = tempfile::tempdir().unwrap();
    // Neither python3 nor vipsthumbnail can be found.
    let bench = |format: &str| {
        Command::new(binary())
            .args([
                "bench",
                "a.png",
                "--threads",
                "1",
                "--repeat",
                "1",
                "--compare",
            ])
            .args(["--format", format])
            .current_dir(dir.path())
            .env("PATH", empty.path())
            .output()
            .unwrap()
    };
    let out = bench("json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["compare"].as_array().unwrap().len(), 0);
    let skipped = report["compare_skipped"].as_array().unwrap();
    let reason = |tool: &str| {
        skipped
            .iter()
            .find(|s| s["tool"] == tool)
            .map(|s| s["reason"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(
        reason("Pillow").contains("python3 not found"),
        "{skipped:?}"
    );
    assert!(
        reason("libvips").contains("vipsthumbnail on PATH"),
        "{skipped:?}"
    );
    let table = bench("table");
    assert_eq!(table.status.code(), Some(0));
    let text = stdout(&table);
    assert!(
        text.contains("not compared: Pillow: python3 not found"),
        "{text}"
    );
}

#[test]
fn bench_sweeps_input_sizes_and_refuses_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let report = json(
        &[
            "bench", "--sizes", "0.5,2", "--repeat", "1", "--format", "json",
        ],
        dir.path(),
        0,
    );
    let rows = report["sweep"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[1]["width"].as_u64(), rows[1]["height"].as_u64()),
        (Some(1633), Some(1225))
    );
    // 2 MP is over sonnet's 1.15 MP: decoded, resized and encoded.
    let stages: Vec<&str> = rows[1]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_str().unwrap())
        .collect();
    for stage in ["decode", "resize", "encode"] {
        assert!(stages.contains(&stage), "{stages:?}");
    }
    assert!(rows.iter().all(|r| r["prepare_ms"].as_f64().unwrap() > 0.0));
    assert_eq!(report["runs"].as_array().unwrap().len(), 0);
    let table = succeeds(&["bench", "--sizes", "0.5", "--repeat", "1"], dir.path());
    assert!(table.contains("the size sweep only"), "{table}");
    assert!(table.contains("816x612"), "{table}");
    std::fs::write(dir.path().join("notes.txt"), "text").unwrap();
    for args in [
        &["bench"][..],
        &["bench", ".", "--threads", "0"],
        &["bench", ".", "--threads", "two"],
        &["bench", "--sizes", "0"],
        &["bench", ".", "--repeat", "0"],
        // Nothing to measure: the folder holds no image.
        &["bench", "."],
    ] {
        let out = visionprep(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
    }
}
