//! `prepare`: every output is Claude-ready, upright, with the right colours and quality.

use crate::make::{self, JpegKind, QUADRANTS, quadrant_colours};
use image::{DynamicImage, GenericImageView, ImageFormat, RgbImage};
use visionprep::core::{ErrorCode, Format, MediaType, Size, TierLimits, fit_target, fits, sniff};
use visionprep::prepare::{OutputPolicy, PrepareOptions, Prepared, prepare};
use visionprep::{Limits, probe_bytes};

fn options() -> PrepareOptions {
    PrepareOptions::default()
}

/// The checks every prepared output must pass.
fn check_output(name: &str, input: &[u8], out: &Prepared, opts: &PrepareOptions) -> DynamicImage {
    let sniffed = sniff(&out.bytes).and_then(Format::media_type);
    assert_eq!(
        sniffed,
        Some(out.media_type),
        "{name}: media type matches the bytes"
    );
    let decoded = image::load_from_memory(&out.bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let size = Size::new(decoded.width(), decoded.height());
    assert_eq!(size, out.output_size, "{name}");
    assert!(fits(size, opts.target.tier()), "{name}: {size} fits");
    assert_eq!(
        size,
        fit_target(out.input_size, opts.target.tier()),
        "{name}: the largest size kept"
    );
    assert!(
        opts.request.image_bytes_ok(out.bytes.len() as u64),
        "{name}: under the cap"
    );
    let probe = probe_bytes(&out.bytes, &Limits::default()).unwrap();
    assert!(
        probe.orientation.is_identity(),
        "{name}: no orientation left"
    );
    if !out.actions.passed_through {
        assert!(
            !probe.metadata.exif && !probe.metadata.icc && !probe.metadata.xmp,
            "{name}: {:?}",
            probe.metadata
        );
        assert!(!contains(&out.bytes, b"Exif\0\0"), "{name}: no Exif block");
    } else {
        assert_eq!(out.bytes, input, "{name}: passed through byte for byte");
    }
    assert_eq!(out.tokens, opts.token_rule.tokens(size, opts.target.tier()));
    decoded
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    make::encode(img, format)
}

#[test]
fn every_kind_of_input_comes_out_ready() {
    let opts = options();
    let photo = DynamicImage::ImageRgb8(photo_like(2400, 1600));
    let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(1800, 1200, |x, y| {
        image::Rgba([
            (x % 251) as u8,
            (y % 241) as u8,
            90,
            if x < 900 { 255 } else { 40 },
        ])
    }));
    let cases: Vec<(&str, Vec<u8>, MediaType)> = vec![
        (
            "jpeg",
            make::jpeg(3000, 2000, JpegKind::Baseline, Some((6, false))),
            MediaType::Jpeg,
        ),
        (
            "progressive",
            make::jpeg(2000, 3000, JpegKind::Progressive, None),
            MediaType::Jpeg,
        ),
        (
            "gray",
            make::jpeg(1700, 1700, JpegKind::Gray, None),
            MediaType::Jpeg,
        ),
        (
            "cmyk",
            make::jpeg(2200, 1400, JpegKind::Cmyk, None),
            MediaType::Jpeg,
        ),
        (
            "ycck",
            make::jpeg(2200, 1400, JpegKind::Ycck, None),
            MediaType::Jpeg,
        ),
        (
            "png-rgb",
            encode(photo.clone(), ImageFormat::Png),
            MediaType::Png,
        ),
        (
            "png-rgba",
            encode(rgba.clone(), ImageFormat::Png),
            MediaType::Png,
        ),
        (
            "png-16",
            encode(DynamicImage::ImageRgb16(photo.to_rgb16()), ImageFormat::Png),
            MediaType::Png,
        ),
        (
            "png-exif",
            make::png(
                600,
                400,
                png::ColorType::Rgb,
                png::BitDepth::Eight,
                Some(8),
                1,
            ),
            MediaType::Png,
        ),
        (
            "gif-animated",
            make::gif(300, 200, 3, false),
            MediaType::Png,
        ),
        (
            "webp-lossless",
            make::webp_lossless(2000, 1000, true),
            MediaType::Webp,
        ),
        (
            "tiff-photo",
            encode(photo.clone(), ImageFormat::Tiff),
            MediaType::Jpeg,
        ),
        ("bmp-rgba", encode(rgba, ImageFormat::Bmp), MediaType::Png),
        ("qoi", encode(photo, ImageFormat::Qoi), MediaType::Jpeg),
    ];
    for (name, input, expect) in cases {
        let out = prepare(&input, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.media_type, expect, "{name}");
        check_output(name, &input, &out, &opts);
        assert!(!out.actions.passed_through, "{name}");
    }
}

#[test]
fn committed_lossy_webp_becomes_webp_jpeg_or_png() {
    let dir = make::fixture_dir();
    let opts = options();
    for (name, expect) in [
        ("webp-lossy-64x48.webp", MediaType::Webp),
        // Lossy WebP stays lossy WebP where libwebp can write it.
        (
            "webp-lossy-exif6-64x48.webp",
            if cfg!(feature = "libwebp") {
                MediaType::Webp
            } else {
                MediaType::Jpeg
            },
        ),
        ("webp-lossy-alpha-64x48.webp", MediaType::Webp),
        (
            "webp-anim-3frames-64x48.webp",
            if cfg!(feature = "libwebp") {
                MediaType::Webp
            } else {
                MediaType::Jpeg
            },
        ),
    ] {
        let input = std::fs::read(dir.join(name)).unwrap();
        let out = prepare(&input, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.media_type, expect, "{name}");
        check_output(name, &input, &out, &opts);
    }
}

#[test]
fn ready_images_pass_through_byte_for_byte() {
    let opts = options();
    let png = encode(
        DynamicImage::ImageRgb8(make::rgb(1092, 1092)),
        ImageFormat::Png,
    );
    let out = prepare(&png, &opts).unwrap();
    assert!(out.actions.passed_through);
    assert_eq!(out.actions.names(), ["kept"]);
    check_output("png", &png, &out, &opts);
    let jpeg = make::jpeg(800, 600, JpegKind::Baseline, None);
    assert!(prepare(&jpeg, &opts).unwrap().actions.passed_through);
    // The same JPEG with an Exif block (even upright) is re-encoded without it.
    let tagged = make::jpeg(800, 600, JpegKind::Baseline, Some((1, false)));
    let out = prepare(&tagged, &opts).unwrap();
    assert!(!out.actions.passed_through && out.actions.metadata_stripped);
    check_output("tagged", &tagged, &out, &opts);
    // A policy naming another format converts.
    let o = PrepareOptions {
        output: OutputPolicy::Jpeg,
        ..options()
    };
    let out = prepare(&png, &o).unwrap();
    assert_eq!(out.media_type, MediaType::Jpeg);
    assert!(out.actions.converted);
}

fn assert_close(name: &str, got: [[u8; 3]; 4], want: [[u8; 3]; 4], tolerance: u8) {
    for (q, (g, w)) in got.iter().zip(want).enumerate() {
        for c in 0..3 {
            assert!(
                g[c].abs_diff(w[c]) <= tolerance,
                "{name}: quadrant {q} is {g:?}, want {w:?}"
            );
        }
    }
}

/// The stored pixels that an `orientation` tag turns into `upright`.
fn stored_for(upright: &RgbImage, orientation: u8) -> RgbImage {
    use image::imageops::{flip_horizontal, flip_vertical, rotate90, rotate180, rotate270};
    match orientation {
        1 => upright.clone(),
        2 => flip_horizontal(upright),
        3 => rotate180(upright),
        4 => flip_vertical(upright),
        // Transpose: stored (x, y) is shown at (y, x).
        5 => flip_horizontal(&rotate90(upright)),
        6 => rotate270(upright),
        // Transverse: the transpose across the other diagonal.
        7 => rotate90(&flip_horizontal(upright)),
        8 => rotate90(upright),
        _ => unreachable!(),
    }
}

#[test]
fn all_eight_orientations_come_out_upright() {
    let opts = options();
    // 2000x1200 decodes in full; 4000x2400 is shrunk while decoding (scaled IDCT), then turned.
    for (w, h) in [(2000, 1200), (4000, 2400)] {
        let upright = make::quadrants(w, h);
        for o in 1..=8u8 {
            let name = format!("{w}x{h} orientation {o}");
            let stored = stored_for(&upright, o);
            let input = make::jpeg_of(stored, JpegKind::Baseline, Some((u16::from(o), o % 2 == 0)));
            let out = prepare(&input, &opts).unwrap();
            let img = check_output(&name, &input, &out, &opts);
            assert_eq!(out.input_size, Size::new(w, h), "{name}");
            assert_eq!(out.actions.oriented, o != 1, "{name}");
            assert_close(&name, quadrant_colours(&img), QUADRANTS, 24);
        }
    }
}

#[test]
fn embedded_icc_profiles_are_converted_to_srgb() {
    // A profile whose red primary is green and green primary red: after conversion the red
    // quadrant must come out green and the green one red, on both decode paths.
    let dir = make::fixture_dir();
    let icc = std::fs::read(dir.join("icc-swapped-red-green.icc")).unwrap();
    let opts = options();
    for (w, h) in [(2000, 1200), (4000, 2400)] {
        let input =
            make::jpeg_with_icc(make::quadrants(w, h), JpegKind::Baseline, None, Some(&icc));
        let out = prepare(&input, &opts).unwrap();
        let img = check_output("icc", &input, &out, &opts);
        assert!(out.actions.color_converted, "{w}x{h}");
        let got = quadrant_colours(&img);
        let swap = |c: [u8; 3]| [c[1], c[0], c[2]];
        let want = [
            swap(QUADRANTS[0]),
            swap(QUADRANTS[1]),
            swap(QUADRANTS[2]),
            swap(QUADRANTS[3]),
        ];
        assert_close(&format!("{w}x{h} icc"), got, want, 40);
    }
    // Without a profile nothing is converted.
    let plain = make::jpeg_of(make::quadrants(2000, 1200), JpegKind::Baseline, None);
    assert!(!prepare(&plain, &opts).unwrap().actions.color_converted);
}

#[test]
fn cmyk_and_ycck_keep_their_colours() {
    let opts = options();
    for kind in [JpegKind::Cmyk, JpegKind::Ycck] {
        let input = make::jpeg_of(make::quadrants(1000, 800), kind, None);
        let out = prepare(&input, &opts).unwrap();
        let img = check_output(&format!("{kind:?}"), &input, &out, &opts);
        assert_close(&format!("{kind:?}"), quadrant_colours(&img), QUADRANTS, 24);
    }
}

fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = se / a.as_raw().len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10()
}

/// Smooth shapes and fine texture, like a photograph.
fn photo_like(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
        let r = 128.0 + 100.0 * (fx * 7.0 + fy * 3.0).sin();
        let g = 128.0 + 90.0 * (fy * 11.0 - fx * 2.0).cos();
        let b = 128.0 + 60.0 * ((fx * fy) * 40.0).sin() + 10.0 * ((x * 13 + y * 7) % 5) as f64;
        image::Rgb([r as u8, g as u8, b.clamp(0.0, 255.0) as u8])
    })
}

#[test]
fn quality_against_a_reference_resize() {
    let opts = options();
    let original = photo_like(4032, 3024);
    let input = make::jpeg_of(original, JpegKind::Baseline, None);
    let out = prepare(&input, &opts).unwrap();
    let got = check_output("photo", &input, &out, &opts).to_rgb8();
    let reference = image::load_from_memory(&input).unwrap().resize_exact(
        out.output_size.width,
        out.output_size.height,
        image::imageops::FilterType::Lanczos3,
    );
    let db = psnr(&got, &reference.to_rgb8());
    assert!(db >= 35.0, "PSNR {db:.1} dB");
}

#[test]
fn the_byte_cap_lowers_quality_then_fails_clearly() {
    let noise = RgbImage::from_fn(1500, 1000, |x, y| {
        let v =
            (x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA6B)).wrapping_mul(0x2545_F491);
        image::Rgb([(v >> 24) as u8, (v >> 16) as u8, (v >> 8) as u8])
    });
    let png = encode(DynamicImage::ImageRgb8(noise), ImageFormat::Png);
    let mut opts = options();
    opts.request.max_image_base64_bytes = 1_200_000;
    let out = prepare(&png, &opts).unwrap();
    assert_eq!(
        out.media_type,
        MediaType::Jpeg,
        "a PNG over the cap moves to JPEG"
    );
    assert!(out.actions.converted);
    check_output("capped", &png, &out, &opts);
    opts.request.max_image_base64_bytes = 20_000;
    let err = prepare(&png, &opts).unwrap_err();
    assert_eq!(err.code(), ErrorCode::EncodeFailed);
    assert!(err.to_string().contains("base64 limit"), "{err}");
}

#[test]
fn high_resolution_models_keep_more() {
    let mut opts = options();
    opts.target = opts
        .target
        .clone()
        .with_tier_limits(TierLimits::HIGH_RESOLUTION);
    let input = make::jpeg(3840, 2160, JpegKind::Baseline, None);
    let out = prepare(&input, &opts).unwrap();
    assert_eq!(out.output_size, Size::new(2576, 1449));
    check_output("high", &input, &out, &opts);
}

#[test]
fn formats_without_a_decoder_say_so() {
    let dir = make::fixture_dir();
    // HEIC and AVIF need the heif feature; JPEG XL is always built in (tests/codecs.rs).
    let names: &[&str] = if cfg!(feature = "heif-decoder") {
        &[]
    } else {
        &["heic-64x48.heic", "avif-64x48.avif"]
    };
    for name in names {
        let input = std::fs::read(dir.join(name)).unwrap();
        let err = prepare(&input, &options()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnsupportedFormat, "{name}: {err}");
        assert!(err.format().is_some());
    }
}

#[test]
fn files_over_the_read_limit_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.png");
    std::fs::write(
        &path,
        encode(
            DynamicImage::ImageRgb8(make::rgb(300, 200)),
            ImageFormat::Png,
        ),
    )
    .unwrap();
    let mut opts = options();
    opts.limits.max_file_bytes = 100;
    let err = visionprep::prepare::prepare_path(&path, &opts).unwrap_err();
    assert_eq!(err.code(), ErrorCode::MemoryLimit, "{err}");
    opts.limits.max_file_bytes = 1 << 30;
    assert!(visionprep::prepare::prepare_path(&path, &opts).is_ok());
}

#[test]
fn every_prefix_is_an_error_never_a_panic() {
    let opts = options();
    let inputs = make::every_input();
    let mut tried = 0;
    for (_, input) in &inputs {
        for cut in 0..input.len() {
            tried += 1;
            // Ok or a typed error: a panic fails the test.
            if let Ok(out) = prepare(&input[..cut], &opts) {
                assert!(fits(out.output_size, opts.target.tier()), "cut at {cut}");
            }
        }
    }
    eprintln!("{tried} prefixes of {} inputs prepared", inputs.len());
    assert!(inputs.len() >= 25 && tried > 5_000, "{tried}");
}

/// fast_image_resize picks SIMD code at run time; every backend this CPU has must give the
/// same pixels, or outputs would depend on the machine. Through visionprep-resize, the kernel
/// the library calls.
#[test]
fn every_cpu_extension_resizes_alike() {
    use visionprep_resize::{Channels, CpuExtensions, FilterType, Region, ResizeAlg, Resizer};
    let mut extensions = vec![CpuExtensions::None];
    #[cfg(target_arch = "x86_64")]
    extensions.extend([CpuExtensions::Sse4_1, CpuExtensions::Avx2]);
    #[cfg(target_arch = "aarch64")]
    extensions.push(CpuExtensions::Neon);
    let supported: Vec<CpuExtensions> = extensions
        .into_iter()
        .filter(|e| e.is_supported())
        .collect();
    assert!(!supported.is_empty());
    let lanczos = ResizeAlg::Convolution(FilterType::Lanczos3);
    for channels in [Channels::Gray, Channels::Rgb, Channels::Rgba] {
        let data: Vec<u8> = (0..1000 * 700 * channels.count() as u32)
            .map(|i| {
                let x = i.wrapping_mul(0x9E37_79B1);
                (x ^ (x >> 15)) as u8
            })
            .collect();
        let mut results = Vec::new();
        for &ext in &supported {
            let mut resizer = Resizer::new();
            // SAFETY: set_cpu_extensions is unsafe because running code for an extension the
            // CPU lacks is undefined behaviour; every extension here passed is_supported().
            #[allow(unsafe_code)]
            unsafe {
                resizer.set_cpu_extensions(ext);
            }
            let whole = Region::whole(1000, 700);
            let pixels = visionprep_resize::resize(
                &mut resizer,
                &data,
                channels,
                whole,
                (420, 294),
                lanczos,
            )
            .unwrap();
            results.push((ext, pixels));
        }
        for (ext, pixels) in &results[1..] {
            assert!(
                pixels == &results[0].1,
                "{channels:?}: {ext:?} differs from {:?}",
                results[0].0
            );
        }
        eprintln!(
            "{channels:?}: {} backends agree: {:?}",
            results.len(),
            supported
        );
    }
}

#[test]
fn cut_off_files_are_errors_unless_lenient() {
    let strict = options();
    let lenient = PrepareOptions {
        limits: Limits::DEFAULT.with_lenient(true),
        ..options()
    };
    for (name, full) in [
        ("baseline", make::jpeg(3000, 2000, JpegKind::Baseline, None)),
        (
            "progressive",
            make::jpeg(3000, 2000, JpegKind::Progressive, None),
        ),
        ("small", make::jpeg(600, 400, JpegKind::Baseline, None)),
        (
            "png",
            make::png(
                1200,
                800,
                png::ColorType::Rgb,
                png::BitDepth::Eight,
                None,
                1,
            ),
        ),
    ] {
        let cut = &full[..full.len() * 3 / 5];
        let err = prepare(cut, &strict).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Truncated, "{name}: {err}");
        let probe = probe_bytes(cut, &lenient.limits).unwrap();
        assert!(probe.truncated, "{name}");
        assert!(
            probe
                .facts(None)
                .problems(&lenient.request)
                .contains(&visionprep::core::ProblemCode::Truncated)
        );
        let out = prepare(cut, &lenient).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.truncated, "{name}");
        assert!(!out.actions.passed_through, "{name}: never sent as it is");
        let img = check_output(name, cut, &out, &lenient);
        // The top of the picture survived the cut: not a blank image.
        let top = img.get_pixel(img.width() / 2, 2);
        let bottom = img.get_pixel(img.width() / 2, img.height() - 2);
        assert_ne!(top, bottom, "{name}: the rows before the cut are kept");
    }
}

#[test]
fn png_icc_profiles_are_converted_and_bombs_ignored() {
    let dir = make::fixture_dir();
    let icc = std::fs::read(dir.join("icc-swapped-red-green.icc")).unwrap();
    let opts = options();
    let plain = encode(
        DynamicImage::ImageRgb8(make::quadrants(2000, 1200)),
        ImageFormat::Png,
    );
    let tagged = make::png_with_icc(&plain, &icc);
    let out = prepare(&tagged, &opts).unwrap();
    assert!(out.actions.color_converted);
    let img = check_output("png icc", &tagged, &out, &opts);
    let swap = |c: [u8; 3]| [c[1], c[0], c[2]];
    assert_close("png icc", quadrant_colours(&img), QUADRANTS.map(swap), 40);

    // An iCCP chunk and a zTXt chunk each inflating to 512 MiB from 2.5 MiB: neither is
    // inflated past 8 MiB, and the pixels come out as without them.
    let zeros = make::zlib_zeros(512 << 20);
    assert!(zeros.len() < 4 << 20, "{}", zeros.len());
    let icc_bomb = make::with_png_chunk(&plain, b"iCCP", &[&b"x\0\0"[..], &zeros].concat());
    let text_bomb = make::with_png_chunk(&plain, b"zTXt", &[&b"Comment\0\0"[..], &zeros].concat());
    for (name, bomb) in [("iCCP bomb", icc_bomb), ("zTXt bomb", text_bomb)] {
        let out = prepare(&bomb, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!out.actions.color_converted, "{name}");
        let img = check_output(name, &bomb, &out, &opts);
        assert_close(name, quadrant_colours(&img), QUADRANTS, 24);
    }
}

#[test]
fn few_colours_become_a_palette_png_with_the_same_pixels() {
    // The first frame of an animated GIF kept at its size: at most 256 colours, written as an
    // indexed PNG.
    let img = image::RgbaImage::from_fn(600, 400, |x, y| {
        let c = ((x / 40 + y / 40) % 7) as u8 * 36;
        image::Rgba([c, 255 - c, c / 2, if x < 20 { 0 } else { 255 }])
    });
    let mut gif = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut gif);
        let frames = [
            img.clone(),
            image::RgbaImage::from_pixel(600, 400, image::Rgba([9, 9, 9, 255])),
        ];
        enc.encode_frames(frames.into_iter().map(image::Frame::new))
            .unwrap();
    }
    let opts = options();
    let out = prepare(&gif, &opts).unwrap();
    assert_eq!(out.media_type, MediaType::Png);
    let decoded = check_output("gif", &gif, &out, &opts);
    let info = png::Decoder::new(std::io::Cursor::new(&out.bytes))
        .read_info()
        .unwrap()
        .info()
        .clone();
    assert_eq!(info.color_type, png::ColorType::Indexed);
    assert!(info.trns.is_some(), "transparency kept");
    let original = image::load_from_memory(&gif).unwrap().to_rgba8();
    assert_eq!(decoded.to_rgba8(), original, "lossless");
}

#[test]
fn cmyk_profiles_are_applied() {
    // A CMYK profile (built in the test: one lut16 table) in which cyan ink darkens green and
    // magenta ink darkens red: the swap of what the naive CMYK formula does. Through the
    // profile, each quadrant's red and green trade places (and come out in linear light).
    let icc = make::cmyk_swapped_profile();
    let opts = options();
    let srgb = |v: u8| {
        let l = f64::from(v) / 255.0;
        let e = if l <= 0.003_130_8 {
            12.92 * l
        } else {
            1.055 * l.powf(1.0 / 2.4) - 0.055
        };
        (e * 255.0).round() as u8
    };
    let want = QUADRANTS.map(|[r, g, b]| [srgb(g), srgb(r), srgb(b)]);
    for kind in [JpegKind::Cmyk, JpegKind::Ycck] {
        // Decoded whole, and shrunk while decoding.
        for (w, h) in [(1000, 800), (4000, 3000)] {
            let input = make::jpeg_with_icc(make::quadrants(w, h), kind, None, Some(&icc));
            let out = prepare(&input, &opts).unwrap();
            assert!(out.actions.color_converted, "{kind:?} {w}x{h}");
            let img = check_output("cmyk profile", &input, &out, &opts);
            assert_close(
                &format!("{kind:?} {w}x{h}"),
                quadrant_colours(&img),
                want,
                30,
            );
        }
    }
}

/// A cut-off WebP or GIF is `truncated`: found by the decoder's end-of-file error in its chain
/// of sources, never by the text of its message.
#[test]
fn cut_off_webp_and_gif_are_truncated() {
    let opts = options();
    for (name, bytes) in [
        ("webp", make::webp_lossless(300, 200, false)),
        ("gif", make::gif(300, 200, 1, false)),
    ] {
        let cut = &bytes[..bytes.len() * 3 / 4];
        let err = prepare(cut, &opts).unwrap_err();
        eprintln!("{name}: {err}");
        assert_eq!(err.code(), ErrorCode::Truncated, "{name}: {err}");
    }
}

/// docs/codes.md lists every action `Actions::names` can give, in its order, and nothing else.
#[test]
fn every_action_is_in_the_docs_table_and_no_other() {
    let all = visionprep::prepare::Actions {
        passed_through: true,
        oriented: true,
        resized: true,
        reencoded: true,
        converted: true,
        color_converted: true,
        flattened: true,
        metadata_stripped: true,
        quality_lowered_to: Some(40),
        tiled: true,
        animation_dropped: true,
    };
    let docs = include_str!("../../../docs/codes.md");
    let body = &docs[docs.find("\n## Actions\n").expect("an Actions section")..];
    let listed: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert_eq!(listed, all.names());
}
