//! Resize only, decoded images in memory: fast_image_resize with visionprep's settings
//! (Lanczos3, alpha premultiplied) from each image's decoded size to its fit target for a
//! standard-tier model. `benches/compare/resize.sh` times Pillow's `resize(LANCZOS)` and
//! pyvips' `resize` on the same pixels and prints the ratios.
//!
//! Usage: `resize-loop REPS FILE...`; prints one line per image, tab-separated: path, width,
//! height, channels, target width, target height, median milliseconds of REPS resizes (after
//! one untimed).

#![forbid(unsafe_code)]

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::time::Instant;
use visionprep_core::{Size, TierLimits, fit_target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let reps: usize = args
        .next()
        .ok_or("usage: resize-loop REPS FILE...")?
        .parse()?;
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut resizer = Resizer::new();
    for path in args {
        let img = match image::open(&path) {
            Ok(img) => img,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let (w, h) = (img.width(), img.height());
        let (pt, channels, data) = if img.color().has_alpha() {
            (PixelType::U8x4, 4, img.into_rgba8().into_raw())
        } else {
            (PixelType::U8x3, 3, img.into_rgb8().into_raw())
        };
        let target = fit_target(Size::new(w, h), TierLimits::STANDARD);
        if target == Size::new(w, h) {
            continue;
        }
        let src = Image::from_vec_u8(w, h, data, pt)?;
        let mut times = Vec::new();
        for i in 0..=reps {
            let start = Instant::now();
            let mut dst = Image::new(target.width, target.height, pt);
            resizer.resize(&src, &mut dst, &options)?;
            std::hint::black_box(&dst);
            if i > 0 {
                times.push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times
            .get(times.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or(0.0);
        println!(
            "{path}\t{w}\t{h}\t{channels}\t{}\t{}\t{median:.3}",
            target.width, target.height
        );
    }
    Ok(())
}
