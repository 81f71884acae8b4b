//! HEIC and AVIF decoding with libheif (feature `heif`: libheif 1.23 built by cmake, with
//! libde265 for HEVC and libdav1d for AV1), through libheif-rs's safe API. The primary image,
//! upright by its `irot`/`imir`/`clap` (so an Exif orientation inside the file is not applied
//! again; a lone `irot` is applied by the pipeline after the resize, the rest by libheif), 10- and 12-bit planes reduced to 8 bits, the alpha plane kept, and the
//! colour (an ICC profile, or `nclx` code points) left for the colour step.

use super::PrepareError;
use super::decode::Decoded;
use super::pixels::Layout;
use crate::limits::Limits;
use crate::probe::Probe;
use libheif_rs::{
    ColorSpace, DecodingOptions, HeifContext, HeifError, HeifErrorCode, HeifErrorSubCode, LibHeif,
    RgbChroma, SecurityLimits,
};
use visionprep_core::{Format, Orientation, Size};

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

/// Decodes the primary image of a HEIC or AVIF file, upright.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
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
    let alpha = handle.has_alpha_channel();
    let (chroma, layout, channels) = if alpha {
        (RgbChroma::Rgba, Layout::Rgba, 4usize)
    } else {
        (RgbChroma::Rgb, Layout::Rgb, 3usize)
    };
    let mut options = DecodingOptions::new().ok_or(PrepareError::MemoryLimit {
        format,
        reason: "cannot allocate libheif's decoding options".into(),
    })?;
    // 10- and 12-bit images come out as 8-bit RGB; one thread per image, in libheif and in
    // its codecs (a folder runs images in parallel).
    options.set_convert_hdr_to_8bit(true);
    options.set_num_library_threads(1);
    // dav1d's default is a thread (and a frame's buffers) per CPU: 330 MB for one 12 MP AVIF.
    options.set_num_codec_threads(1);
    options.set_strict_decoding(!limits.lenient);
    // An image turned by `irot` alone (a phone's portrait photo) is decoded as stored and
    // turned by the pipeline after the resize: libheif would turn all of its pixels, a tenth
    // of them remain after the resize. Mirrors and crops stay libheif's.
    let turn_later =
        probe.orientation != Orientation::Normal && crate::probe::bmff::rotation_only(bytes);
    options.set_ignore_transformations(turn_later);
    let image = lib
        .decode(&handle, ColorSpace::Rgb(chroma), Some(options))
        .map_err(fail)?;
    let planes = image.planes();
    let Some(plane) = planes.interleaved else {
        return Err(PrepareError::Corrupt {
            format,
            reason: "libheif gave no interleaved plane".into(),
        });
    };
    if plane.storage_bits_per_pixel as usize != channels * 8
        || Size::new(plane.width, plane.height) != if turn_later { declared } else { upright }
    {
        return Err(PrepareError::Corrupt {
            format,
            reason: format!(
                "libheif gave {}x{} at {} bits a pixel for a {upright} image",
                plane.width, plane.height, plane.storage_bits_per_pixel
            ),
        });
    }
    let row = plane.width as usize * channels;
    let mut data = Vec::new();
    data.try_reserve_exact(row * plane.height as usize)
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
        data.extend_from_slice(line);
    }
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
    // libheif applied irot and imir, unless they are left for the pipeline.
    let mut decoded = Decoded::new(
        (plane.width, plane.height, layout),
        data,
        declared,
        if turn_later {
            probe.orientation
        } else {
            Orientation::Normal
        },
        icc,
    );
    decoded.cicp = cicp;
    Ok(decoded)
}

/// libheif's version, as "major.minor.patch".
pub(crate) fn version() -> String {
    let [major, minor, patch] = LibHeif::new().version();
    format!("{major}.{minor}.{patch}")
}
