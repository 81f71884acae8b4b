//! Inputs that once crashed or exhausted memory (found by fuzzing, `fuzz/`), replayed on every
//! test run: each must give a result, never a panic.

use std::path::Path;
use visionprep::prepare::{PrepareOptions, prepare};
use visionprep::{Limits, probe_bytes};

#[test]
fn every_regression_file_gives_a_result() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regression");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "regression files are missing from {}",
        dir.display()
    );
    let options = PrepareOptions {
        limits: Limits::with_max_pixels(1 << 20),
        ..PrepareOptions::default()
    };
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let _ = probe_bytes(&bytes, &Limits::default());
        let _ = prepare(&bytes, &options);
    }
}
