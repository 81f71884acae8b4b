//! The decoders behind the features: HEIC and AVIF (`heif`), JPEG XL (always), and the check
//! that nothing damaged is ever sent as it is.

use crate::make::{self, JpegKind, png_chunk, quadrant_colours};
use image::DynamicImage;
use visionprep::core::{ErrorCode, Format, MediaType, Size};
use visionprep::prepare::{OutputPolicy, PrepareOptions, Prepared, prepare};
use visionprep::{Limits, probe_bytes};

/// The colours of `tests/fixtures/quadrants-64x48.png`: red, green / blue, yellow.
const FIXTURE_QUADRANTS: [[u8; 3]; 4] =
    [[220, 30, 30], [30, 200, 40], [40, 60, 220], [230, 220, 40]];

/// Lossless output, so that what is checked is the decoder's colour.
fn png_out() -> PrepareOptions {
    PrepareOptions {
        output: OutputPolicy::Png,
        ..PrepareOptions::default()
    }
}

fn decoded(out: &Prepared) -> DynamicImage {
    image::load_from_memory(&out.bytes).unwrap()
}

fn assert_quadrants(name: &str, img: &DynamicImage, want: [[u8; 3]; 4], tolerance: u8) {
    let got = quadrant_colours(img);
    for (q, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.iter().zip(w).all(|(a, b)| a.abs_diff(b) <= tolerance),
            "{name}: quadrant {q} is {g:?}, want {w:?}"
        );
    }
}

/// The quadrants of the fixture turned 90 degrees anticlockwise (`irot` 1).
#[cfg_attr(not(feature = "heif-decoder"), allow(dead_code))]
fn turned_left(q: [[u8; 3]; 4]) -> [[u8; 3]; 4] {
    [q[1], q[3], q[0], q[2]]
}

/// Decodes `name` through `prepare` and checks its size, what `cost` would say of it (the
/// probe's displayed size), and its quadrants.
#[cfg(any(feature = "jxl", feature = "heif-decoder"))]
fn check_fixture(name: &str, size: Size, want: [[u8; 3]; 4], tolerance: u8) -> Prepared {
    let input = make::fixture(name);
    let probe = probe_bytes(&input, &Limits::default()).unwrap();
    let out = prepare(&input, &png_out()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(out.input_size, size, "{name}");
    assert_eq!(probe.displayed(), size, "{name}: cost agrees with prepare");
    assert_eq!(out.output_size, size, "{name}");
    assert_eq!(out.media_type, MediaType::Png, "{name}");
    let img = decoded(&out);
    assert_eq!(Size::new(img.width(), img.height()), size, "{name}");
    assert_quadrants(name, &img, want, tolerance);
    // The default policy converts (the API takes none of these formats).
    let auto = prepare(&input, &PrepareOptions::default()).unwrap();
    assert!(
        auto.actions.converted && !auto.actions.passed_through,
        "{name}"
    );
    out
}

#[cfg(feature = "jxl")]
#[test]
fn jpeg_xl_decodes_upright_in_srgb() {
    let q = FIXTURE_QUADRANTS;
    check_fixture("jxl-quad-64x48.jxl", Size::new(64, 48), q, 10);
    // The orientation is in the codestream: the 64x48 original stored turned.
    let input = make::fixture("jxl-exif6-64x48.jxl");
    let out = prepare(&input, &png_out()).unwrap();
    assert_eq!(out.output_size, Size::new(48, 64));
    assert!(out.actions.oriented);
    for name in ["jxl-64x48.jxl", "jxl-container-64x48.jxl"] {
        let out = prepare(&make::fixture(name), &png_out()).unwrap();
        assert_eq!(out.output_size, Size::new(64, 48), "{name}");
    }
}

#[cfg(feature = "heif-decoder")]
#[test]
fn heic_and_avif_decode_upright_with_their_colours() {
    let q = FIXTURE_QUADRANTS;
    let (wide, tall) = (Size::new(64, 48), Size::new(48, 64));
    check_fixture("heic-quad-64x48.heic", wide, q, 12);
    check_fixture("avif-quad-64x48.avif", wide, q, 12);
    check_fixture("avif-10bit-quad-64x48.avif", wide, q, 12);
    let out = check_fixture("heic-irot1-quad-64x48.heic", tall, turned_left(q), 12);
    assert!(out.actions.oriented);
    check_fixture("avif-irot1-quad-64x48.avif", tall, turned_left(q), 12);
    // The alpha plane: the left half is half transparent at the top.
    let out = check_fixture("avif-alpha-quad-64x48.avif", wide, q, 12);
    let img = decoded(&out).to_rgba8();
    assert!(
        img.get_pixel(8, 8)[3].abs_diff(128) <= 8,
        "{:?}",
        img.get_pixel(8, 8)
    );
    assert_eq!(img.get_pixel(56, 40)[3], 255);
    // Shrunk: 8-bit images without alpha are resized as Y, Cb and Cr planes and turned into
    // RGB at the output size (and turned after), the rest through libheif's RGB.
    let small = PrepareOptions {
        token_budget: Some(2),
        ..png_out()
    };
    for (name, want, wide_out) in [
        ("heic-quad-64x48.heic", q, true),
        ("avif-quad-64x48.avif", q, true),
        ("heic-irot1-quad-64x48.heic", turned_left(q), false),
        ("avif-irot1-quad-64x48.avif", turned_left(q), false),
        ("avif-10bit-quad-64x48.avif", q, true),
    ] {
        let out = prepare(&make::fixture(name), &small).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = out.output_size;
        assert!(s.width < 64 && s.height < 64, "{name}: {s}");
        assert_eq!(s.width > s.height, wide_out, "{name}: {s}");
        assert!(out.tokens <= 2, "{name}");
        assert_quadrants(name, &decoded(&out), want, 14);
    }
    // The Exif block says 6, HEIF says nothing: HEIF wins, the image stays as stored.
    let out = prepare(&make::fixture("heic-exif6-64x48.heic"), &png_out()).unwrap();
    assert_eq!(out.output_size, wide);
    for name in ["heic-64x48.heic", "avif-64x48.avif"] {
        let out = prepare(&make::fixture(name), &png_out()).unwrap();
        assert_eq!(out.output_size, wide, "{name}");
    }
}

#[cfg(feature = "jxl")]
#[test]
fn a_jpeg_xl_cut_short_is_truncated_by_the_decoders_error_kind() {
    for name in ["jxl-quad-64x48.jxl", "jxl-container-64x48.jxl"] {
        let input = make::fixture(name);
        let mut codes = std::collections::BTreeMap::new();
        for cut in input.len() / 2..input.len() {
            let err = prepare(&input[..cut], &png_out()).unwrap_err();
            *codes.entry(err.code()).or_insert(0) += 1;
        }
        // The codestream ends inside the frame: the data ends early, never "out of memory".
        assert!(
            codes.contains_key(&ErrorCode::Truncated),
            "{name}: {codes:?}"
        );
        assert!(
            !codes.contains_key(&ErrorCode::MemoryLimit),
            "{name}: {codes:?}"
        );
    }
}

#[cfg(not(feature = "heif-decoder"))]
#[test]
fn heic_and_avif_need_the_heif_feature() {
    for name in ["heic-quad-64x48.heic", "avif-quad-64x48.avif"] {
        let err = prepare(&make::fixture(name), &png_out()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnsupportedFormat, "{name}: {err}");
        assert!(err.to_string().contains("heif"), "{name}: {err}");
    }
}

#[cfg(not(feature = "jxl"))]
#[test]
fn jpeg_xl_needs_the_jxl_feature() {
    let err = prepare(&make::fixture("jxl-quad-64x48.jxl"), &png_out()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedFormat, "{err}");
    assert!(err.to_string().contains("jxl"), "{err}");
}

#[test]
fn every_prefix_of_the_new_formats_is_a_typed_error() {
    let mut names = Vec::new();
    if cfg!(feature = "jxl") {
        names.extend(["jxl-quad-64x48.jxl", "jxl-container-64x48.jxl"]);
    }
    if cfg!(feature = "heif-decoder") {
        names.extend(["heic-quad-64x48.heic", "avif-10bit-quad-64x48.avif"]);
    }
    for name in names {
        let input = make::fixture(name);
        for cut in 1..input.len() {
            let err = prepare(&input[..cut], &png_out())
                .err()
                .unwrap_or_else(|| panic!("{name} cut at {cut} was prepared"));
            assert!(err.format().is_some() || cut < 16, "{name} at {cut}: {err}");
        }
    }
}

/// Overwrites `len` bytes in the middle of a JPEG's entropy-coded data (never with 0xFF, so no
/// marker appears).
fn damage_jpeg(jpeg: &[u8]) -> Vec<u8> {
    let sos = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
    let mut out = jpeg.to_vec();
    let mid = sos + (jpeg.len() - sos) / 2;
    for (i, b) in out[mid..mid + 200].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37) % 0xFE;
    }
    out
}

/// A PNG whose IDAT holds a damaged zlib stream under a correct CRC.
fn damage_png_idat(png: &[u8]) -> Vec<u8> {
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap() - 4;
    let len = u32::from_be_bytes(png[idat..idat + 4].try_into().unwrap()) as usize;
    let mut body = png[idat + 8..idat + 8 + len].to_vec();
    let mid = body.len() / 2;
    for b in &mut body[mid..mid + 16] {
        *b ^= 0x5A;
    }
    let mut out = png[..idat].to_vec();
    out.extend(png_chunk(b"IDAT", &body));
    out.extend_from_slice(&png[idat + 12 + len..]);
    out
}

/// A lossy WebP whose first partition claims more bytes than the frame holds.
fn webp_bad_partition() -> Vec<u8> {
    let mut webp = make::fixture("webp-lossy-64x48.webp");
    let vp8 = webp.windows(4).position(|w| w == b"VP8 ").unwrap() + 8;
    // The frame tag's 19-bit first-partition size: set it to its maximum.
    let tag = u32::from(webp[vp8]) | u32::from(webp[vp8 + 1]) << 8 | u32::from(webp[vp8 + 2]) << 16;
    let tag = tag | (0x7FFFF << 5);
    webp[vp8..vp8 + 3].copy_from_slice(&tag.to_le_bytes()[..3]);
    webp
}

#[test]
fn damaged_files_that_fit_are_never_kept() {
    let jpeg = make::jpeg(800, 600, JpegKind::Baseline, None);
    let png = make::encode(
        DynamicImage::ImageRgb8(make::rgb(300, 200)),
        image::ImageFormat::Png,
    );
    // The intact ones would be sent as they are.
    let opts = PrepareOptions::default();
    assert!(prepare(&jpeg, &opts).unwrap().actions.passed_through);
    assert!(prepare(&png, &opts).unwrap().actions.passed_through);
    let mut damaged = vec![
        ("png", damage_png_idat(&png), Format::Png),
        ("webp", webp_bad_partition(), Format::Webp),
    ];
    // libjpeg reports damaged entropy data; the pure-Rust JPEG decoders decode garbage that
    // ends cleanly without a word (a known gap of the pure-Rust build).
    if cfg!(feature = "libjpeg") {
        damaged.push(("jpeg", damage_jpeg(&jpeg), Format::Jpeg));
    }
    for (name, bytes, format) in &damaged {
        // The header still reads: cost sees nothing wrong.
        let probe = probe_bytes(bytes, &Limits::default()).unwrap();
        assert_eq!(probe.format, *format, "{name}");
        let err = prepare(bytes, &opts).unwrap_err();
        assert!(
            matches!(err.code(), ErrorCode::Corrupt | ErrorCode::Truncated),
            "{name}: {err}"
        );
        assert_eq!(err.format(), Some(*format), "{name}");
        // Read leniently, what decodes is encoded anew, never kept.
        let lenient = PrepareOptions {
            limits: Limits::default().with_lenient(true),
            ..PrepareOptions::default()
        };
        if let Ok(out) = prepare(bytes, &lenient) {
            assert!(!out.actions.passed_through, "{name}");
            image::load_from_memory(&out.bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn lossy_webp_is_shrunk_into_the_smaller_format() {
    let opts = PrepareOptions::default();
    for name in [
        "webp-lossy-1300x1000.webp",
        "webp-lossy-alpha-1300x1000.webp",
    ] {
        let input = make::fixture(name);
        let out = prepare(&input, &opts).unwrap();
        assert!(out.actions.resized, "{name}");
        let img = decoded(&out);
        assert_eq!(
            Size::new(img.width(), img.height()),
            out.output_size,
            "{name}"
        );
        if cfg!(feature = "libwebp") {
            // Lossy WebP in, lossy WebP out: a fraction of the JPEG the pure-Rust build
            // writes, and the alpha survives.
            assert_eq!(out.media_type, MediaType::Webp, "{name}");
            assert_eq!(img.color().has_alpha(), name.contains("alpha"), "{name}");
            let jpeg = prepare(
                &input,
                &PrepareOptions {
                    output: OutputPolicy::Jpeg,
                    ..PrepareOptions::default()
                },
            )
            .unwrap();
            assert!(out.bytes.len() < jpeg.bytes.len(), "{name}");
        } else if name.contains("alpha") {
            assert_eq!(out.media_type, MediaType::Png, "{name}");
        } else {
            assert_eq!(out.media_type, MediaType::Jpeg, "{name}");
        }
    }
}

#[test]
fn arithmetic_restart_and_progressive_jpegs_decode() {
    let q = FIXTURE_QUADRANTS;
    let opts = PrepareOptions::default();
    // Restart markers in a progressive file: valid, kept once it decoded.
    let input = make::fixture("jpeg-restart-progressive-quad-64x48.jpg");
    let out = prepare(&input, &opts).unwrap();
    assert!(out.actions.passed_through);
    // Arithmetic coding: libjpeg-turbo decodes it; it is re-encoded as Huffman (few decoders
    // take arithmetic coding), never kept.
    let input = make::fixture("jpeg-arith-quad-64x48.jpg");
    let libjpeg = cfg!(feature = "libjpeg");
    match prepare(&input, &opts) {
        Ok(out) => {
            assert!(libjpeg, "decoded without libjpeg");
            assert!(!out.actions.passed_through && out.actions.reencoded);
            assert_eq!(out.media_type, MediaType::Jpeg);
            assert_quadrants("arithmetic", &decoded(&out), q, 16);
        }
        Err(e) => {
            assert!(!libjpeg, "{e}");
            assert_eq!(e.code(), ErrorCode::UnsupportedFormat, "{e}");
        }
    }
}

/// A GIF with a `screen` logical screen whose only frame is `frame` (w, h) at `at` (left,
/// top), every pixel palette entry 1 (pure red).
fn gif_frame_at(screen: (u16, u16), frame: (u16, u16), at: (u16, u16)) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0, 0, 0, 255, 0, 0];
        let mut enc = gif::Encoder::new(&mut out, screen.0, screen.1, &palette).unwrap();
        let frame = gif::Frame {
            left: at.0,
            top: at.1,
            width: frame.0,
            height: frame.1,
            buffer: vec![1u8; usize::from(frame.0) * usize::from(frame.1)].into(),
            ..Default::default()
        };
        enc.write_frame(&frame).unwrap();
    }
    out
}

#[test]
fn a_gif_frame_past_its_screen_is_shown_clipped_to_the_screen() {
    // A 50x50 frame at 80,80 on a 100x100 screen: browsers show its top-left 20x20 corner.
    let gif = gif_frame_at((100, 100), (50, 50), (80, 80));
    let probe = probe_bytes(&gif, &Limits::default()).unwrap();
    assert_eq!(probe.stored, Size::new(100, 100));
    let out = prepare(&gif, &PrepareOptions::default()).unwrap();
    assert!(!out.actions.passed_through, "never sent as it is");
    assert_eq!(out.output_size, Size::new(100, 100));
    let img = decoded(&out).to_rgba8();
    assert_eq!((img.width(), img.height()), (100, 100));
    assert_eq!(
        img.get_pixel(90, 90).0,
        [255, 0, 0, 255],
        "the frame, clipped"
    );
    assert_eq!(img.get_pixel(99, 99).0, [255, 0, 0, 255]);
    assert_eq!(
        img.get_pixel(79, 79).0[3],
        0,
        "outside the frame: transparent"
    );
    // One inside its screen is still sent byte for byte.
    let inside = gif_frame_at((100, 100), (50, 50), (10, 10));
    assert!(
        prepare(&inside, &PrepareOptions::default())
            .unwrap()
            .actions
            .passed_through
    );
}

#[test]
fn a_gif_frame_declared_over_the_pixel_limit_is_refused_before_allocation() {
    // A tiny screen, a frame declared 60000x60000 (3.6 GP) with almost no data.
    let mut gif = gif_frame_at((16, 16), (4, 4), (0, 0));
    // The image descriptor: after the header, the global colour table and any extensions
    // (introducer, label, then sub-blocks up to an empty one).
    let mut d = 13 + (3 << ((gif[10] & 7) + 1));
    while gif[d] == 0x21 {
        d += 2;
        while gif[d] != 0 {
            d += usize::from(gif[d]) + 1;
        }
        d += 1;
    }
    assert_eq!(gif[d], 0x2C, "the image descriptor");
    gif[d + 5..d + 7].copy_from_slice(&60000u16.to_le_bytes());
    gif[d + 7..d + 9].copy_from_slice(&60000u16.to_le_bytes());
    let err = prepare(&gif, &PrepareOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DimensionsTooLarge, "{err}");
}

/// The chunks of a PNG, as (type, whole chunk bytes), signature left out.
fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = png[pos + 4..pos + 8].try_into().unwrap();
        out.push((kind, png[pos..pos + 12 + len].to_vec()));
        pos += 12 + len;
    }
    out
}

fn reassemble(parts: &[&[u8]]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for p in parts {
        png.extend_from_slice(p);
    }
    png
}

#[test]
fn png_animation_chunks_are_dropped_whatever_frames_they_declare() {
    // A well-formed two-frame APNG whose default image is its first frame.
    let apng = make::png(300, 200, png::ColorType::Rgb, png::BitDepth::Eight, None, 2);
    let c = chunks(&apng);
    let find = |k: &[u8; 4]| {
        c.iter()
            .find(|(t, _)| t == k)
            .map(|(_, b)| b.clone())
            .unwrap()
    };
    let (ihdr, actl, idat, iend) = (find(b"IHDR"), find(b"acTL"), find(b"IDAT"), find(b"IEND"));
    let fctls: Vec<_> = c
        .iter()
        .filter(|(t, _)| t == b"fcTL")
        .map(|(_, b)| b.clone())
        .collect();
    let fdat = find(b"fdAT");
    let actl_one = png_chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("well formed", apng.clone()),
        // The malformed kinds of Pillow's APNG tests: the probe counts none of these as an
        // animation, and some decoders refuse them.
        (
            "acTL after IDAT",
            reassemble(&[&ihdr, &idat, &actl_one, &fctls[1], &fdat, &iend]),
        ),
        (
            "two acTL",
            reassemble(&[&ihdr, &actl_one, &actl_one, &idat, &fctls[1], &fdat, &iend]),
        ),
        (
            "no fcTL",
            reassemble(&[&ihdr, &actl_one, &idat, &fdat, &iend]),
        ),
        (
            "fcTL repeated",
            reassemble(&[&ihdr, &actl_one, &idat, &fctls[1], &fctls[1], &fdat, &iend]),
        ),
        (
            "no acTL",
            reassemble(&[&ihdr, &idat, &fctls[1], &fdat, &iend]),
        ),
        (
            "fcTL before acTL",
            reassemble(&[&ihdr, &fctls[0], &actl, &idat, &fctls[1], &fdat, &iend]),
        ),
    ];
    let still = reassemble(&[&ihdr, &idat, &iend]);
    let expected = image::load_from_memory(&still).unwrap().to_rgba8();
    for (name, bytes) in &cases {
        let out =
            prepare(bytes, &PrepareOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.actions.animation_dropped, "{name}");
        assert!(!out.actions.passed_through, "{name}: changed, so not kept");
        assert!(out.actions.names().contains(&"animation-dropped"), "{name}");
        assert_eq!(out.media_type, MediaType::Png, "{name}");
        for (kind, _) in chunks(&out.bytes) {
            assert!(
                ![*b"acTL", *b"fcTL", *b"fdAT"].contains(&kind),
                "{name}: {kind:?} left in"
            );
        }
        // Nothing else to do to it: the default image's own bytes, not re-encoded.
        assert_eq!(out.bytes, still, "{name}");
        assert_eq!(
            image::load_from_memory(&out.bytes).unwrap().to_rgba8(),
            expected,
            "{name}"
        );
    }
    // A resized APNG is the default image, resized, and says so too.
    let big = make::png(
        3000,
        2000,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        None,
        2,
    );
    let out = prepare(&big, &PrepareOptions::default()).unwrap();
    assert!(out.actions.animation_dropped && out.actions.resized);
}

#[test]
fn an_animated_gif_says_its_animation_was_dropped() {
    let out = prepare(&make::gif(64, 48, 3, false), &PrepareOptions::default()).unwrap();
    assert!(out.actions.animation_dropped);
    let still = prepare(&make::gif(64, 48, 1, false), &PrepareOptions::default()).unwrap();
    assert!(!still.actions.animation_dropped);
}
