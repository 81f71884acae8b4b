//! HEIC and AVIF decoding with libheif (feature `heif`: libheif 1.23 built by cmake, with
//! libde265 for HEVC and libdav1d for AV1), through libheif-rs's safe API. The primary image,
//! upright by its `irot`/`imir`/`clap` (so an Exif orientation inside the file is not applied
//! again; a lone `irot` is applied by the pipeline after the resize, the rest by libheif), 10- and 12-bit planes reduced to 8 bits, the alpha plane kept, and the
//! colour (an ICC profile, or `nclx` code points) left for the colour step.

use super::PrepareError;
use super::decode::Decoded;
use super::pixels::Layout;
use super::resize::{Filter, resize_plane};
use crate::limits::Limits;
use crate::probe::Probe;
use libheif_rs::{
    ColorSpace, DecodingOptions, HeifContext, HeifError, HeifErrorCode, HeifErrorSubCode, Image,
    LibHeif, RgbChroma, SecurityLimits,
};
use visionprep_core::{Format, Orientation, Size};
use visionprep_resize::Resizer;

/// A libheif error by its code and sub-code, never by its text. `cut` is the probe's word that
/// the file ends before its boxes do: a decoder that runs out of input then failed because the
/// data ends early, whatever it calls the failure.
fn failed(format: Format, cut: bool, e: HeifError) -> PrepareError {
    let reason = e.message.clone();
    match e.code {
        HeifErrorCode::MemoryAllocationError => PrepareError::MemoryLimit { format, reason },
        HeifErrorCode::UnsupportedFeature | HeifErrorCode::UnsupportedFileType => {
            PrepareError::Unsupported { format, reason }
        }
        _ if cut || matches!(e.sub_code, HeifErrorSubCode::EndOfData) => {
            PrepareError::data_ends(format)
        }
        _ => PrepareError::Corrupt { format, reason },
    }
}

/// Decodes the primary image of a HEIC or AVIF file, at least `wanted` in size (in the stored
/// orientation).
///
/// An 8-bit colour image without alpha, whose only transformation is a rotation, is shrunk
/// while it is turned into RGB ([`shrink_planar`]); any other comes from libheif as RGB at its
/// full size, upright.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
    filter: Filter,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    let format = probe.format;
    let fail = |e| failed(format, probe.truncated, e);
    let lib = LibHeif::new();
    let mut ctx = HeifContext::new().map_err(fail)?;
    // libheif refuses images over the pixel limit itself too (checked before it allocates),
    // and grids of more tiles than an image of that size needs.
    let mut security = SecurityLimits::new();
    security.set_max_image_size_pixels(limits.max_pixels);
    security.set_max_number_of_tiles(limits.max_pixels / (64 * 64) + 1);
    ctx.set_security_limits(&security).map_err(fail)?;
    ctx.read_bytes(bytes).map_err(fail)?;
    let handle = ctx.primary_image_handle().map_err(fail)?;
    // libheif's size is after the transformations; the stored size is before them.
    let upright = Size::new(handle.width(), handle.height());
    let declared = if probe.orientation.swaps_dimensions() {
        upright.transposed()
    } else {
        upright
    };
    super::decode::check_declared(format, declared, limits)?;
    // An image turned by `irot` alone (a phone's portrait photo) is decoded as stored and
    // turned by the pipeline after the resize: libheif would turn all of its pixels, a tenth
    // of them remain after the resize. Mirrors and crops stay libheif's.
    let as_stored = crate::probe::bmff::rotation_only(bytes);
    let size = if as_stored { declared } else { upright };
    let alpha = handle.has_alpha_channel();
    let planar = if as_stored
        && !alpha
        && handle.luma_bits_per_pixel() == 8
        && handle.chroma_bits_per_pixel() == 8
        && wanted.width <= size.width
        && wanted.height <= size.height
        && wanted != size
        // A matrix libheif treats specially, as far as the container says (the stream may
        // still say otherwise: `shrink_planar` checks the decoded image's again).
        && handle
            .color_profile_nclx()
            .is_none_or(|n| YccMatrix::new(n.matrix_coefficients() as u16, true).is_some())
    {
        match handle.preferred_decoding_colorspace() {
            Ok(ColorSpace::YCbCr(chroma)) => Some(chroma),
            _ => None,
        }
    } else {
        None
    };
    let options = || -> Result<DecodingOptions, PrepareError> {
        let mut options = DecodingOptions::new().ok_or(PrepareError::MemoryLimit {
            format,
            reason: "cannot allocate libheif's decoding options".into(),
        })?;
        // 10- and 12-bit images come out as 8-bit RGB; one thread per image, in libheif and
        // in its codecs (a folder runs images in parallel).
        options.set_convert_hdr_to_8bit(true);
        options.set_num_library_threads(1);
        // dav1d's default is a thread (and a frame's buffers) per CPU: 330 MB for one 12 MP
        // AVIF.
        options.set_num_codec_threads(1);
        options.set_strict_decoding(!limits.lenient);
        options.set_ignore_transformations(as_stored);
        Ok(options)
    };
    let shrunk = match planar {
        Some(chroma) => {
            let image = lib
                .decode(&handle, ColorSpace::YCbCr(chroma), Some(options()?))
                .map_err(fail)?;
            shrink_planar(&image, size, wanted, filter, format)?
        }
        None => None,
    };
    let (pixels, layout) = match shrunk {
        Some(rgb) => ((wanted, rgb), Layout::Rgb),
        None => {
            let (chroma, layout) = if alpha {
                (RgbChroma::Rgba, Layout::Rgba)
            } else {
                (RgbChroma::Rgb, Layout::Rgb)
            };
            let image = lib
                .decode(&handle, ColorSpace::Rgb(chroma), Some(options()?))
                .map_err(fail)?;
            ((size, interleaved(&image, size, layout, format)?), layout)
        }
    };
    let icc = handle
        .color_profile_raw()
        .filter(|p| !p.data.is_empty())
        .map(|p| p.data);
    let cicp = match (&icc, handle.color_profile_nclx()) {
        (None, Some(nclx)) => Some((
            nclx.color_primaries() as u16,
            nclx.transfer_characteristics() as u16,
        )),
        _ => None,
    };
    let (size, data) = pixels;
    // libheif applied irot, imir and clap, unless the image was decoded as stored.
    let orientation = if as_stored {
        probe.orientation
    } else {
        Orientation::Normal
    };
    let mut decoded = Decoded::new(
        (size.width, size.height, layout),
        data,
        declared,
        orientation,
        icc,
    );
    decoded.cicp = cicp;
    Ok(decoded)
}

/// The interleaved RGB(A) plane of a decoded `image` of `size`, copied into a buffer of its
/// own.
fn interleaved(
    image: &Image,
    size: Size,
    layout: Layout,
    format: Format,
) -> Result<Vec<u8>, PrepareError> {
    let channels = layout.channels();
    let planes = image.planes();
    let Some(plane) = planes.interleaved else {
        return Err(PrepareError::Corrupt {
            format,
            reason: "libheif gave no interleaved plane".into(),
        });
    };
    if plane.storage_bits_per_pixel as usize != channels * 8
        || Size::new(plane.width, plane.height) != size
    {
        return Err(PrepareError::Corrupt {
            format,
            reason: format!(
                "libheif gave {}x{} at {} bits a pixel for a {size} image",
                plane.width, plane.height, plane.storage_bits_per_pixel
            ),
        });
    }
    let mut data = Vec::new();
    copy_rows(&plane, channels, &mut data, format)?;
    Ok(data)
}

/// Appends the `width * bytes_per_pixel` bytes of each row of `plane` to `out`.
fn copy_rows(
    plane: &libheif_rs::Plane<&[u8]>,
    bytes_per_pixel: usize,
    out: &mut Vec<u8>,
    format: Format,
) -> Result<(), PrepareError> {
    let row = plane.width as usize * bytes_per_pixel;
    out.try_reserve_exact(row * plane.height as usize)
        .map_err(|_| PrepareError::MemoryLimit {
            format,
            reason: "cannot allocate the pixels".into(),
        })?;
    for y in 0..plane.height as usize {
        let start = y * plane.stride;
        let Some(line) = plane.data.get(start..start + row) else {
            return Err(PrepareError::Corrupt {
                format,
                reason: "short pixel data".into(),
            });
        };
        out.extend_from_slice(line);
    }
    Ok(())
}

/// RGB pixels of `wanted` size from the Y, Cb and Cr planes of a decoded 8-bit `image` of
/// `size`: each plane is resized with `filter` straight to `wanted` (chroma from its own,
/// subsampled size), then turned into RGB by the image's matrix. libheif would upsample the
/// chroma to the full size and convert every pixel; this converts a tenth of them, never
/// builds the full RGB image (36 MB for 12 MP), and resizes 1.5 bytes a pixel (4:2:0)
/// instead of 3: libheif's decode of a 12 MP HEIC took 9% less time, of an AVIF 20% (timed
/// around the call). The resize is linear and so is the matrix, so the order changes the
/// result only by rounding. `None` for a matrix libheif treats specially (RGB, YCgCo, ICtCp,
/// derived from the primaries): the caller decodes to RGB then.
fn shrink_planar(
    image: &Image,
    size: Size,
    wanted: Size,
    filter: Filter,
    format: Format,
) -> Result<Option<Vec<u8>>, PrepareError> {
    let (matrix, full_range) = match image.color_profile_nclx() {
        Some(nclx) => (
            nclx.matrix_coefficients() as u16,
            nclx.full_range_flag() != 0,
        ),
        // libheif's conversion without code points: BT.601, full range.
        None => (6, true),
    };
    let Some(matrix) = YccMatrix::new(matrix, full_range) else {
        return Ok(None);
    };
    let planes = image.planes();
    let (Some(y), Some(cb), Some(cr)) = (planes.y, planes.cb, planes.cr) else {
        return Err(PrepareError::Corrupt {
            format,
            reason: "libheif gave no Y, Cb and Cr planes".into(),
        });
    };
    if Size::new(y.width, y.height) != size
        || [&y, &cb, &cr].iter().any(|p| p.storage_bits_per_pixel != 8)
        || Size::new(cb.width, cb.height) != Size::new(cr.width, cr.height)
    {
        return Err(PrepareError::Corrupt {
            format,
            reason: format!("libheif's planes do not make a {size} 8-bit image"),
        });
    }
    let mut resizer = Resizer::new();
    let mut shrink = |plane: &libheif_rs::Plane<&[u8]>| {
        let from = Size::new(plane.width, plane.height);
        let whole = plane.width as usize * plane.height as usize;
        // Rows are usually stored without padding: read in place, else gathered first.
        if plane.stride == plane.width as usize
            && let Some(data) = plane.data.get(..whole)
        {
            return resize_plane(&mut resizer, data, from, wanted, filter);
        }
        let mut data = Vec::new();
        copy_rows(plane, 1, &mut data, format)?;
        resize_plane(&mut resizer, &data, from, wanted, filter)
    };
    let (y, cb, cr) = (shrink(&y)?, shrink(&cb)?, shrink(&cr)?);
    Ok(Some(matrix.to_rgb(&y, &cb, &cr)))
}

/// The conversion of Y'CbCr to R'G'B' that libheif applies for a matrix (`nclx`
/// `matrix_coefficients`) and range.
#[derive(Debug, Clone, Copy, PartialEq)]
struct YccMatrix {
    r_cr: f32,
    g_cb: f32,
    g_cr: f32,
    b_cb: f32,
    full_range: bool,
}

impl YccMatrix {
    /// The matrix for code point `matrix`: BT.709 (1), FCC (4), BT.601 (5, 6), SMPTE 240M (7),
    /// BT.2020 (9, 10, as libheif: non-constant luminance); unspecified and reserved values
    /// get BT.601 as in libheif. `None` for RGB (0), YCgCo (8), SMPTE 2085 (11), matrices
    /// derived from the primaries (12, 13) and ICtCp (14).
    fn new(matrix: u16, full_range: bool) -> Option<YccMatrix> {
        let (kr, kb) = match matrix {
            0 | 8 | 11..=14 => return None,
            1 => (0.2126_f32, 0.0722_f32),
            4 => (0.30, 0.11),
            7 => (0.212, 0.087),
            9 | 10 => (0.2627, 0.0593),
            _ => (0.299, 0.114),
        };
        let kg = 1.0 - kr - kb;
        Some(YccMatrix {
            r_cr: 2.0 * (1.0 - kr),
            g_cb: -2.0 * kb * (1.0 - kb) / kg,
            g_cr: -2.0 * kr * (1.0 - kr) / kg,
            b_cb: 2.0 * (1.0 - kb),
            full_range,
        })
    }

    /// Interleaved RGB from three planes of equal length.
    fn to_rgb(self, y: &[u8], cb: &[u8], cr: &[u8]) -> Vec<u8> {
        // Limited range: luma 16-235 and chroma 16-240 stretched to full range, as libheif.
        let (y_offset, y_scale, c_scale) = if self.full_range {
            (0.0, 1.0, 1.0)
        } else {
            (16.0, 1.1689_f32, 1.1429_f32)
        };
        let to_u8 = |v: f32| (v + 0.5).clamp(0.0, 255.0) as u8;
        // The planes were resized to the same (target) size: their length is bounded.
        let mut out = vec![0u8; y.len() * 3];
        for (px, ((&y, &cb), &cr)) in out.chunks_exact_mut(3).zip(y.iter().zip(cb).zip(cr)) {
            let l = (f32::from(y) - y_offset) * y_scale;
            let b = (f32::from(cb) - 128.0) * c_scale;
            let r = (f32::from(cr) - 128.0) * c_scale;
            px[0] = to_u8(l + self.r_cr * r);
            px[1] = to_u8(l + self.g_cb * b + self.g_cr * r);
            px[2] = to_u8(l + self.b_cb * b);
        }
        out
    }
}

/// libheif's version, as "major.minor.patch".
pub(crate) fn version() -> String {
    let [major, minor, patch] = LibHeif::new().version();
    format!("{major}.{minor}.{patch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrices_are_libheifs() {
        // libheif's defaults (BT.601), to its printed precision.
        let m = YccMatrix::new(6, true).unwrap();
        for (got, want) in [
            (m.r_cr, 1.402),
            (m.g_cb, -0.344136),
            (m.g_cr, -0.714136),
            (m.b_cb, 1.772),
        ] {
            assert!((got - want).abs() < 1e-4, "{got} {want}");
        }
        assert_eq!(YccMatrix::new(2, true), Some(m), "unspecified is BT.601");
        let bt709 = YccMatrix::new(1, true).unwrap();
        assert!((bt709.r_cr - 1.5748).abs() < 1e-4 && (bt709.b_cb - 1.8556).abs() < 1e-4);
        for special in [0, 8, 11, 12, 13, 14] {
            assert_eq!(YccMatrix::new(special, true), None, "{special}");
        }
    }

    #[test]
    fn grey_and_primaries_convert_as_expected() {
        let full = YccMatrix::new(6, true).unwrap();
        // Neutral chroma is grey whatever the matrix.
        assert_eq!(
            full.to_rgb(&[0, 77, 255], &[128; 3], &[128; 3]),
            [0, 0, 0, 77, 77, 77, 255, 255, 255]
        );
        // Pure red in BT.601 full range: Y 76, Cb 85, Cr 255.
        let red = full.to_rgb(&[76], &[85], &[255]);
        assert!(red[0] >= 253 && red[1] <= 2 && red[2] <= 2, "{red:?}");
        // Limited range: 16 is black and 235 white.
        let limited = YccMatrix::new(1, false).unwrap();
        assert_eq!(
            limited.to_rgb(&[16, 235], &[128; 2], &[128; 2]),
            [0, 0, 0, 255, 255, 255]
        );
    }
}
