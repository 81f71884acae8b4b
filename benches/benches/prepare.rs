//! `prepare` end to end on in-memory 12 MP inputs (decode, resize, encode), per image.

#![allow(missing_docs, clippy::unwrap_used)]

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use visionprep::prepare::{PrepareOptions, Preparer};

/// Smooth shapes and texture, like a photograph.
fn photo_like() -> image::RgbImage {
    image::RgbImage::from_fn(4032, 3024, |x, y| {
        let (fx, fy) = (x as f32 / 4032.0, y as f32 / 3024.0);
        image::Rgb([
            (128.0 + 100.0 * (fx * 9.0 + fy * 4.0).sin()) as u8,
            (128.0 + 90.0 * (fy * 13.0 - fx * 3.0).cos()) as u8,
            ((x * 13 + y * 7) % 64 + 96) as u8,
        ])
    })
}

fn bench(c: &mut Criterion) {
    let options = PrepareOptions::default();
    let mut g = c.benchmark_group("prepare 4032x3024 (in memory)");
    g.sample_size(10);
    for (name, format) in [
        ("jpeg", image::ImageFormat::Jpeg),
        ("png", image::ImageFormat::Png),
    ] {
        let bytes = support::encode(photo_like(), format);
        let mut preparer = Preparer::new();
        g.bench_function(name, |b| {
            b.iter(|| preparer.prepare(black_box(&bytes), &options).unwrap())
        });
    }
    g.finish();
}

/// Packing 1,000 prepared images (100 KB of base64 each) into request bodies.
fn bench_pack(c: &mut Criterion) {
    use visionprep::core::{RequestLimits, Size};
    use visionprep::request::{PackImage, PackOptions, pack};
    let images: Vec<PackImage> = (0..1000)
        .map(|i| PackImage::base64("image/jpeg", "A".repeat(100_000 + i), Size::new(1568, 1045)))
        .collect();
    let options = PackOptions::new(
        "claude-sonnet-4-6",
        "Describe each image.",
        RequestLimits::portable(),
    );
    let mut g = c.benchmark_group("request");
    g.sample_size(10);
    g.bench_function("pack 1000 images", |b| {
        b.iter(|| pack(black_box(&images), &options).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench, bench_pack);
criterion_main!(benches);
