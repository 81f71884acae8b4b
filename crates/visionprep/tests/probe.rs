//! The probe against decoded truth, for every format variant and orientation.

use crate::make::{self, JpegKind};
use image::{ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;
use visionprep::core::{ErrorCode, Format, Orientation, Size};
use visionprep::{Limits, Probe, ProbeError, probe_bytes, probe_path};

fn probe(bytes: &[u8]) -> Probe {
    probe_bytes(bytes, &Limits::default()).unwrap_or_else(|e| panic!("probe failed: {e}"))
}

/// Size and orientation as the `image` crate's decoders report them.
fn truth(bytes: &[u8]) -> (Size, Orientation) {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap();
    let mut decoder = reader.into_decoder().unwrap();
    let (w, h) = decoder.dimensions();
    let o = decoder.orientation().unwrap();
    let o = Orientation::from_exif(u16::from(o.to_exif())).unwrap();
    (Size::new(w, h), o)
}

fn check(bytes: &[u8], format: Format) -> Probe {
    let p = probe(bytes);
    let (size, orientation) = truth(bytes);
    assert_eq!(p.format, format);
    assert_eq!(p.stored, size, "{format} size");
    assert_eq!(p.orientation, orientation, "{format} orientation");
    assert_eq!(p.bytes, bytes.len() as u64);
    p
}

#[test]
fn jpeg_variants() {
    for kind in [
        JpegKind::Baseline,
        JpegKind::Progressive,
        JpegKind::Gray,
        JpegKind::Cmyk,
        JpegKind::Ycck,
    ] {
        let bytes = make::jpeg(67, 45, kind, None);
        let p = check(&bytes, Format::Jpeg);
        let info = p.jpeg.unwrap();
        assert_eq!(
            info.progressive,
            matches!(kind, JpegKind::Progressive),
            "{kind:?}"
        );
        let components = match kind {
            JpegKind::Gray => 1,
            JpegKind::Cmyk | JpegKind::Ycck => 4,
            _ => 3,
        };
        assert_eq!(info.components, components, "{kind:?}");
        if matches!(kind, JpegKind::Ycck) {
            assert_eq!(info.adobe_transform, Some(2));
        }
        if matches!(kind, JpegKind::Cmyk) {
            assert_eq!(info.adobe_transform, Some(0));
        }
        assert_eq!(p.frames, Some(1));
        assert!(!p.animated);
    }
}

#[test]
fn all_eight_orientations() {
    for v in 1..=8u16 {
        for big in [false, true] {
            let bytes = make::jpeg(40, 30, JpegKind::Baseline, Some((v, big)));
            let p = check(&bytes, Format::Jpeg);
            assert_eq!(p.orientation.exif_value(), v as u8);
            assert!(p.metadata.exif);
            let expect = if v >= 5 {
                Size::new(30, 40)
            } else {
                Size::new(40, 30)
            };
            assert_eq!(p.displayed(), expect);
        }
        let png = make::png(
            40,
            30,
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            Some(v),
            1,
        );
        let p = check(&png, Format::Png);
        assert_eq!(p.orientation.exif_value(), v as u8);
        let webp = make::webp_extended_with_exif(&make::webp_lossless(40, 30, true), 40, 30, v);
        let p = check(&webp, Format::Webp);
        assert_eq!(p.orientation.exif_value(), v as u8, "webp {v}");
        assert!(p.metadata.exif);
    }
}

#[test]
fn png_every_colour_type_and_depth() {
    use png::{BitDepth as D, ColorType as C};
    let combos = [
        (C::Grayscale, D::One),
        (C::Grayscale, D::Two),
        (C::Grayscale, D::Four),
        (C::Grayscale, D::Eight),
        (C::Grayscale, D::Sixteen),
        (C::Rgb, D::Eight),
        (C::Rgb, D::Sixteen),
        (C::Indexed, D::One),
        (C::Indexed, D::Two),
        (C::Indexed, D::Four),
        (C::Indexed, D::Eight),
        (C::GrayscaleAlpha, D::Eight),
        (C::GrayscaleAlpha, D::Sixteen),
        (C::Rgba, D::Eight),
        (C::Rgba, D::Sixteen),
    ];
    for (color, depth) in combos {
        let bytes = make::png(33, 17, color, depth, None, 1);
        let p = check(&bytes, Format::Png);
        let info = p.png.unwrap();
        assert_eq!(info.bit_depth, depth as u8);
        assert_eq!(info.color_type, color as u8);
        assert_eq!(info.transparency, color == C::Indexed);
    }
}

#[test]
fn animation_is_counted() {
    let apng = make::png(20, 10, png::ColorType::Rgba, png::BitDepth::Eight, None, 3);
    let p = check(&apng, Format::Png);
    assert_eq!(p.frames, Some(3));
    assert!(p.animated);
    for gif87 in [false, true] {
        let still = make::gif(30, 20, 1, gif87);
        assert_eq!(&still[..6], if gif87 { b"GIF87a" } else { b"GIF89a" });
        let p = check(&still, Format::Gif);
        assert_eq!(p.frames, Some(1));
    }
    let anim = make::gif(30, 20, 5, false);
    let p = check(&anim, Format::Gif);
    assert_eq!(p.frames, Some(5));
    assert!(p.animated);
}

#[test]
fn large_gifs_are_walked_within_a_budget() {
    // Over the 64 KiB walk budget, a still GIF is still (its frame count unknown)...
    let still = make::gif_with(400, 300, 1, false, false);
    assert!(still.len() > 100_000);
    let p = check(&still, Format::Gif);
    assert_eq!((p.animated, p.frames), (false, None));
    // ...a looping one is animated...
    let looping = make::gif_with(400, 300, 3, false, true);
    let p = check(&looping, Format::Gif);
    assert_eq!((p.animated, p.frames), (true, None));
    // ...and one whose second frame starts within the budget is animated without a loop.
    let small_frames = make::gif_with(100, 100, 40, false, false);
    assert!(small_frames.len() > 300_000);
    let p = check(&small_frames, Format::Gif);
    assert_eq!((p.animated, p.frames), (true, None));
    // Small ones are counted exactly.
    let p = check(&make::gif_with(100, 100, 4, false, false), Format::Gif);
    assert_eq!((p.animated, p.frames), (true, Some(4)));
}

#[test]
fn webp_variants() {
    for alpha in [false, true] {
        let p = check(&make::webp_lossless(51, 23, alpha), Format::Webp);
        assert_eq!(p.frames, Some(1));
    }
    let p = check(
        &make::webp_extended_with_exif(&make::webp_lossless(51, 23, true), 51, 23, 1),
        Format::Webp,
    );
    assert_eq!(p.stored, Size::new(51, 23));
}

/// Small files made with libwebp, libheif and libjxl tools (`tests/fixtures/README.md`), for
/// the variants no Rust encoder writes: lossy WebP, HEIC, AVIF, JPEG XL.
#[test]
fn committed_fixtures() {
    type Case = (&'static str, Format, (u32, u32), u8, Option<u32>);
    let cases: [Case; 10] = [
        ("webp-lossy-64x48.webp", Format::Webp, (64, 48), 1, Some(1)),
        (
            "webp-lossy-alpha-64x48.webp",
            Format::Webp,
            (64, 48),
            1,
            Some(1),
        ),
        (
            "webp-lossy-exif6-64x48.webp",
            Format::Webp,
            (64, 48),
            6,
            Some(1),
        ),
        (
            "webp-anim-3frames-64x48.webp",
            Format::Webp,
            (64, 48),
            1,
            Some(3),
        ),
        ("heic-64x48.heic", Format::Heic, (64, 48), 1, None),
        // Orientation in HEIF is the irot property; an Exif tag is ignored, as libheif does.
        ("heic-exif6-64x48.heic", Format::Heic, (64, 48), 1, None),
        ("avif-64x48.avif", Format::Avif, (64, 48), 1, None),
        ("jxl-64x48.jxl", Format::JpegXl, (64, 48), 1, None),
        ("jxl-container-64x48.jxl", Format::JpegXl, (64, 48), 1, None),
        ("jxl-exif6-64x48.jxl", Format::JpegXl, (64, 48), 6, None),
    ];
    for (name, format, (w, h), orientation, frames) in cases {
        let bytes = make::fixture(name);
        let p = probe(&bytes);
        assert_eq!(p.format, format, "{name}");
        assert_eq!(p.stored, Size::new(w, h), "{name}");
        assert_eq!(p.orientation.exif_value(), orientation, "{name}");
        assert_eq!(p.frames, frames, "{name}");
        if format == Format::Webp && frames == Some(1) {
            assert_eq!(
                truth(&bytes),
                (p.stored, p.orientation),
                "{name} against image's decoder"
            );
        }
        for cut in 0..bytes.len() {
            let _ = probe_bytes(&bytes[..cut], &Limits::default());
        }
    }
}

#[test]
fn convertible_formats() {
    let img = image::DynamicImage::ImageRgb8(make::rgb(45, 31));
    for (fmt, format) in [
        (ImageFormat::Tiff, Format::Tiff),
        (ImageFormat::Bmp, Format::Bmp),
        (ImageFormat::Ico, Format::Ico),
        (ImageFormat::Pnm, Format::Pnm),
        (ImageFormat::Qoi, Format::Qoi),
    ] {
        let bytes = make::encode(img.clone(), fmt);
        let p = check(&bytes, format);
        assert_eq!(p.media_type(), None, "{format} is not an API format");
    }
}

#[test]
fn garbage_after_a_valid_header_still_probes() {
    let mut jpeg = make::jpeg(64, 48, JpegKind::Baseline, None);
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let n = jpeg.len();
    for (i, b) in jpeg[sos + 20..n - 2].iter_mut().enumerate() {
        *b = (i * 97 % 255) as u8; // never 0xFF, so no marker appears
    }
    assert_eq!(probe(&jpeg).stored, Size::new(64, 48));
    let mut png = make::png(64, 48, png::ColorType::Rgb, png::BitDepth::Eight, None, 1);
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
    for b in &mut png[idat + 4..idat + 40] {
        *b = 0x5A;
    }
    assert_eq!(probe(&png).stored, Size::new(64, 48));
}

#[test]
fn every_prefix_is_an_error_or_a_probe_never_a_panic() {
    let mut tried = 0;
    let all = make::every_input();
    for (name, bytes) in &all {
        let (name, bytes) = (name.as_str(), bytes.as_slice());
        let full = probe(bytes);
        for cut in 0..bytes.len() {
            tried += 1;
            match probe_bytes(&bytes[..cut], &Limits::default()) {
                Ok(p) => assert_eq!(p.stored, full.stored, "{name} cut at {cut}"),
                Err(e) => {
                    let code = e.code();
                    assert!(
                        matches!(
                            code,
                            ErrorCode::Truncated
                                | ErrorCode::Empty
                                | ErrorCode::NotAnImage
                                | ErrorCode::Corrupt
                        ),
                        "{name} cut at {cut}: {e}"
                    );
                }
            }
        }
        // Cut inside the data, JPEG and PNG are reported as truncated by their missing end.
        if matches!(name, "jpeg" | "progressive" | "png" | "apng") {
            let err = probe_bytes(&bytes[..bytes.len() - 13], &Limits::default()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Truncated, "{name}: {err}");
        }
    }
    eprintln!("{tried} prefixes of {} inputs probed", all.len());
}

#[test]
fn declared_sizes_are_checked_not_trusted() {
    let bomb = make::png_header_only(50_000, 50_000);
    assert!(bomb.len() < 100);
    let err = probe_bytes(&bomb, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DimensionsTooLarge);
    assert!(err.to_string().contains("50000x50000"), "{err}");
    // The same header under the limit probes fine.
    assert_eq!(
        probe(&make::png_header_only(8000, 6000)).stored,
        Size::new(8000, 6000)
    );
    let tight = Limits::with_max_pixels(1000);
    assert_eq!(
        probe_bytes(&make::png_header_only(40, 30), &tight)
            .unwrap_err()
            .code(),
        ErrorCode::DimensionsTooLarge
    );
    // A JPEG whose SOF is edited to 65500x65500.
    let mut jpeg = make::jpeg(16, 16, JpegKind::Baseline, None);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xDC, 0xFF, 0xDC]);
    let err = probe_bytes(&jpeg, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DimensionsTooLarge, "{err}");
}

#[test]
fn non_images() {
    let limits = Limits::default();
    assert!(matches!(probe_bytes(b"", &limits), Err(ProbeError::Empty)));
    let e = probe_bytes(b"hello, world\n", &limits).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAnImage);
    assert_eq!(e.to_string(), "not an image (text)");
    let e = probe_bytes(b"PK\x03\x04rest", &limits).unwrap_err();
    assert!(e.to_string().contains("ZIP"));
    let e = probe_bytes(b"%PDF-1.7\n", &limits).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedFormat);
    let e = probe_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>", &limits).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedFormat);
}

#[test]
fn files_probe_like_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in make::every_input() {
        let path = dir.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            probe_path(&path, &Limits::default()).unwrap(),
            probe(&bytes),
            "{name}"
        );
    }
    // A JPEG whose frame header comes after a 60 KiB Exif block needs a second read.
    let mut big_exif = make::exif_block(6, false);
    big_exif.resize(60_000, 0);
    let mut jpeg = make::jpeg(30, 20, JpegKind::Baseline, None);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((big_exif.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(&big_exif);
    jpeg.splice(2..2, seg);
    let path = dir.path().join("big-exif.jpg");
    std::fs::write(&path, &jpeg).unwrap();
    let p = probe_path(&path, &Limits::default()).unwrap();
    assert_eq!(
        (p.stored, p.orientation),
        (Size::new(30, 20), Orientation::Rotate90)
    );
    let e = probe_path(dir.path(), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreadable);
    let e = probe_path(dir.path().join("missing"), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreadable);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.jpg");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "mkfifo (coreutils) failed"
    );
    let e = probe_path(&fifo, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
}
