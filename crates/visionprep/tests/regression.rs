//! Inputs that once crashed or exhausted memory (found by fuzzing, `fuzz/`), replayed on every
//! test run: each gives its known result, never a panic. A new regression file needs its row
//! in `EXPECTED`, so that what it must give is written down.

use std::path::Path;
use visionprep::core::{ErrorCode, Format, MediaType};
use visionprep::prepare::{PrepareOptions, prepare};
use visionprep::{Limits, probe_bytes};

/// File, what the header probe gives, what `prepare` gives.
type Expected = (
    &'static str,
    Result<Format, ErrorCode>,
    Result<MediaType, ErrorCode>,
);

const EXPECTED: &[Expected] = &[
    // The Exif chunk declared a size past the file: the header is readable, the pixels too
    // for a decoder that skips metadata.
    (
        "prepare-webp-exif-size.webp",
        Ok(Format::Webp),
        // libwebp reads the image past the bogus metadata; image-webp refuses the file.
        if cfg!(feature = "libwebp") {
            Ok(MediaType::Webp)
        } else {
            Err(ErrorCode::Corrupt)
        },
    ),
    // A box whose 64-bit size jumps past the end: cut off, not an overflow.
    (
        "probe-bmff-box-size-overflow.avif",
        Err(ErrorCode::Truncated),
        Err(ErrorCode::Truncated),
    ),
    // An 8-byte LONG8 entry in a classic (4-byte offset) IFD.
    (
        "probe-tiff-long8-in-classic-ifd.tif",
        Err(ErrorCode::Corrupt),
        Err(ErrorCode::Corrupt),
    ),
];

#[test]
fn every_regression_file_gives_its_known_result() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regression");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(files, listed, "every file in {} has its row", dir.display());
    let options = PrepareOptions {
        limits: Limits::with_max_pixels(1 << 20),
        ..PrepareOptions::default()
    };
    for (name, probed, prepared) in EXPECTED {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let p = probe_bytes(&bytes, &Limits::default())
            .map(|p| p.format)
            .map_err(|e| e.code());
        assert_eq!(&p, probed, "probe {name}");
        let q = prepare(&bytes, &options)
            .map(|p| p.media_type)
            .map_err(|e| e.code());
        assert_eq!(&q, prepared, "prepare {name}");
    }
}
