//! Decoding under limits, first frame only, with the orientation applied.

use super::PrepareError;
use super::pixels::{Layout, Pixels};
use crate::limits::Limits;
use crate::probe::Probe;
use image::{ImageDecoder, ImageError, ImageFormat, ImageReader};
use std::io::Cursor;
#[cfg(feature = "libjpeg")]
use visionprep_core::jpeg_dct_scale;
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
        Format::Heic | Format::Avif => cfg!(feature = "heif"),
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
        not(any(feature = "jxl", feature = "heif", feature = "libwebp")),
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
        Format::Webp => return super::libwebp::decode(bytes, probe, limits),
        Format::Gif => check_gif_frame(bytes, limits)?,
        #[cfg(feature = "jxl")]
        Format::JpegXl => return super::jxl::decode(bytes, limits),
        #[cfg(feature = "heif")]
        Format::Heic | Format::Avif => return super::heif::decode(bytes, probe, limits),
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
    check_decoded(&decode(bytes, probe, Size::new(1, 1), limits)?, probe)
}

/// libjpeg-turbo, for 8-bit JPEGs (Huffman or arithmetic, baseline or progressive, cut off
/// ones read leniently): DCT-scaled by [`jpeg_dct_scale`]. CMYK and YCCK files with a CMYK
/// profile are decoded to ink and converted through it; `None` (the pure-Rust path) for those
/// without, for 12-bit and for lossless files.
#[cfg(feature = "libjpeg")]
fn decode_jpeg_native(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
    limits: &Limits,
) -> Result<Option<Decoded>, PrepareError> {
    let Some(info) = probe.jpeg.filter(|i| i.precision == 8 && !i.lossless) else {
        return Ok(None);
    };
    let scale = jpeg_dct_scale(probe.stored, wanted);
    // The probe saw the APP2 markers: most files have none, and are not walked again.
    let icc = probe.metadata.icc.then(|| jpeg_icc(bytes)).flatten();
    if info.components == 4 {
        let Some(profile) = icc.as_deref().filter(|p| p.get(16..20) == Some(b"CMYK")) else {
            return Ok(None);
        };
        let mut jpeg = super::libjpeg::decode(bytes, scale, true, limits)?;
        if jpeg.components != 4 {
            return Ok(None);
        }
        // Adobe writes CMYK inverted (0 = full ink); the transform wants 0 = no ink.
        if info.adobe_transform.is_some() {
            jpeg.data.iter_mut().for_each(|b| *b = 255 - *b);
        }
        let Some(data) = super::color::cmyk_to_srgb(&jpeg.data, profile) else {
            return Ok(None);
        };
        return Ok(Some(Decoded {
            pixels: Pixels {
                width: jpeg.size.width,
                height: jpeg.size.height,
                layout: Layout::Rgb,
                data,
            },
            declared: jpeg.declared,
            orientation: probe.orientation,
            icc: None,
            color_converted: true,
            cicp: None,
        }));
    }
    let jpeg = super::libjpeg::decode(bytes, scale, false, limits)?;
    let declared = jpeg.declared;
    let Some(pixels) = jpeg.into_pixels() else {
        return Ok(None);
    };
    Ok(Some(Decoded {
        pixels,
        declared,
        orientation: probe.orientation,
        icc,
        color_converted: false,
        cicp: None,
    }))
}

/// The pure-Rust JPEG path: jpeg-decoder for plain 8-bit Huffman JPEGs (scaled by 1/2 to 1/8
/// when `wanted` allows; CMYK ones with a CMYK profile through it); `None` leaves the rest
/// (and cut-off files, read leniently) to the general decoder, which keeps what it has.
fn decode_jpeg_rust(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
) -> Result<Option<Decoded>, PrepareError> {
    let Some(info) = probe
        .jpeg
        .filter(|i| !probe.truncated && i.precision == 8 && !i.arithmetic && !i.lossless)
    else {
        return Ok(None);
    };
    let shrinks = wanted.width.saturating_mul(2) <= probe.stored.width
        && wanted.height.saturating_mul(2) <= probe.stored.height;
    match info.components {
        1 | 3 if shrinks => decode_jpeg_scaled(bytes, probe, wanted),
        // Only Adobe CMYK carries a CMYK profile in practice (and is stored inverted, which
        // jpeg-decoder undoes).
        4 if info.adobe_transform.is_some() && probe.metadata.icc => {
            decode_jpeg_cmyk(bytes, probe, wanted)
        }
        _ => Ok(None),
    }
}

/// A GIF's first frame must lie within its logical screen: decoders disagree on what to do
/// with one that does not (crop, grow, refuse), so it is damage, not something to send on.
/// Read leniently, the general decoder makes what it can of it.
fn check_gif_frame(bytes: &[u8], limits: &Limits) -> Result<(), PrepareError> {
    if limits.lenient {
        return Ok(());
    }
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
    // A zero screen takes its size from the first frame (as the probe does).
    if screen_w != 0 && screen_h != 0 && (left + w > screen_w || top + h > screen_h) {
        return Err(corrupt(format!(
            "the first frame ({w}x{h} at {left},{top}) is larger than the {screen_w}x{screen_h} \
             screen"
        )));
    }
    Ok(())
}

/// The ICC profile of a JPEG: its `ICC_PROFILE` APP2 segments (before the first scan) in
/// sequence order, at most [`MAX_ICC`] bytes.
#[cfg(feature = "libjpeg")]
pub(crate) fn jpeg_icc(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<(u8, &[u8])> = Vec::new();
    let mut pos = 2usize;
    let mut total = 0usize;
    loop {
        // Markers: 0xFF, fill bytes, a code; stray bytes between segments are skipped.
        while *bytes.get(pos)? != 0xFF {
            pos += 1;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let code = *bytes.get(pos)?;
        pos += 1;
        match code {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xDA | 0xD9 => break,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        let body = bytes.get(pos + 2..pos + len.max(2))?;
        if code == 0xE2 && body.len() > 14 && body.starts_with(b"ICC_PROFILE\0") {
            total += body.len() - 14;
            if total > MAX_ICC {
                return None;
            }
            parts.push((body[12], &body[14..]));
        }
        pos += len.max(2);
    }
    if parts.is_empty() {
        return None;
    }
    parts.sort_by_key(|(seq, _)| *seq);
    Some(parts.iter().flat_map(|(_, p)| p.iter().copied()).collect())
}

/// What a jpeg-decoder error means here: `None` (leave the file to the general decoder) for
/// what it does not support, else the file's own fault.
fn jpeg_failure<T>(e: jpeg_decoder::Error) -> Result<Option<T>, PrepareError> {
    let format = Format::Jpeg;
    match e {
        jpeg_decoder::Error::Unsupported(_) => Ok(None),
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(PrepareError::data_ends(format))
        }
        other => Err(PrepareError::Corrupt {
            format,
            reason: other.to_string(),
        }),
    }
}

/// What jpeg-decoder gave: pixels in `format`, their size, and the embedded ICC profile.
struct JpegPixels {
    data: Vec<u8>,
    format: jpeg_decoder::PixelFormat,
    size: Size,
    icc: Option<Vec<u8>>,
}

/// Runs jpeg-decoder, with a reduced IDCT to the smallest of 1/8, 1/4, 1/2 that is not below
/// `wanted` (far less work than decoding every pixel and throwing most away), once `proceed`
/// has accepted the embedded profile. `None` when it declines or the file needs the general
/// decoder.
fn run_jpeg_decoder(
    bytes: &[u8],
    wanted: Size,
    proceed: impl FnOnce(Option<&[u8]>) -> bool,
) -> Result<Option<JpegPixels>, PrepareError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    if let Err(e) = decoder.read_info() {
        return jpeg_failure(e);
    }
    let icc = decoder.icc_profile();
    if !proceed(icc.as_deref()) {
        return Ok(None);
    }
    if let (Ok(w), Ok(h)) = (u16::try_from(wanted.width), u16::try_from(wanted.height))
        && let Err(e) = decoder.scale(w, h)
    {
        return jpeg_failure(e);
    }
    let data = match decoder.decode() {
        Ok(d) => d,
        Err(e) => return jpeg_failure(e),
    };
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let size = Size::new(u32::from(info.width), u32::from(info.height));
    if data.len() as u64 != size.area() * info.pixel_format.pixel_bytes() as u64 {
        return Err(PrepareError::Corrupt {
            format: Format::Jpeg,
            reason: "short pixel data".into(),
        });
    }
    Ok(Some(JpegPixels {
        data,
        format: info.pixel_format,
        size,
        icc,
    }))
}

/// A grey or colour JPEG at least twice `wanted`, shrunk while decoding.
fn decode_jpeg_scaled(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
) -> Result<Option<Decoded>, PrepareError> {
    use jpeg_decoder::PixelFormat;
    let Some(jpeg) = run_jpeg_decoder(bytes, wanted, |_| true)? else {
        return Ok(None);
    };
    let layout = match jpeg.format {
        PixelFormat::L8 => Layout::Gray,
        PixelFormat::RGB24 => Layout::Rgb,
        _ => return Ok(None),
    };
    Ok(Some(Decoded {
        pixels: Pixels {
            width: jpeg.size.width,
            height: jpeg.size.height,
            layout,
            data: jpeg.data,
        },
        declared: probe.stored,
        orientation: probe.orientation,
        icc: jpeg.icc,
        color_converted: false,
        cicp: None,
    }))
}

/// A CMYK or YCCK JPEG whose embedded profile describes CMYK: decoded to ink amounts (shrunk
/// while decoding when `wanted` allows), then through the profile to sRGB. `None` when there is
/// no CMYK profile, or one qcms cannot use: the general decoder's formula then applies.
fn decode_jpeg_cmyk(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
) -> Result<Option<Decoded>, PrepareError> {
    let is_cmyk = |p: Option<&[u8]>| p.and_then(|p| p.get(16..20)) == Some(b"CMYK".as_slice());
    let Some(jpeg) = run_jpeg_decoder(bytes, wanted, is_cmyk)? else {
        return Ok(None);
    };
    // A profile qcms cannot read leaves the file to the general decoder's formula (decoded a
    // second time: rare, and only for damaged profiles).
    let rgb = match (&jpeg.icc, jpeg.format) {
        (Some(profile), jpeg_decoder::PixelFormat::CMYK32) => {
            super::color::cmyk_to_srgb(&jpeg.data, profile)
        }
        _ => None,
    };
    let Some(data) = rgb else {
        return Ok(None);
    };
    Ok(Some(Decoded {
        pixels: Pixels {
            width: jpeg.size.width,
            height: jpeg.size.height,
            layout: Layout::Rgb,
            data,
        },
        declared: probe.stored,
        orientation: probe.orientation,
        icc: None,
        color_converted: true,
        cicp: None,
    }))
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
                 (jxl-oxide, pure Rust; on by default, off in the web page's module)"
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

/// The largest ICC profile read from a PNG: real profiles are tens of KiB (a few MiB for
/// device-link tables); a bigger iCCP chunk is a decompression bomb and is ignored.
const MAX_ICC: usize = 8 << 20;

/// The first (still) image of a PNG, with the png crate directly: text and iCCP chunks are not
/// inflated by the decoder (a zTXt or iCCP "bomb" inflates to gigabytes from a small file; the
/// profile is read here, bounded by [`MAX_ICC`]), the pixel buffer is sized from the checked
/// header, and a cut-off file read leniently keeps the rows it has.
fn decode_png(bytes: &[u8], probe: &Probe, limits: &Limits) -> Result<Decoded, PrepareError> {
    use image::{DynamicImage, ImageBuffer};
    let format = Format::Png;
    let fail = |e: png::DecodingError| match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PrepareError::data_ends(format)
        }
        png::DecodingError::LimitsExceeded => PrepareError::MemoryLimit {
            format,
            reason: "the PNG needs more memory than the limit".into(),
        },
        other => PrepareError::Corrupt {
            format,
            reason: other.to_string(),
        },
    };
    let size = probe.stored;
    if size.area() > limits.max_pixels {
        return Err(PrepareError::DimensionsTooLarge {
            format,
            size,
            limit: limits.max_pixels,
        });
    }
    // Enough for the decoded image (8 bytes a pixel at most) and the decoder's own buffers.
    let budget = usize::try_from(size.area().saturating_mul(8).saturating_add(1 << 20))
        .unwrap_or(usize::MAX);
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: budget });
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(fail)?;
    let (width, height) = (reader.info().width, reader.info().height);
    if Size::new(width, height) != size {
        return Err(PrepareError::Corrupt {
            format,
            reason: "the header changed between reads".into(),
        });
    }
    let interlaced = reader.info().interlaced;
    let (color, _) = reader.output_color_type();
    let line = reader
        .output_line_size(width)
        .ok_or(PrepareError::MemoryLimit {
            format,
            reason: "a row is too long".into(),
        })?;
    let mut data = vec![0u8; line * height as usize];
    if interlaced {
        reader.next_frame(&mut data).map_err(fail)?;
    } else {
        for row in data.chunks_exact_mut(line) {
            match reader.next_row() {
                Ok(Some(r)) if r.data().len() == line => row.copy_from_slice(r.data()),
                Ok(Some(_)) => {
                    return Err(PrepareError::Corrupt {
                        format,
                        reason: "a row of the wrong length".into(),
                    });
                }
                // Read leniently, the rows so far stay and the rest stays black.
                Ok(None) | Err(_) if probe.truncated => break,
                Ok(None) => return Err(PrepareError::data_ends(format)),
                Err(e) => return Err(fail(e)),
            }
        }
    }
    let corrupt = || PrepareError::Corrupt {
        format,
        reason: "short pixel data".into(),
    };
    let img = match color {
        png::ColorType::Grayscale => DynamicImage::ImageLuma8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(corrupt)?,
        ),
        png::ColorType::GrayscaleAlpha => DynamicImage::ImageLumaA8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(corrupt)?,
        ),
        png::ColorType::Rgb => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, data).ok_or_else(corrupt)?)
        }
        png::ColorType::Rgba => DynamicImage::ImageRgba8(
            ImageBuffer::from_raw(width, height, data).ok_or_else(corrupt)?,
        ),
        png::ColorType::Indexed => {
            return Err(PrepareError::Corrupt {
                format,
                reason: "palette left unexpanded".into(),
            });
        }
    };
    Ok(Decoded {
        pixels: Pixels::from_dynamic(img),
        declared: size,
        orientation: probe.orientation,
        icc: chunk(bytes, probe.png.and_then(|p| p.icc_chunk)).and_then(png_icc),
        color_converted: false,
        cicp: None,
    })
}

/// The ICC profile of a WebP: its ICCP chunk, as the probe located it.
pub(crate) fn webp_icc(bytes: &[u8], probe: &Probe) -> Option<Vec<u8>> {
    chunk(bytes, probe.webp.and_then(|w| w.icc_chunk)).map(<[u8]>::to_vec)
}

/// The body of a chunk the probe located (offset, length), within the bytes.
fn chunk(bytes: &[u8], at: Option<(u64, u32)>) -> Option<&[u8]> {
    let (offset, len) = at?;
    let start = usize::try_from(offset).ok()?;
    bytes.get(start..start.checked_add(len as usize)?)
}

/// The ICC profile of a PNG's iCCP chunk body (name, NUL, compression method 0, zlib stream),
/// inflated to at most [`MAX_ICC`] bytes.
fn png_icc(body: &[u8]) -> Option<Vec<u8>> {
    let nul = body.iter().take(80).position(|&b| b == 0)?;
    if body.get(nul + 1) != Some(&0) {
        return None;
    }
    fdeflate::decompress_to_vec_bounded(body.get(nul + 2..)?, MAX_ICC).ok()
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
#[cfg(all(test, any(feature = "libjpeg", feature = "libwebp")))]
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
            include_bytes!("../../tests/fixtures/webp-lossy-1300x1000.webp").as_slice(),
            include_bytes!("../../tests/fixtures/webp-lossy-alpha-1300x1000.webp").as_slice(),
        ] {
            let probe = probe_bytes(bytes, &limits).unwrap_or_else(|e| panic!("{e}"));
            let native = super::super::libwebp::decode(bytes, &probe, &limits).map(|d| d.pixels);
            let rust = decode_full(bytes, &probe, &limits).map(|d| d.pixels);
            let (Ok(native), Ok(rust)) = (native, rust) else {
                panic!("a decoder failed")
            };
            let db = psnr(&native, &rust);
            assert!(db >= 40.0, "{db:.1} dB");
        }
    }
}
