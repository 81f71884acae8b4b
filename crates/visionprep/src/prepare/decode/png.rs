//! PNG decoding (16-bit samples, the default image of an APNG) and the ICC profiles of PNG
//! and WebP files.

use super::Decoded;
use crate::limits::Limits;
use crate::prepare::PrepareError;
use crate::prepare::pixels::Pixels;
use crate::probe::Probe;
use std::io::Cursor;
use visionprep_core::{Format, Size};

/// The largest ICC profile read from a PNG: real profiles are tens of KiB (a few MiB for
/// device-link tables); a bigger iCCP chunk is a decompression bomb and is ignored.
pub(crate) const MAX_ICC: usize = 8 << 20;

/// The first (still) image of a PNG, with the png crate directly: text and iCCP chunks are not
/// inflated by the decoder (a zTXt or iCCP "bomb" inflates to gigabytes from a small file; the
/// profile is read here, bounded by [`MAX_ICC`]), the pixel buffer is sized from the checked
/// header, and a cut-off file read leniently keeps the rows it has.
pub(crate) fn decode_png(
    bytes: &[u8],
    probe: &Probe,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
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
    // A whole file is decoded in one call, which unfilters into the buffer without copying
    // each row; a cut-off one row by row, to keep the rows it has.
    if interlaced || !probe.truncated {
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
pub(crate) fn chunk(bytes: &[u8], at: Option<(u64, u32)>) -> Option<&[u8]> {
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
