//! Decoding under limits, first frame only, with the orientation applied.

use super::PrepareError;
use super::pixels::{Layout, Pixels};
use crate::limits::Limits;
use crate::probe::Probe;
use image::{ImageDecoder, ImageError, ImageFormat, ImageReader};
use std::io::Cursor;
use visionprep_core::{Format, Orientation, Size};

/// The decoder for a sniffed format, where visionprep has one.
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

/// Whether visionprep can decode (and so prepare) this format.
pub fn can_decode(format: Format) -> bool {
    image_format(format).is_some()
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
}

/// Decodes the first frame of `bytes`, at least `wanted` in size (stored orientation). JPEGs
/// that can be shrunk while decoding (scaled IDCT, 1/2 to 1/8) are, when `wanted` allows.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    // jpeg-decoder takes plain 8-bit Huffman JPEGs; a cut-off one (read leniently) goes to the
    // general decoder, which keeps what it has.
    if let Some(info) = probe
        .jpeg
        .filter(|i| !probe.truncated && i.precision == 8 && !i.arithmetic && !i.lossless)
    {
        let shrinks = wanted.width.saturating_mul(2) <= probe.stored.width
            && wanted.height.saturating_mul(2) <= probe.stored.height;
        let decoded = match info.components {
            1 | 3 if shrinks => decode_jpeg_scaled(bytes, probe, wanted)?,
            // Only Adobe CMYK carries a CMYK profile in practice (and is stored inverted, which
            // jpeg-decoder undoes).
            4 if info.adobe_transform.is_some() && probe.metadata.icc => {
                decode_jpeg_cmyk(bytes, probe, wanted)?
            }
            _ => None,
        };
        if let Some(decoded) = decoded {
            return Ok(decoded);
        }
    }
    if probe.format == Format::Png {
        return decode_png(bytes, probe, limits);
    }
    decode_full(bytes, probe, limits)
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
    }))
}

fn decode_full(bytes: &[u8], probe: &Probe, limits: &Limits) -> Result<Decoded, PrepareError> {
    let format = probe.format;
    let Some(fmt) = image_format(format) else {
        return Err(PrepareError::Unsupported {
            format,
            reason: "no decoder for this format is built into visionprep".into(),
        });
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(fmt);
    let mut decoder = reader.into_decoder().map_err(|e| map_error(e, format))?;
    // into_decoder does not check the declared size against any limit: do it before a byte
    // of pixel memory is allocated.
    let (w, h) = decoder.dimensions();
    let size = Size::new(w, h);
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
        Format::Webp => chunk(bytes, probe.webp.and_then(|w| w.icc_chunk)).map(<[u8]>::to_vec),
        _ => decoder.icc_profile().ok().flatten(),
    };
    let img = image::DynamicImage::from_decoder(decoder).map_err(|e| map_error(e, format))?;
    Ok(Decoded {
        pixels: Pixels::from_dynamic(img),
        declared: size,
        orientation,
        icc,
        color_converted: false,
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
    })
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
