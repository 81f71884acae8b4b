//! JPEG decoding: libjpeg-turbo with DCT scaling (the `libjpeg` feature), else the pure-Rust
//! decoders; CMYK and Adobe inversion; the embedded ICC profile.

use super::Decoded;
#[cfg(feature = "libjpeg")]
use super::png::MAX_ICC;
#[cfg(feature = "libjpeg")]
use crate::limits::Limits;
use crate::prepare::PrepareError;
use crate::prepare::pixels::{Layout, Pixels};
use crate::probe::Probe;
#[cfg(feature = "libjpeg")]
use visionprep_core::jpeg_dct_scale;
use visionprep_core::{Format, Size};

/// libjpeg-turbo, for 8-bit JPEGs (Huffman or arithmetic, baseline or progressive, cut off
/// ones read leniently): DCT-scaled by [`jpeg_dct_scale`]. CMYK and YCCK files with a CMYK
/// profile are decoded to ink and converted through it; `None` (the pure-Rust path) for those
/// without, for 12-bit and for lossless files.
#[cfg(feature = "libjpeg")]
pub(crate) fn decode_jpeg_native(
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
        let mut jpeg = crate::prepare::libjpeg::decode(bytes, scale, true, limits)?;
        if jpeg.components != 4 {
            return Ok(None);
        }
        // Adobe writes CMYK inverted (0 = full ink); the transform wants 0 = no ink.
        if info.adobe_transform.is_some() {
            jpeg.data.iter_mut().for_each(|b| *b = 255 - *b);
        }
        let Some(data) = crate::prepare::color::cmyk_to_srgb(&jpeg.data, profile) else {
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
    let jpeg = crate::prepare::libjpeg::decode(bytes, scale, false, limits)?;
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
pub(crate) fn decode_jpeg_rust(
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

/// The ICC profile of a JPEG: its `ICC_PROFILE` APP2 segments (before the first scan) in
/// sequence order, at most [`MAX_ICC`] bytes.
#[cfg(feature = "libjpeg")]
fn jpeg_icc(bytes: &[u8]) -> Option<Vec<u8>> {
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
            crate::prepare::color::cmyk_to_srgb(&jpeg.data, profile)
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
