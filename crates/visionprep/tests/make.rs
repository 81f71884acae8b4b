//! Test images made on the fly, in every variant the probe must read.

use image::{ImageEncoder, RgbImage, RgbaImage};
use std::io::Cursor;

#[path = "support/exif_block.rs"]
mod exif_block;
pub(crate) use exif_block::exif_block;
#[path = "support/png_chunk.rs"]
mod png_chunk;
pub(crate) use png_chunk::{png_chunk, zlib_zeros};

/// A gradient with a distinct colour in each quadrant.
pub fn rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let q = (u8::from(x >= w / 2)) + 2 * u8::from(y >= h / 2);
        image::Rgb([q * 60 + (x % 7) as u8, (y % 13) as u8 * 9, 200 - q * 40])
    })
}

#[derive(Clone, Copy, Debug)]
pub enum JpegKind {
    Baseline,
    Progressive,
    Gray,
    Cmyk,
    Ycck,
}

pub fn jpeg(w: u32, h: u32, kind: JpegKind, orientation: Option<(u16, bool)>) -> Vec<u8> {
    jpeg_of(rgb(w, h), kind, orientation)
}

/// Four flat colours, one per quadrant: red, green / blue, yellow.
pub const QUADRANTS: [[u8; 3]; 4] = [[220, 30, 30], [30, 200, 30], [30, 30, 220], [230, 220, 40]];

/// The colour at the centre of each quadrant of `img`.
pub fn quadrant_colours(img: &image::DynamicImage) -> [[u8; 3]; 4] {
    use image::GenericImageView;
    let (w, h) = img.dimensions();
    let at = |x: u32, y: u32| {
        let p = img.get_pixel(x, y);
        [p[0], p[1], p[2]]
    };
    [
        at(w / 4, h / 4),
        at(3 * w / 4, h / 4),
        at(w / 4, 3 * h / 4),
        at(3 * w / 4, 3 * h / 4),
    ]
}

pub fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb(QUADRANTS[usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2)])
    })
}

/// Encodes `img` as a JPEG of `kind`, with an Exif orientation if given.
pub fn jpeg_of(img: RgbImage, kind: JpegKind, orientation: Option<(u16, bool)>) -> Vec<u8> {
    jpeg_with_icc(img, kind, orientation, None)
}

/// Like [`jpeg_of`], with an embedded ICC profile.
pub fn jpeg_with_icc(
    img: RgbImage,
    kind: JpegKind,
    orientation: Option<(u16, bool)>,
    icc: Option<&[u8]>,
) -> Vec<u8> {
    use jpeg_encoder::{ColorType, Encoder};
    let (w, h) = img.dimensions();
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 90);
    if let Some(profile) = icc {
        enc.add_icc_profile(profile).unwrap();
    }
    if let Some((v, big)) = orientation {
        enc.add_app_segment(1, exif_block(v, big)).unwrap();
    }
    let (data, color): (Vec<u8>, ColorType) = match kind {
        JpegKind::Baseline => (img.into_raw(), ColorType::Rgb),
        JpegKind::Progressive => {
            enc.set_progressive(true);
            (img.into_raw(), ColorType::Rgb)
        }
        JpegKind::Gray => (img.pixels().map(|p| p[1]).collect(), ColorType::Luma),
        JpegKind::Cmyk | JpegKind::Ycck => {
            let cmyk = img
                .pixels()
                .flat_map(|p| [255 - p[0], 255 - p[1], 255 - p[2], 0])
                .collect();
            (
                cmyk,
                if matches!(kind, JpegKind::Cmyk) {
                    ColorType::Cmyk
                } else {
                    ColorType::CmykAsYcck
                },
            )
        }
    };
    enc.encode(&data, w as u16, h as u16, color).unwrap();
    out
}

/// A PNG of any colour type and depth, with optional eXIf orientation and APNG frames.
pub fn png(
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    orientation: Option<u16>,
    frames: u32,
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if color == png::ColorType::Indexed {
            let entries = 1usize << (depth as u8).min(8);
            enc.set_palette(
                (0..entries * 3)
                    .map(|i| (i * 37 % 256) as u8)
                    .collect::<Vec<_>>(),
            );
            enc.set_trns(vec![0u8, 255]);
        }
        if frames > 1 {
            enc.set_animated(frames, 0).unwrap();
        }
        let mut writer = enc.write_header().unwrap();
        if let Some(v) = orientation {
            writer
                .write_chunk(png::chunk::eXIf, &exif_block(v, false)[6..])
                .unwrap();
        }
        let samples = match color {
            png::ColorType::Grayscale | png::ColorType::Indexed => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
        };
        let bits = samples * depth as usize;
        let row = (w as usize * bits).div_ceil(8);
        let data: Vec<u8> = (0..row * h as usize)
            .map(|i| (i * 31 % 251) as u8 & mask(color, depth))
            .collect();
        for _ in 0..frames {
            writer.write_image_data(&data).unwrap();
        }
        writer.finish().unwrap();
    }
    out
}

/// Palette indices must stay inside the palette.
fn mask(color: png::ColorType, depth: png::BitDepth) -> u8 {
    if color == png::ColorType::Indexed && depth == png::BitDepth::Eight {
        0x0F
    } else {
        0xFF
    }
}

/// A GIF of `frames` frames whose pixels are noise (so LZW cannot shrink them much); animated
/// ones loop (a NETSCAPE2.0 extension) when `looping`.
pub fn gif_with(w: u16, h: u16, frames: u16, gif87: bool, looping: bool) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
        let mut enc = gif::Encoder::new(&mut out, w, h, &palette).unwrap();
        if looping {
            enc.set_repeat(gif::Repeat::Infinite).unwrap();
        }
        for f in 0..frames {
            let seed = u32::from(f).wrapping_mul(0x9E37_79B9);
            let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
                .map(|i| {
                    let mut x = (i ^ seed).wrapping_mul(0x9E37_79B1);
                    x ^= x >> 15;
                    x = x.wrapping_mul(0x85EB_CA6B);
                    (x ^ (x >> 13)) as u8
                })
                .collect();
            let frame = gif::Frame {
                width: w,
                height: h,
                buffer: pixels.into(),
                ..Default::default()
            };
            enc.write_frame(&frame).unwrap();
        }
    }
    if gif87 {
        out[3..6].copy_from_slice(b"87a");
    }
    out
}

/// A GIF of `frames` noise frames; animated ones loop.
pub fn gif(w: u16, h: u16, frames: u16, gif87: bool) -> Vec<u8> {
    gif_with(w, h, frames, gif87, frames > 1)
}

pub fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A lossless WebP (VP8L), from the `image` crate's encoder.
pub fn webp_lossless(w: u32, h: u32, alpha: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
    if alpha {
        let img = RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([x as u8, y as u8, 9, (x + y) as u8])
        });
        enc.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .unwrap();
    } else {
        enc.write_image(rgb(w, h).as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
    }
    out
}

/// Wraps a simple WebP into the extended format (VP8X) with an EXIF chunk.
pub fn webp_extended_with_exif(simple: &[u8], w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let image_chunk = &simple[12..];
    let exif = &exif_block(orientation, false)[6..];
    let mut body = b"WEBP".to_vec();
    body.extend_from_slice(b"VP8X");
    body.extend_from_slice(&10u32.to_le_bytes());
    body.push(0x08 | 0x10); // EXIF and alpha flags
    body.extend_from_slice(&[0, 0, 0]);
    body.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    body.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    body.extend_from_slice(image_chunk);
    body.extend_from_slice(b"EXIF");
    body.extend_from_slice(&(exif.len() as u32).to_le_bytes());
    body.extend_from_slice(exif);
    if exif.len() % 2 == 1 {
        body.push(0);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A PNG whose IHDR declares `w` x `h` and whose data is a few bytes: a decompression bomb's
/// header.
pub fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0, 0, 0, 0]);
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    v.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    v
}

/// `png` with a chunk inserted right after IHDR.
pub fn with_png_chunk(png: &[u8], kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let at = 8 + 25; // signature + IHDR chunk
    [&png[..at], &png_chunk(kind, body)[..], &png[at..]].concat()
}

/// A PNG whose iCCP chunk is `profile`.
pub fn png_with_icc(png: &[u8], profile: &[u8]) -> Vec<u8> {
    let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
    c.write_data(profile).unwrap();
    let body = [&b"icc\0\0"[..], &c.finish().unwrap()].concat();
    with_png_chunk(png, b"iCCP", &body)
}

/// A minimal ICC v2 output profile for CMYK (PCS XYZ, one A2B0 lut16 table, 2 grid points a
/// channel) whose inks act swapped: cyan removes green light and magenta red, where the
/// naive formula has cyan remove red. Linear light out: R = (1-M)(1-K), G = (1-C)(1-K),
/// B = (1-Y)(1-K), as D50 XYZ.
pub fn cmyk_swapped_profile() -> Vec<u8> {
    // Linear sRGB to D50 XYZ (Bradford-adapted), the matrix ICC sRGB profiles carry.
    const M: [[f64; 3]; 3] = [
        [0.436_074_7, 0.385_064_9, 0.143_080_4],
        [0.222_504_5, 0.716_878_6, 0.060_616_9],
        [0.013_932_2, 0.097_104_5, 0.714_173_3],
    ];
    let mut lut = b"mft2\0\0\0\0".to_vec();
    lut.extend_from_slice(&[4, 3, 2, 0]);
    // The 3x3 matrix (used only for XYZ input): identity.
    for i in 0..9 {
        let v: u32 = if i % 4 == 0 { 0x0001_0000 } else { 0 };
        lut.extend_from_slice(&v.to_be_bytes());
    }
    lut.extend_from_slice(&2u16.to_be_bytes());
    lut.extend_from_slice(&2u16.to_be_bytes());
    for _ in 0..4 {
        lut.extend_from_slice(&0u16.to_be_bytes());
        lut.extend_from_slice(&u16::MAX.to_be_bytes());
    }
    // The first channel varies slowest.
    for corner in 0..16u32 {
        let ink = |bit: u32| f64::from((corner >> bit) & 1);
        let (c, m, y, k) = (ink(3), ink(2), ink(1), ink(0));
        let rgb = [
            (1.0 - m) * (1.0 - k),
            (1.0 - c) * (1.0 - k),
            (1.0 - y) * (1.0 - k),
        ];
        for row in M {
            let xyz = row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2];
            // u1Fixed15: 0x8000 is 1.0.
            lut.extend_from_slice(&((xyz * 32768.0).round() as u16).to_be_bytes());
        }
    }
    for _ in 0..3 {
        lut.extend_from_slice(&0u16.to_be_bytes());
        lut.extend_from_slice(&u16::MAX.to_be_bytes());
    }
    let offset = 128 + 4 + 12;
    let size = offset + lut.len();
    let mut p = vec![0u8; 128];
    p[0..4].copy_from_slice(&(size as u32).to_be_bytes());
    p[8..12].copy_from_slice(&0x0210_0000u32.to_be_bytes());
    p[12..16].copy_from_slice(b"prtr");
    p[16..20].copy_from_slice(b"CMYK");
    p[20..24].copy_from_slice(b"XYZ ");
    p[36..40].copy_from_slice(b"acsp");
    for (i, v) in [0.9642f64, 1.0, 0.8249].into_iter().enumerate() {
        let fixed = (v * 65536.0).round() as u32;
        p[68 + 4 * i..72 + 4 * i].copy_from_slice(&fixed.to_be_bytes());
    }
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(b"A2B0");
    p.extend_from_slice(&(offset as u32).to_be_bytes());
    p.extend_from_slice(&(lut.len() as u32).to_be_bytes());
    p.extend_from_slice(&lut);
    p
}

/// The folder of committed fixtures (`tests/fixtures/README.md` says how each was made).
pub fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A committed fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap()
}

/// The one list of inputs the robustness tests (every prefix probed, every prefix prepared)
/// walk: images generated in every variant the Rust encoders write, and every committed image
/// fixture (lossy, animated and EXIF WebP; HEIC, AVIF, JPEG XL). Named by kind or file name.
pub fn every_input() -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = generated()
        .into_iter()
        .map(|(name, bytes)| (name.to_owned(), bytes))
        .collect();
    all.extend([
        (
            "progressive-exif6-64x48".to_owned(),
            jpeg(64, 48, JpegKind::Progressive, Some((6, false))),
        ),
        (
            "png-rgba-64x48".to_owned(),
            png(
                64,
                48,
                ::png::ColorType::Rgba,
                ::png::BitDepth::Eight,
                None,
                1,
            ),
        ),
        ("gif-2frames-64x48".to_owned(), gif(64, 48, 2, false)),
        (
            "webp-lossless-alpha-64x48".to_owned(),
            webp_lossless(64, 48, true),
        ),
    ]);
    let mut committed: Vec<std::path::PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e != "icc" && e != "md" && e != "py")
        })
        .collect();
    committed.sort();
    for path in committed {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        all.push((name, std::fs::read(path).unwrap()));
    }
    all
}

fn generated() -> Vec<(&'static str, Vec<u8>)> {
    let img = image::DynamicImage::ImageRgb8(rgb(24, 16));
    vec![
        ("jpeg", jpeg(24, 16, JpegKind::Baseline, Some((6, false)))),
        ("progressive", jpeg(24, 16, JpegKind::Progressive, None)),
        (
            "png",
            png(
                24,
                16,
                ::png::ColorType::Rgba,
                ::png::BitDepth::Eight,
                Some(3),
                1,
            ),
        ),
        (
            "apng",
            png(
                24,
                16,
                ::png::ColorType::Rgb,
                ::png::BitDepth::Eight,
                None,
                2,
            ),
        ),
        ("gif", gif(24, 16, 3, false)),
        (
            "webp",
            webp_extended_with_exif(&webp_lossless(24, 16, true), 24, 16, 8),
        ),
        ("tiff", encode(img.clone(), image::ImageFormat::Tiff)),
        ("bmp", encode(img.clone(), image::ImageFormat::Bmp)),
        ("ico", encode(img.clone(), image::ImageFormat::Ico)),
        ("pnm", encode(img.clone(), image::ImageFormat::Pnm)),
        ("qoi", encode(img, image::ImageFormat::Qoi)),
    ]
}
