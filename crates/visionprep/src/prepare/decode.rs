//! Decoding under limits, first frame only, with the orientation applied.

use super::PrepareError;
use super::pixels::Pixels;
use crate::limits::Limits;
use image::{ImageDecoder, ImageError, ImageFormat, ImageReader};
use std::io::Cursor;
use visionprep_core::{Format, Size};

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

/// Pixels upright, and whether turning them was needed.
pub(crate) struct Decoded {
    pub(crate) pixels: Pixels,
    pub(crate) oriented: bool,
}

pub(crate) fn decode(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
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
    let orientation = decoder.orientation().map_err(|e| map_error(e, format))?;
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(|e| map_error(e, format))?;
    let oriented = orientation != image::metadata::Orientation::NoTransforms;
    img.apply_orientation(orientation);
    Ok(Decoded {
        pixels: Pixels::from_dynamic(img),
        oriented,
    })
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
