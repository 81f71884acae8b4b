//! Resizing a 12 MP photo to its fit target: fast_image_resize (what visionprep uses) against
//! `image::imageops::resize`, same Lanczos3 filter, in one group: RGB8; RGBA8 with transparency,
//! alpha premultiplied (visionprep) and ignored; and 16-bit RGB, converted to 8 bits first
//! (visionprep's path) or resized as it is.

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
    let lanczos = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut resizer = Resizer::new();
    let mut fir = |g: &mut criterion::BenchmarkGroup<'_, _>,
                   name: &str,
                   src: &Image<'_>,
                   options: &ResizeOptions| {
        let pt = src.pixel_type();
        g.bench_function(format!("fast_image_resize {name}"), |b| {
            b.iter(|| {
                let mut dst = Image::new(target.width, target.height, pt);
                resizer.resize(black_box(src), &mut dst, options).unwrap();
                dst
            })
        });
    };
    let filter = image::imageops::FilterType::Lanczos3;

    // RGB8: what a photograph is.
    let rgb = photo(3);
    fir(
        &mut g,
        "RGB8",
        &Image::from_vec_u8(4032, 3024, rgb.clone(), PixelType::U8x3).unwrap(),
        &lanczos,
    );
    let img = image::RgbImage::from_raw(4032, 3024, rgb).unwrap();
    g.bench_function("image::imageops::resize RGB8", |b| {
        b.iter(|| image::imageops::resize(black_box(&img), target.width, target.height, filter))
    });

    // RGBA8 with real transparency: visionprep premultiplies alpha for the convolution (so
    // transparent pixels do not bleed their colour into the edges); the cost of that is the
    // difference with the row that ignores alpha. image::imageops does not premultiply.
    let rgba = with_alpha(photo(4));
    let src = Image::from_vec_u8(4032, 3024, rgba.clone(), PixelType::U8x4).unwrap();
    fir(&mut g, "RGBA8 alpha premultiplied", &src, &lanczos);
    fir(
        &mut g,
        "RGBA8 alpha ignored",
        &src,
        &lanczos.clone().use_alpha(false),
    );
    let img = image::RgbaImage::from_raw(4032, 3024, rgba).unwrap();
    g.bench_function("image::imageops::resize RGBA8 (not premultiplied)", |b| {
        b.iter(|| image::imageops::resize(black_box(&img), target.width, target.height, filter))
    });

    // 16-bit RGB (16-bit PNGs, TIFFs, HEIC/AVIF at 10-12 bits): visionprep converts to 8 bits
    // first and resizes 8-bit pixels (the output is 8-bit anyway); against resizing the 16-bit
    // pixels as they are.
    let rgb16: Vec<u16> = photo(3).iter().map(|&v| u16::from(v) * 257 + 3).collect();
    g.bench_function(
        "RGB16: to 8 bits, then fast_image_resize RGB8 (visionprep's path)",
        |b| {
            b.iter(|| {
                let eight: Vec<u8> = black_box(&rgb16).iter().map(|&v| (v >> 8) as u8).collect();
                let src = Image::from_vec_u8(4032, 3024, eight, PixelType::U8x3).unwrap();
                let mut dst = Image::new(target.width, target.height, PixelType::U8x3);
                Resizer::new().resize(&src, &mut dst, &lanczos).unwrap();
                dst
            })
        },
    );
    let bytes16: Vec<u8> = rgb16.iter().flat_map(|v| v.to_ne_bytes()).collect();
    fir(
        &mut g,
        "RGB16",
        &Image::from_vec_u8(4032, 3024, bytes16, PixelType::U16x3).unwrap(),
        &lanczos,
    );
    let img16 =
        image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_raw(4032, 3024, rgb16).unwrap();
    g.bench_function("image::imageops::resize RGB16", |b| {
        b.iter(|| image::imageops::resize(black_box(&img16), target.width, target.height, filter))
    });
    g.finish();
}

/// Transparent in a band of soft-edged shapes, opaque elsewhere: a cut-out or an icon sheet.
fn with_alpha(mut rgba: Vec<u8>) -> Vec<u8> {
    for (i, px) in rgba.chunks_exact_mut(4).enumerate() {
        let (x, y) = (i % 4032, i / 4032);
        px[3] = match (x / 300 + y / 200) % 3 {
            0 => 0,
            1 => ((x % 300) * 255 / 300) as u8,
            _ => 255,
        };
    }
    rgba
}

criterion_group!(benches, bench);
criterion_main!(benches);
