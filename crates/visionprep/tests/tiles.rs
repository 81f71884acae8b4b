//! Token budgets and tiles through the pixel pipeline.

use crate::make;
use image::{GrayImage, ImageFormat, Luma};
use visionprep::core::{
    MinScale, Size, TileMode, TileOptions, TokenRule, budget_target, fit_target,
};
use visionprep::prepare::{PrepareOptions, Preparer, prepare};

/// Text lines of a tall phone screenshot: 12 px tall, every 30 px, each a row of 6 px wide
/// "glyphs" whose strokes come from a hash of the line and column, so that every line has a
/// pattern of its own.
const LINE_HEIGHT: u32 = 12;
const LINE_PITCH: u32 = 30;

fn ink(line: u32, glyph: u32, dx: u32, dy: u32) -> bool {
    let h = (line.wrapping_mul(2_654_435_761) ^ glyph.wrapping_mul(40_503)).rotate_left(dy);
    dx < 4 && (h >> (dx * 3 + dy % 3)) & 1 == 1
}

fn screenshot(w: u32, h: u32) -> (GrayImage, Vec<u32>) {
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    let mut lines = Vec::new();
    let mut y0 = 20;
    while y0 + LINE_HEIGHT + 10 < h {
        lines.push(y0);
        let line = y0 / LINE_PITCH;
        for x in 24..w - 24 {
            for dy in 0..LINE_HEIGHT {
                if ink(line, x / 6, x % 6, dy) {
                    img.put_pixel(x, y0 + dy, Luma([0]));
                }
            }
        }
        y0 += LINE_PITCH;
    }
    (img, lines)
}

/// Darkness (0-1) of each column of `img` over rows `y0..y1`.
fn column_profile(img: &GrayImage, y0: u32, y1: u32) -> Vec<f64> {
    (0..img.width())
        .map(|x| {
            let sum: f64 = (y0..y1)
                .map(|y| 1.0 - f64::from(img.get_pixel(x, y)[0]) / 255.0)
                .sum();
            sum / f64::from(y1 - y0)
        })
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    cov / (va * vb).sqrt().max(1e-12)
}

/// A 1170x8000 screenshot with 12 px text: sent whole, the API would shrink it to 0.2x and the
/// text would be gone. As tiles, every line is whole, shrunk no more than the minimum scale,
/// in at least one tile: its rows are there and its glyph pattern survives (no OCR needed).
#[test]
fn every_line_of_a_tall_screenshot_is_whole_in_a_tile() {
    let (img, lines) = screenshot(1170, 8000);
    let png = make::encode(
        image::DynamicImage::ImageLuma8(img.clone()),
        ImageFormat::Png,
    );
    let options = PrepareOptions {
        tiles: TileOptions {
            mode: TileMode::Auto,
            ..TileOptions::default()
        },
        ..PrepareOptions::default()
    };
    let tier = options.target.tier();
    let whole = fit_target(Size::new(1170, 8000), tier);
    assert!(whole.height * 2 < 8000, "sent whole it is shrunk past 0.5x");
    let parts = Preparer::new().prepare_parts(&png, &options).unwrap();
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let decoded: Vec<GrayImage> = parts
        .iter()
        .map(|p| image::load_from_memory(&p.bytes).unwrap().to_luma8())
        .collect();
    for (p, d) in parts.iter().zip(&decoded) {
        let t = p.tile.unwrap();
        assert_eq!(Size::new(d.width(), d.height()), p.output_size);
        assert!(MinScale::HALF.allows_size(t.region.size(), p.output_size));
        assert!(p.actions.tiled);
    }
    for &y0 in &lines {
        let y1 = y0 + LINE_HEIGHT;
        let found = parts.iter().zip(&decoded).find(|(p, _)| {
            let r = p.tile.unwrap().region;
            r.y <= y0 && u64::from(y1) <= r.bottom()
        });
        let Some((p, tile)) = found else {
            panic!("line at rows {y0}-{y1} is whole in no tile");
        };
        let r = p.tile.unwrap().region;
        let s = f64::from(p.output_size.height) / f64::from(r.height);
        let ty0 = (f64::from(y0 - r.y) * s).floor() as u32;
        let ty1 = ((f64::from(y1 - r.y) * s).ceil() as u32).min(tile.height());
        let got = column_profile(tile, ty0, ty1);
        // The original band, averaged down to the tile's columns.
        let band = column_profile(&img, y0, y1);
        let sx = f64::from(r.width) / f64::from(p.output_size.width);
        let want: Vec<f64> = (0..tile.width())
            .map(|x| {
                let a = (f64::from(x) * sx) as usize + r.x as usize;
                let b = ((f64::from(x + 1) * sx) as usize + r.x as usize).min(band.len());
                band[a..b.max(a + 1)].iter().sum::<f64>() / (b.max(a + 1) - a) as f64
            })
            .collect();
        let c = correlation(&got, &want);
        assert!(
            c > 0.8,
            "line at rows {y0}-{y1}: correlation {c:.2} in {r:?}"
        );
        let ink: f64 = got.iter().sum::<f64>() / got.len() as f64;
        assert!(ink > 0.1, "line at rows {y0}-{y1} is present ({ink:.2})");
    }
}

#[test]
fn photographs_are_not_tiled_in_auto_mode() {
    let jpeg = make::jpeg(1800, 5000, make::JpegKind::Baseline, None);
    let mut options = PrepareOptions::default();
    options.tiles.mode = TileMode::Auto;
    let auto = Preparer::new().prepare_parts(&jpeg, &options).unwrap();
    // make::jpeg is a smooth photograph-like gradient: one image, as prepare() gives.
    assert_eq!(auto.len(), 1);
    assert!(auto[0].tile.is_none());
    assert_eq!(
        auto[0].output_size,
        prepare(&jpeg, &PrepareOptions::default())
            .unwrap()
            .output_size
    );
    options.tiles.mode = TileMode::Always;
    let always = Preparer::new().prepare_parts(&jpeg, &options).unwrap();
    assert!(always.len() > 1);
    let total: u64 = always.iter().map(|p| p.tokens).sum();
    assert!(
        total > auto[0].tokens,
        "tiles cost more than one shrunk image"
    );
}

#[test]
fn token_budget_sizes_and_bills_the_output() {
    let jpeg = make::jpeg(4032, 3024, make::JpegKind::Baseline, None);
    for (rule, budget) in [
        (TokenRule::Area750, 800),
        (TokenRule::Patch28, 300),
        (TokenRule::Area750, 1),
    ] {
        let options = PrepareOptions {
            token_rule: rule,
            token_budget: Some(budget),
            ..PrepareOptions::default()
        };
        let out = prepare(&jpeg, &options).unwrap();
        let want = budget_target(Size::new(4032, 3024), options.target.tier(), rule, budget);
        assert_eq!(out.output_size, want);
        assert!(out.tokens <= budget);
        let d = image::load_from_memory(&out.bytes).unwrap();
        assert_eq!(Size::new(d.width(), d.height()), want);
    }
    // A budget above the image's cost changes nothing: still passed through.
    let small = make::jpeg(600, 400, make::JpegKind::Baseline, None);
    let mut options = PrepareOptions {
        token_budget: Some(5000),
        ..PrepareOptions::default()
    };
    assert!(prepare(&small, &options).unwrap().actions.passed_through);
    options.tiles.mode = TileMode::Always;
    assert!(
        options.check().is_err(),
        "budget and tiles refused together"
    );
}
