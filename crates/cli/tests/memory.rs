//! Peak memory of `visionprep cost` and `prepare` on decompression bombs and other hostile
//! files made here: every one is refused from its header or read within bounds, and no run
//! goes over 100 MB of resident memory. One test in its own binary, so the peak resident size
//! of this process's children is that of these runs alone.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const LIMIT_KB: i64 = 100 * 1024;

#[path = "../../visionprep/tests/support/png_chunk.rs"]
mod png_chunk;
use png_chunk::{png_chunk as chunk, zlib_zeros};

fn zlib(data: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
    for block in data {
        c.write_data(&block).unwrap();
    }
    c.finish().unwrap()
}

/// A PNG of `w`x`h` RGB whose pixel data is `rows` (filter byte included per row), with
/// `extra` chunks before IDAT.
fn png(w: u32, h: u32, idat: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    for e in extra {
        out.extend_from_slice(e);
    }
    out.extend(chunk(b"IDAT", idat));
    out.extend(chunk(b"IEND", b""));
    out
}

fn small_png() -> Vec<u8> {
    let (w, h) = (640u32, 480u32);
    let rows = (0..h).map(|y| {
        let mut row = vec![0u8];
        row.extend((0..w * 3).map(|x| (x as u8) ^ (y as u8)));
        row
    });
    png(w, h, &zlib(rows), &[])
}

/// A GIF of `frames` 64x64 frames, each a different colour.
fn gif(frames: u16) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
        let mut enc = gif::Encoder::new(&mut out, 64, 64, &palette).unwrap();
        enc.set_repeat(gif::Repeat::Infinite).unwrap();
        for i in 0..frames {
            let f = gif::Frame {
                width: 64,
                height: 64,
                delay: 2,
                buffer: vec![(i % 256) as u8; 64 * 64].into(),
                ..Default::default()
            };
            enc.write_frame(&f).unwrap();
        }
    }
    out
}

fn jpeg_sof(w: u16, h: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 9]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let sof = bytes.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    bytes
}

fn make_bombs(dir: &Path) {
    let zeros_512m = zlib_zeros(512 << 20);
    let w = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    // 50000x50000 declared in a tiny file: 7.5 GB of pixels.
    w(
        "png-50000.png",
        &png(50_000, 50_000, &zlib_zeros(1 << 16), &[]),
    );
    // An edited SOF declaring 65500x65500.
    w("jpeg-65500.jpg", &jpeg_sof(65_500, 65_500));
    // A GIF whose logical screen is 65535x65535 around a 64x64 frame.
    let mut screen = gif(1);
    screen[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    w("gif-screen.gif", &screen);
    // 1000 frames: the model sees the first; nothing holds the others.
    w("gif-1000-frames.gif", &gif(1000));
    // iCCP and zTXt chunks inflating to 512 MiB each, around a real image.
    let small = small_png();
    let at = 33;
    let with = |c: Vec<u8>| [&small[..at], &c[..], &small[at..]].concat();
    w(
        "iccp-bomb.png",
        &with(chunk(b"iCCP", &[&b"icc\0\0"[..], &zeros_512m].concat())),
    );
    w(
        "ztxt-bomb.png",
        &with(chunk(b"zTXt", &[&b"Comment\0\0"[..], &zeros_512m].concat())),
    );
}

fn run(args: &[&str], dir: &Path) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_visionprep"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

fn children_peak_kb() -> i64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss()
}

#[test]
fn bombs_stay_under_100_mb() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bombs")).unwrap();
    make_bombs(&dir.path().join("bombs"));
    let before = children_peak_kb();
    assert!(before < LIMIT_KB, "nothing ran yet: {before} KB");

    let (code, cost) = run(&["cost", "bombs", "--format", "json"], dir.path());
    assert_eq!(code, 1, "{cost}");
    let cost_peak = children_peak_kb();
    let row = |v: &Value, name: &str| -> Value {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {v}"))
    };
    for name in ["png-50000.png", "jpeg-65500.jpg", "gif-screen.gif"] {
        assert_eq!(
            row(&cost, name)["error"]["code"],
            "dimensions-too-large",
            "{name}"
        );
    }
    let frames = row(&cost, "gif-1000-frames.gif");
    assert!(
        frames["problems"]
            .as_array()
            .unwrap()
            .contains(&"animated".into())
    );
    for name in ["iccp-bomb.png", "ztxt-bomb.png"] {
        assert!(row(&cost, name)["error"].is_null(), "{name}");
    }

    let (code, prepared) = run(
        &["prepare", "bombs", "-o", "out", "--format", "json"],
        dir.path(),
    );
    assert_eq!(code, 1, "{prepared}");
    for name in ["png-50000.png", "jpeg-65500.jpg", "gif-screen.gif"] {
        assert_eq!(
            row(&prepared, name)["error"]["code"],
            "dimensions-too-large"
        );
    }
    for name in ["gif-1000-frames.gif", "iccp-bomb.png", "ztxt-bomb.png"] {
        let r = row(&prepared, name);
        assert!(r["error"].is_null(), "{name}: {r}");
        let out = dir.path().join(r["output_path"].as_str().unwrap());
        assert!(image::open(&out).is_ok(), "{name}");
    }
    let peak = children_peak_kb();
    eprintln!("peak RSS: cost {cost_peak} KB, cost and prepare {peak} KB");
    assert!(peak < LIMIT_KB, "peak RSS {peak} KB");
}
