//! `probe` per file on in-memory bytes, for each API format.

#![allow(missing_docs, clippy::unwrap_used)]

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use visionprep::{Limits, probe_bytes};

fn pattern(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    })
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("probe (in memory)");
    for (name, format, w, h) in [
        ("jpeg 4032x3024", image::ImageFormat::Jpeg, 4032, 3024),
        ("png 1920x1080", image::ImageFormat::Png, 1920, 1080),
        (
            "webp-lossless 1024x768",
            image::ImageFormat::WebP,
            1024,
            768,
        ),
        ("gif 640x480", image::ImageFormat::Gif, 640, 480),
    ] {
        let bytes = support::encode(pattern(w, h), format);
        g.bench_function(name, |b| {
            b.iter(|| probe_bytes(black_box(&bytes), &limits).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
