//! Resizing a 12 MP photo to its fit target: fast_image_resize (what visionprep uses) against
//! `image::imageops::resize`, same Lanczos3 filter, RGB8 and RGBA8, in one group.

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::hint::black_box;
use visionprep::core::{Size, TierLimits, fit_target};

fn photo(channels: u32) -> Vec<u8> {
    (0..4032u32 * 3024 * channels)
        .map(|i| {
            let p = i / channels;
            let (x, y) = (p % 4032, p / 4032);
            ((x / 7 + y / 5 + (i % channels) * 40) % 256) as u8
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let target = fit_target(Size::new(4032, 3024), TierLimits::STANDARD);
    let mut g = c.benchmark_group("resize 4032x3024 -> 1270x952, Lanczos3");
    g.sample_size(10);
    for (name, pt, channels) in [("RGB8", PixelType::U8x3, 3), ("RGBA8", PixelType::U8x4, 4)] {
        let data = photo(channels);
        let src = Image::from_vec_u8(4032, 3024, data.clone(), pt).unwrap();
        let mut resizer = Resizer::new();
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        g.bench_function(format!("fast_image_resize {name}"), |b| {
            b.iter(|| {
                let mut dst = Image::new(target.width, target.height, pt);
                resizer.resize(black_box(&src), &mut dst, &options).unwrap();
                dst
            })
        });
        let lanczos = image::imageops::FilterType::Lanczos3;
        if channels == 3 {
            let img = image::RgbImage::from_raw(4032, 3024, data).unwrap();
            g.bench_function(format!("image::imageops::resize {name}"), |b| {
                b.iter(|| {
                    image::imageops::resize(black_box(&img), target.width, target.height, lanczos)
                })
            });
        } else {
            let img = image::RgbaImage::from_raw(4032, 3024, data).unwrap();
            g.bench_function(format!("image::imageops::resize {name}"), |b| {
                b.iter(|| {
                    image::imageops::resize(black_box(&img), target.width, target.height, lanczos)
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
