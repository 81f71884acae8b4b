//! The real `visionprep` binary, run in temporary folders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

// One module per subcommand, all in this one binary (each test binary costs a link).
#[path = "cli/batch.rs"]
mod batch;
#[path = "cli/bench.rs"]
mod bench;
#[path = "cli/body.rs"]
mod body;
#[path = "cli/cost.rs"]
mod cost;
#[path = "cli/docs.rs"]
mod docs;
#[path = "cli/examples.rs"]
mod examples;
#[path = "cli/plan.rs"]
mod plan;
#[path = "cli/prepare.rs"]
mod prepare;
#[cfg(feature = "proxy")]
#[path = "cli/proxy.rs"]
mod proxy;
#[path = "cli/request.rs"]
mod request;

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

/// The test pattern at `w`x`h` in `format`, encoded once per run of this binary: encoding
/// runs as unoptimised generic code here (a 2000x1500 GIF took seconds to quantise), and a
/// dozen tests use the same images. GIFs use the encoder's fastest palette search, the pixels
/// being only a pattern.
fn encoded(w: u32, h: u32, format: image::ImageFormat) -> std::sync::Arc<Vec<u8>> {
    type Key = (u32, u32, image::ImageFormat);
    static ENCODED: std::sync::Mutex<Vec<(Key, std::sync::Arc<Vec<u8>>)>> =
        std::sync::Mutex::new(Vec::new());
    let key = (w, h, format);
    if let Some((_, bytes)) = ENCODED.lock().unwrap().iter().find(|(k, _)| *k == key) {
        return bytes.clone();
    }
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 77]));
    let mut out = Vec::new();
    if format == image::ImageFormat::Gif {
        let frame = image::Frame::new(image::DynamicImage::ImageRgb8(img).to_rgba8());
        image::codecs::gif::GifEncoder::new_with_speed(&mut out, 30)
            .encode_frame(frame)
            .unwrap();
    } else {
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), format)
            .unwrap();
    }
    let bytes = std::sync::Arc::new(out);
    ENCODED.lock().unwrap().push((key, bytes.clone()));
    bytes
}

/// Writes [`encoded`]'s image to `path`.
fn write_image(path: &Path, w: u32, h: u32, format: image::ImageFormat) {
    std::fs::write(path, &*encoded(w, h, format)).unwrap();
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

/// A folder of `n` photo-like `w`x`h` JPEGs, big enough to be resized (so each takes a while).
/// One photo is drawn and encoded (in this unoptimised test code that takes half a second at
/// 2 MP); the others are its copies, each made a distinct file by a JPEG comment segment
/// naming it.
fn photo_folder(n: usize, w: u32, h: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = (x * 7 + y * 13) ^ (x * y);
        image::Rgb([v as u8, (v >> 3) as u8, (x + y) as u8])
    });
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    for i in 0..n {
        let comment = format!("photo {i}");
        let mut file = jpeg[..2].to_vec(); // SOI
        file.extend_from_slice(&[0xFF, 0xFE]);
        file.extend_from_slice(&(comment.len() as u16 + 2).to_be_bytes());
        file.extend_from_slice(comment.as_bytes());
        file.extend_from_slice(&jpeg[2..]);
        std::fs::write(dir.path().join(format!("in/photo-{i:02}.jpg")), file).unwrap();
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

/// A hand-written body of the library's fixtures.
fn body_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../visionprep/tests/fixtures/bodies")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The examples and a damaged JPEG in a folder of their own.
fn bench_folder() -> tempfile::TempDir {
    // One small input of each kind (the bench repeats each kind up to four images a thread,
    // so large inputs cost seconds): a JPEG the pipeline resizes, a PNG that passes through, a
    // GIF that needs no resize, a lossy WebP, a HEIC (skipped without the heif feature).
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for from in [
        "examples/images/chart-1092x1092.png",
        "examples/images/animation-480x360.gif",
        "examples/images/phone-64x48.heic",
        "crates/visionprep/tests/fixtures/webp-lossy-1300x1000.webp",
    ] {
        let path = root.join(from);
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    write_image(
        &dir.path().join("photo-1800x1200.jpg"),
        1800,
        1200,
        image::ImageFormat::Jpeg,
    );
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
