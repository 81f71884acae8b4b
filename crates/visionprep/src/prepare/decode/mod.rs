//! Decoding under limits, first frame only, with the orientation applied.

mod jpeg;
mod png;

#[cfg(feature = "libjpeg")]
use jpeg::decode_jpeg_native;
use jpeg::decode_jpeg_rust;
use png::decode_png;
pub(crate) use png::webp_icc;

use crate::limits::Limits;
use crate::prepare::PrepareError;
use crate::prepare::pixels::{Layout, Pixels};
use crate::prepare::resize::Filter;
use crate::probe::Probe;
use image::{ImageDecoder, ImageError, ImageFormat, ImageReader};
use std::io::Cursor;
use visionprep_core::{Format, Orientation, Size};

/// The image crate's decoder for a sniffed format, where it has one.
fn image_format(format: Format) -> Option<ImageFormat> {
    Some(match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::Webp => ImageFormat::WebP,
        Format::Tiff => ImageFormat::Tiff,
        Format::Bmp => ImageFormat::Bmp,
        Format::Ico => ImageFormat::Ico,
        Format::Pnm => ImageFormat::Pnm,
        Format::Qoi => ImageFormat::Qoi,
        _ => return None,
    })
}

/// Whether visionprep can decode (and so prepare) this format: HEIC and AVIF need the `heif`
/// feature, JPEG XL the `jxl` feature (default), the others are always built in.
pub fn can_decode(format: Format) -> bool {
    match format {
        Format::JpegXl => cfg!(feature = "jxl"),
        Format::Heic | Format::Avif => cfg!(feature = "heif-decoder"),
        other => image_format(other).is_some(),
    }
}

/// Pixels as stored (not yet turned upright), possibly already reduced in size.
pub(crate) struct Decoded {
    pub(crate) pixels: Pixels,
    /// The full stored size the decoder declared.
    pub(crate) declared: Size,
    /// The turn the pixels still need.
    pub(crate) orientation: Orientation,
    /// The embedded ICC profile, if any, still to apply.
    pub(crate) icc: Option<Vec<u8>>,
    /// The pixels were already converted to sRGB through an embedded profile (CMYK).
    pub(crate) color_converted: bool,
    /// The colour's CICP code points (colour primaries, transfer characteristics), where the
    /// file gives them instead of an ICC profile (HEIF's `nclx`), still to apply.
    pub(crate) cicp: Option<(u16, u16)>,
}

impl Decoded {
    /// Pixels of `width` x `height` in `layout` from a decoder that turns images upright
    /// itself (JPEG XL, HEIF) or needs the probe's `orientation`, with the colour still to
    /// convert.
    #[cfg_attr(
        not(any(feature = "jxl", feature = "heif-decoder", feature = "libwebp")),
        expect(
            dead_code,
            reason = "only the JPEG XL, HEIF and libwebp decoders build pixels this way"
        )
    )]
    pub(crate) fn new(
        (width, height, layout): (u32, u32, Layout),
        data: Vec<u8>,
        declared: Size,
        orientation: Orientation,
        icc: Option<Vec<u8>>,
    ) -> Decoded {
        Decoded {
            pixels: Pixels {
                width,
                height,
                layout,
                data,
            },
            declared,
            orientation,
            icc,
            color_converted: false,
            cicp: None,
        }
    }
}

/// Decodes the first frame of `bytes`, at least `wanted` in size (stored orientation). JPEGs
/// are shrunk while decoding (DCT scaling, [`visionprep_core::jpeg_dct_scale`]) when `wanted`
/// allows. Damaged data is an error even where a decoder would carry on (libjpeg only warns
/// about corrupt entropy data), unless the limits are lenient; so a decode with a tiny
/// `wanted` is also the check that a file can be sent as it is ([`verify`]).
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
    #[cfg_attr(not(feature = "heif-decoder"), expect(unused_variables))] filter: Filter,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    match probe.format {
        #[cfg(not(feature = "libjpeg"))]
        Format::Jpeg if probe.jpeg.is_some_and(|j| j.arithmetic) => {
            return Err(PrepareError::Unsupported {
                format: Format::Jpeg,
                reason: "arithmetic-coded JPEG needs the `libjpeg` feature".into(),
            });
        }
        Format::Jpeg => {
            #[cfg(feature = "libjpeg")]
            if let Some(decoded) = decode_jpeg_native(bytes, probe, wanted, limits)? {
                return Ok(decoded);
            }
            if let Some(decoded) = decode_jpeg_rust(bytes, probe, wanted)? {
                return Ok(decoded);
            }
        }
        Format::Png => return decode_png(bytes, probe, limits),
        #[cfg(feature = "libwebp")]
        Format::Webp => return crate::prepare::libwebp::decode(bytes, probe, wanted, limits),
        Format::Gif => {
            gif_frame_clipped(bytes, limits)?;
        }
        #[cfg(feature = "jxl-native")]
        Format::JpegXl => return crate::prepare::libjxl::decode(bytes, limits),
        #[cfg(all(feature = "jxl", not(feature = "jxl-native")))]
        Format::JpegXl => return crate::prepare::jxl::decode(bytes, limits),
        #[cfg(feature = "heif-decoder")]
        Format::Heic | Format::Avif => {
            return crate::prepare::heif::decode(bytes, probe, wanted, filter, limits);
        }
        _ => {}
    }
    decode_full(bytes, probe, limits)
}

/// Checks a size a decoder declared before it allocates pixels for it: not empty, within the
/// pixel limit.
pub(crate) fn check_declared(
    format: Format,
    size: Size,
    limits: &Limits,
) -> Result<(), PrepareError> {
    if size.is_empty() {
        return Err(PrepareError::Corrupt {
            format,
            reason: "zero image size".into(),
        });
    }
    if size.area() > limits.max_pixels {
        return Err(PrepareError::DimensionsTooLarge {
            format,
            size,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// The decoded image must be the one the header described.
pub(crate) fn check_decoded(decoded: &Decoded, probe: &Probe) -> Result<(), PrepareError> {
    if decoded.declared != probe.stored {
        return Err(PrepareError::Corrupt {
            format: probe.format,
            reason: format!(
                "the header says {} but the image decodes to {}",
                probe.stored, decoded.declared
            ),
        });
    }
    Ok(())
}

/// Decodes `bytes` completely and drops the pixels: an image is sent byte for byte only after
/// this succeeded (a JPEG at 1/8 scale: every coefficient is still read, so damaged entropy
/// data is still found, for a fraction of the work).
pub(crate) fn verify(bytes: &[u8], probe: &Probe, limits: &Limits) -> Result<(), PrepareError> {
    // Without libjpeg, damaged JPEG entropy data that still ends cleanly goes unnoticed:
    // neither pure-Rust decoder (jpeg-decoder, zune-jpeg) reports it.
    check_decoded(
        &decode(bytes, probe, Size::new(1, 1), Filter::default(), limits)?,
        probe,
    )
}

/// Whether a GIF's first frame reaches past its logical screen (a 50x50 frame at 80,80 on a
/// 100x100 screen). Browsers show such a frame clipped to the screen, and so does the decoder
/// here; it is never sent on as it is, since other decoders grow the canvas or refuse it. A
/// frame whose declared size alone is over the pixel limit is refused before any allocation.
pub(crate) fn gif_frame_clipped(bytes: &[u8], limits: &Limits) -> Result<bool, PrepareError> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let corrupt = |reason: String| PrepareError::Corrupt {
        format: Format::Gif,
        reason,
    };
    let mut decoder = options
        .read_info(Cursor::new(bytes))
        .map_err(|e| corrupt(e.to_string()))?;
    let (screen_w, screen_h) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let frame = match decoder.next_frame_info() {
        Ok(Some(f)) => f,
        Ok(None) => return Err(corrupt("no image in the file".into())),
        Err(e) => return Err(corrupt(e.to_string())),
    };
    let (left, top) = (u32::from(frame.left), u32::from(frame.top));
    let (w, h) = (u32::from(frame.width), u32::from(frame.height));
    check_declared(Format::Gif, Size::new(w, h), limits)?;
    // A zero screen takes its size from the first frame (as the probe does).
    Ok(screen_w != 0 && screen_h != 0 && (left + w > screen_w || top + h > screen_h))
}

/// The image crate's decoder for the formats without a dedicated path.
pub(crate) fn decode_full(
    bytes: &[u8],
    probe: &Probe,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    let format = probe.format;
    let Some(fmt) = image_format(format) else {
        let reason = match format {
            Format::Heic | Format::Avif => {
                "this build has no HEIF decoder: build visionprep with the `heif` feature \
                 (libheif; the README says how)"
            }
            Format::JpegXl => {
                "this build has no JPEG XL decoder: build visionprep with the `jxl` feature \
                 (jxl-oxide, pure Rust; on by default, off in the web page's module) or \
                 `jxl-native` (the system's libjxl)"
            }
            _ => "no decoder for this format is built into visionprep",
        };
        return Err(PrepareError::Unsupported {
            format,
            reason: reason.into(),
        });
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(fmt);
    let mut decoder = reader.into_decoder().map_err(|e| map_error(e, format))?;
    // into_decoder does not check the declared size against any limit: do it before a byte
    // of pixel memory is allocated.
    let (w, h) = decoder.dimensions();
    let size = Size::new(w, h);
    check_declared(format, size, limits)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    decoder
        .set_limits(image_limits)
        .map_err(|e| map_error(e, format))?;
    // Metadata comes from visionprep's own bounded readers, never from the decoder's: image-webp
    // allocates a chunk's declared size before reading it (3 GB from a 460-byte file, found by
    // fuzzing; tests/regression/prepare-webp-exif-size.webp).
    let orientation = probe.orientation;
    let icc = match format {
        Format::Webp => webp_icc(bytes, probe),
        _ => decoder.icc_profile().ok().flatten(),
    };
    let img = image::DynamicImage::from_decoder(decoder).map_err(|e| map_error(e, format))?;
    Ok(Decoded {
        pixels: Pixels::from_dynamic(img),
        declared: size,
        orientation,
        icc,
        color_converted: false,
        cicp: None,
    })
}

fn map_error(e: ImageError, format: Format) -> PrepareError {
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PrepareError::data_ends(format)
        }
        ImageError::IoError(io) => PrepareError::Corrupt {
            format,
            reason: io.to_string(),
        },
        ImageError::Limits(l) => PrepareError::MemoryLimit {
            format,
            reason: l.to_string(),
        },
        ImageError::Unsupported(u) => PrepareError::Unsupported {
            format,
            reason: u.to_string(),
        },
        other if ends_early(&other) => PrepareError::data_ends(format),
        other => PrepareError::Corrupt {
            format,
            reason: other.to_string(),
        },
    }
}

/// Whether a decoder's error comes from input that ended early: an `UnexpectedEof` I/O error
/// anywhere in its chain of sources (the WebP, GIF and TIFF decoders wrap their reader's
/// error). Typed: the message text is never looked at.
fn ends_early(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return true;
        }
        current = err.source();
    }
    false
}

/// The native decoders against the pure-Rust ones on the same files: same sizes, and pixels
/// within 40 dB PSNR of each other (both are exact decoders; they differ by IDCT and
/// upsampling rounding).
#[cfg(test)]
#[cfg(any(feature = "libjpeg", feature = "libwebp"))]
#[allow(clippy::panic)]
mod native_vs_rust {
    use super::*;
    use crate::probe::probe_bytes;

    fn psnr(a: &Pixels, b: &Pixels) -> f64 {
        assert_eq!((a.width, a.height, a.layout), (b.width, b.height, b.layout));
        let se: f64 = a
            .data
            .iter()
            .zip(&b.data)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum();
        let mse = se / a.data.len() as f64;
        10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
    }

    /// A photograph-like test card: smooth colour fields with some edges.
    #[cfg(feature = "libjpeg")]
    fn jpeg_photo(w: u16, h: u16) -> Vec<u8> {
        let data: Vec<u8> = (0..u32::from(h))
            .flat_map(|y| {
                (0..u32::from(w)).flat_map(move |x| {
                    let edge = if (x / 97 + y / 71) % 2 == 0 { 40 } else { 0 };
                    [
                        ((x * 255 / u32::from(w)) as u8).saturating_add(edge),
                        (y * 255 / u32::from(h)) as u8,
                        (((x + y) / 3) % 256) as u8,
                    ]
                })
            })
            .collect();
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, 90);
        enc.encode(&data, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[cfg(feature = "libjpeg")]
    #[test]
    fn libjpeg_matches_the_rust_jpeg_decoders() {
        let limits = Limits::DEFAULT;
        let bytes = jpeg_photo(1600, 1200);
        let probe = probe_bytes(&bytes, &limits).unwrap_or_else(|e| panic!("{e}"));
        // Full size: libjpeg against the image crate's decoder.
        let native = decode_jpeg_native(&bytes, &probe, probe.stored, &limits);
        let native = native.ok().flatten().map(|d| d.pixels);
        let rust = decode_full(&bytes, &probe, &limits).map(|d| d.pixels);
        let (Some(native), Ok(rust)) = (native, rust) else {
            panic!("a decoder failed")
        };
        let db = psnr(&native, &rust);
        assert!(db >= 40.0, "full size: {db:.1} dB");
        // Half size: libjpeg's 4/8 DCT scaling against jpeg-decoder's 1/2.
        let half = Size::new(800, 600);
        let native = decode_jpeg_native(&bytes, &probe, half, &limits);
        let native = native.ok().flatten().map(|d| d.pixels);
        let rust = decode_jpeg_rust(&bytes, &probe, half);
        let rust = rust.ok().flatten().map(|d| d.pixels);
        let (Some(native), Some(rust)) = (native, rust) else {
            panic!("a scaled decoder failed")
        };
        assert_eq!((native.width, native.height), (800, 600));
        let db = psnr(&native, &rust);
        assert!(db >= 40.0, "half size: {db:.1} dB");
    }

    #[cfg(feature = "libwebp")]
    #[test]
    fn libwebp_matches_image_webp() {
        let limits = Limits::DEFAULT;
        for bytes in [
            include_bytes!("../../../tests/fixtures/webp-lossy-1300x1000.webp").as_slice(),
            include_bytes!("../../../tests/fixtures/webp-lossy-alpha-1300x1000.webp").as_slice(),
        ] {
            let probe = probe_bytes(bytes, &limits).unwrap_or_else(|e| panic!("{e}"));
            let native = crate::prepare::libwebp::decode(bytes, &probe, probe.stored, &limits)
                .map(|d| d.pixels);
            let rust = decode_full(bytes, &probe, &limits).map(|d| d.pixels);
            let (Ok(native), Ok(rust)) = (native, rust) else {
                panic!("a decoder failed")
            };
            let db = psnr(&native, &rust);
            assert!(db >= 40.0, "{db:.1} dB");
        }
    }

    /// A lossy WebP shrunk while it decodes, then resized, is the full decode resized, within
    /// what the eye cannot tell apart.
    #[cfg(feature = "libwebp")]
    #[test]
    fn libwebp_scaled_decode_resizes_like_the_full_decode() {
        use crate::prepare::resize::resize;
        use visionprep_core::Size;
        let limits = Limits::DEFAULT;
        let bytes = include_bytes!("../../../tests/fixtures/webp-lossy-1300x1000.webp").as_slice();
        let probe = probe_bytes(bytes, &limits).unwrap_or_else(|e| panic!("{e}"));
        let wanted = Size::new(260, 200);
        let scaled = crate::prepare::libwebp::decode(bytes, &probe, wanted, &limits)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scaled.declared, probe.stored);
        assert_eq!((scaled.pixels.width, scaled.pixels.height), (520, 400));
        let full = crate::prepare::libwebp::decode(bytes, &probe, probe.stored, &limits)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((full.pixels.width, full.pixels.height), (1300, 1000));
        let mut resizer = visionprep_resize::Resizer::new();
        let filter = crate::prepare::Filter::default();
        let a =
            resize(&mut resizer, scaled.pixels, 260, 200, filter).unwrap_or_else(|e| panic!("{e}"));
        let b =
            resize(&mut resizer, full.pixels, 260, 200, filter).unwrap_or_else(|e| panic!("{e}"));
        let db = psnr(&a, &b);
        assert!(db >= 35.0, "{db:.1} dB");
    }
}
