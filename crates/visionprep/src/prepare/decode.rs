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
    /// The embedded ICC profile, if any.
    pub(crate) icc: Option<Vec<u8>>,
}

/// Decodes the first frame of `bytes`, at least `wanted` in size (stored orientation). JPEGs
/// that can be shrunk while decoding (scaled IDCT, 1/2 to 1/8) are, when `wanted` allows.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    if let Some(info) = probe.jpeg
        && info.precision == 8
        && matches!(info.components, 1 | 3)
        && !info.arithmetic
        && !info.lossless
        && wanted.width.saturating_mul(2) <= probe.stored.width
        && wanted.height.saturating_mul(2) <= probe.stored.height
        && let Some(decoded) = decode_jpeg_scaled(bytes, probe, wanted)?
    {
        return Ok(decoded);
    }
    decode_full(bytes, probe, limits)
}

/// A JPEG decoded with a reduced IDCT to the smallest of 1/8, 1/4, 1/2 that is not below
/// `wanted`: far less work than decoding every pixel and throwing most away. `None` when the
/// file needs the general decoder.
fn decode_jpeg_scaled(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
) -> Result<Option<Decoded>, PrepareError> {
    use jpeg_decoder::{Decoder, Error, PixelFormat};
    let format = Format::Jpeg;
    let (Ok(w), Ok(h)) = (u16::try_from(wanted.width), u16::try_from(wanted.height)) else {
        return Ok(None);
    };
    let fail = |e: Error| match e {
        Error::Unsupported(_) => Ok(None),
        Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(PrepareError::Truncated { format })
        }
        other => Err(PrepareError::Corrupt {
            format,
            reason: other.to_string(),
        }),
    };
    let mut decoder = Decoder::new(bytes);
    if let Err(e) = decoder.scale(w, h) {
        return fail(e);
    }
    let data = match decoder.decode() {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let layout = match info.pixel_format {
        PixelFormat::L8 => Layout::Gray,
        PixelFormat::RGB24 => Layout::Rgb,
        _ => return Ok(None),
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if data.len() != width as usize * height as usize * layout.channels() {
        return Err(PrepareError::Corrupt {
            format,
            reason: "short pixel data".into(),
        });
    }
    Ok(Some(Decoded {
        pixels: Pixels {
            width,
            height,
            layout,
            data,
        },
        declared: probe.stored,
        orientation: probe.orientation,
        icc: decoder.icc_profile(),
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
        Format::Webp => webp_icc(bytes),
        _ => decoder.icc_profile().ok().flatten(),
    };
    let img = image::DynamicImage::from_decoder(decoder).map_err(|e| map_error(e, format))?;
    Ok(Decoded {
        pixels: Pixels::from_dynamic(img),
        declared: size,
        orientation,
        icc,
    })
}

/// The ICCP chunk of an extended WebP, read within the file's bounds.
fn webp_icc(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut pos = 12usize;
    while let Some(head) = bytes.get(pos..pos.checked_add(8)?) {
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let body = bytes.get(pos + 8..(pos + 8).checked_add(size)?)?;
        if &head[..4] == b"ICCP" {
            return Some(body.to_vec());
        }
        pos = pos + 8 + size + (size & 1);
    }
    None
}

fn map_error(e: ImageError, format: Format) -> PrepareError {
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PrepareError::Truncated { format }
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
        other => {
            let reason = other.to_string();
            let lower = reason.to_ascii_lowercase();
            if lower.contains("eof") || lower.contains("end of") || lower.contains("truncat") {
                PrepareError::Truncated { format }
            } else {
                PrepareError::Corrupt { format, reason }
            }
        }
    }
}
