//! The real `visionprep` binary, run in temporary folders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

// `visionprep count` against a loopback stub: a module of this binary (each test binary costs a
// link).
#[cfg(feature = "count")]
#[path = "cli/count.rs"]
mod count;

/// The binary under test: cargo's, or `VISIONPREP_BIN` when a test runs as another user from a
/// copy (`.ci/run` runs the mode-000 test as `nobody`, who may not reach the build folder).
fn binary() -> std::ffi::OsString {
    std::env::var_os("VISIONPREP_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_visionprep").into())
}

fn visionprep(args: &[&str], dir: &Path) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Runs visionprep, checks its exit status and parses the JSON it prints.
fn json(args: &[&str], dir: &Path, code: i32) -> Value {
    let out = visionprep(args, dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Runs visionprep, checks it succeeded and returns what it printed.
fn succeeds(args: &[&str], dir: &Path) -> String {
    let out = visionprep(args, dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    stdout(&out)
}

fn write_image(path: &Path, w: u32, h: u32, format: image::ImageFormat) {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 77]));
    image::DynamicImage::ImageRgb8(img)
        .save_with_format(path, format)
        .unwrap();
}

/// A folder with good images, bad files and a non-image.
fn mixed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_image(
        &p.join("a-1920x1080.png"),
        1920,
        1080,
        image::ImageFormat::Png,
    );
    std::fs::create_dir(p.join("sub")).unwrap();
    write_image(
        &p.join("sub/b-200x200.jpg"),
        200,
        200,
        image::ImageFormat::Jpeg,
    );
    write_image(
        &p.join("sub/c-1000x1000.gif"),
        1000,
        1000,
        image::ImageFormat::Gif,
    );
    // A PNG saved with a .jpg name: reported as PNG, with a mismatch.
    write_image(&p.join("wrong-ext.jpg"), 300, 300, image::ImageFormat::Png);
    // Bad files: a truncated JPEG and an empty .png.
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(500, 400))
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    std::fs::write(p.join("cut.jpg"), &jpeg[..jpeg.len() / 2]).unwrap();
    std::fs::write(p.join("empty.png"), b"").unwrap();
    // Not an image, no image extension: skipped in a folder walk.
    std::fs::write(p.join("notes.txt"), b"hello").unwrap();
    std::fs::write(p.join(".hidden.png"), b"not even a png").unwrap();
    dir
}

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

fn prepared_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in");
    std::fs::create_dir_all(p.join("sub")).unwrap();
    write_image(&p.join("big.png"), 2560, 1440, image::ImageFormat::Png);
    write_image(
        &p.join("sub/photo.jpg"),
        3000,
        2000,
        image::ImageFormat::Jpeg,
    );
    write_image(&p.join("small.jpg"), 640, 480, image::ImageFormat::Jpeg);
    // Both become a.png (the GIF is resized, so re-encoded as PNG): the second in name order
    // must not overwrite the first.
    write_image(&p.join("a.gif"), 2000, 1500, image::ImageFormat::Gif);
    write_image(&p.join("a.png"), 400, 300, image::ImageFormat::Png);
    std::fs::write(p.join("empty.png"), b"").unwrap();
    dir
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

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

/// A folder of `n` photo-like `w`x`h` JPEGs, big enough to be resized (so each takes a while).
fn photo_folder(n: usize, w: u32, h: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    for i in 0..n {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            let v = (x * 7 + y * 13 + i as u32 * 31) ^ (x * y);
            image::Rgb([v as u8, (v >> 3) as u8, (x + y) as u8])
        });
        image::DynamicImage::ImageRgb8(img)
            .save_with_format(
                dir.path().join(format!("in/photo-{i:02}.jpg")),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
    }
    dir
}

/// Every file under `dir` (hidden ones included: a temporary file left behind shows) with its
/// bytes, except the output folder's manifest.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walkdir(dir)
        .into_iter()
        .filter(|p| !p.ends_with(visionprep::folder::MANIFEST_NAME))
        // While a run is going, a temporary file may be renamed between listing and reading.
        .filter_map(|p| {
            let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            std::fs::read(&p).ok().map(|bytes| (name, bytes))
        })
        .collect();
    v.sort();
    v
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

/// A hand-written body of the library's fixtures.
fn body_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../visionprep/tests/fixtures/bodies")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

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

/// 500 images of mixed sizes: `cost --budget-usd` finds the largest cap within the budget
/// (one more token per image is over it), and `prepare --token-budget` at that cap spends
/// exactly the predicted total.
#[test]
fn folder_budget_is_the_largest_cap_and_prepare_spends_it() {
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
    for i in 0..500 {
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
    assert_eq!(v["totals"]["prepared"], 500);
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
    assert_eq!(v["totals"]["up_to_date"], 500);
    assert_eq!(v["totals"]["tokens"].as_u64(), Some(predicted));
    // A budget too small for 200 px images says so; one no cap can meet says so too.
    let v = json(
        &[
            "cost",
            "in",
            "--total-token-budget",
            "20000",
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
    let text = succeeds(&["cost", "in", "--total-token-budget", "499"], dir.path());
    assert!(text.contains("cannot be met"), "{text}");
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

/// The examples and a damaged JPEG in a folder of their own.
fn bench_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/images");
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    // A JPEG whose header is fine and whose data ends after a few bytes.
    let mut jpeg = Vec::new();
    image::DynamicImage::new_rgb8(640, 480)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    jpeg.truncate(jpeg.len() / 3);
    std::fs::write(dir.path().join("cut-off.jpg"), jpeg).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    dir
}

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
    assert_eq!(images as usize + skipped.len(), 7, "{report}");
    assert!(images >= 5);
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
        2400,
        1600,
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
