//! WebP decoding and lossy encoding with libwebp (feature `libwebp`): the only place libwebp
//! is called. libwebp reports errors by status codes (it never aborts or unwinds), the size
//! is checked against the limits before it allocates, and the pixels are decoded into a buffer
//! visionprep owns. Animated files go to the pure-Rust decoder, which reads their first frame.

// FFI to libwebp: each `unsafe` block below says why it holds.
#![allow(unsafe_code)]

use super::PrepareError;
use super::decode::Decoded;
use super::pixels::{Layout, Pixels};
use crate::limits::Limits;
use crate::probe::Probe;
use libwebp_sys as sys;
use visionprep_core::{Format, Size};

const FORMAT: Format = Format::Webp;

fn status_error(status: sys::VP8StatusCode) -> PrepareError {
    use sys::VP8StatusCode as S;
    match status {
        S::VP8_STATUS_NOT_ENOUGH_DATA => PrepareError::data_ends(FORMAT),
        S::VP8_STATUS_OUT_OF_MEMORY => PrepareError::MemoryLimit {
            format: FORMAT,
            reason: "libwebp ran out of memory".into(),
        },
        S::VP8_STATUS_UNSUPPORTED_FEATURE => PrepareError::Unsupported {
            format: FORMAT,
            reason: "a feature libwebp does not support".into(),
        },
        S::VP8_STATUS_BITSTREAM_ERROR => PrepareError::Corrupt {
            format: FORMAT,
            reason: "bitstream error".into(),
        },
        other => PrepareError::Corrupt {
            format: FORMAT,
            reason: format!("libwebp status {other:?}"),
        },
    }
}

/// Decodes a still WebP (lossy, lossless, with or without alpha) with libwebp, at least
/// `wanted` in size; animated ones with the pure-Rust decoder (their first frame).
///
/// A lossy WebP to be shrunk is shrunk while it decodes, as a JPEG is by DCT scaling: libwebp
/// converts the smaller image from YUV and writes only its rows
/// ([`visionprep_core::webp_decode_scale`] says to what size), so the decode costs less time
/// and a fraction of the memory, and the exact resize to `wanted` has fewer pixels to read.
/// The filtering of block edges is skipped when the image shrinks to a quarter of its area or
/// less: its traces are averaged away by then.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    wanted: Size,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    if probe.animated {
        return super::decode::decode_full(bytes, probe, limits);
    }
    let mut config = sys::WebPDecoderConfig::new().map_err(|()| PrepareError::MemoryLimit {
        format: FORMAT,
        reason: "cannot set up libwebp's decoder".into(),
    })?;
    // SAFETY: `bytes` is a live slice of `bytes.len()` bytes and `config.input` is a valid
    // features struct to write into; libwebp reads only the headers.
    let status = unsafe { sys::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &mut config.input) };
    if status != sys::VP8StatusCode::VP8_STATUS_OK {
        return Err(status_error(status));
    }
    let features = config.input;
    if features.has_animation != 0 {
        return super::decode::decode_full(bytes, probe, limits);
    }
    let (w, h) = (
        u32::try_from(features.width).unwrap_or(0),
        u32::try_from(features.height).unwrap_or(0),
    );
    let declared = Size::new(w, h);
    // Checked before libwebp allocates anything for the pixels.
    super::decode::check_declared(FORMAT, declared, limits)?;
    // Lossless WebP has no cheaper way to a smaller size: it is decoded whole.
    let lossy = features.format != 2;
    let out = if lossy {
        visionprep_core::webp_decode_scale(declared, wanted)
    } else {
        declared
    };
    if out != declared {
        config.options.use_scaling = 1;
        config.options.scaled_width = i32::try_from(out.width).unwrap_or(i32::MAX);
        config.options.scaled_height = i32::try_from(out.height).unwrap_or(i32::MAX);
        config.options.bypass_filtering =
            i32::from(out.area().saturating_mul(4) <= declared.area());
    }
    let (w, h) = (out.width, out.height);
    let alpha = features.has_alpha != 0;
    let (layout, mode, channels) = if alpha {
        (Layout::Rgba, sys::WEBP_CSP_MODE::MODE_RGBA, 4usize)
    } else {
        (Layout::Rgb, sys::WEBP_CSP_MODE::MODE_RGB, 3usize)
    };
    let stride = w as usize * channels;
    let mut data = vec![0u8; stride * h as usize];
    config.output.colorspace = mode;
    config.output.is_external_memory = 1;
    config.output.u.RGBA = sys::WebPRGBABuffer {
        rgba: data.as_mut_ptr(),
        stride: i32::try_from(stride).map_err(|_| PrepareError::MemoryLimit {
            format: FORMAT,
            reason: "a row is too long".into(),
        })?,
        size: data.len(),
    };
    // SAFETY: the output buffer is `data` (external memory: libwebp writes at most `size`
    // bytes at `stride` per row into it and never frees it); `bytes` is live for the call.
    let status = unsafe { sys::WebPDecode(bytes.as_ptr(), bytes.len(), &mut config) };
    // SAFETY: frees only libwebp's own allocations of the output (none with external memory);
    // called once, after the decode.
    unsafe { sys::WebPFreeDecBuffer(&mut config.output) };
    if status != sys::VP8StatusCode::VP8_STATUS_OK {
        return Err(status_error(status));
    }
    Ok(Decoded::new(
        (w, h, layout),
        data,
        declared,
        probe.orientation,
        super::decode::webp_icc(bytes, probe),
    ))
}

/// Encodes RGB or RGBA pixels as a lossy WebP at `quality` (1-100; alpha kept, losslessly
/// compressed).
pub(crate) fn encode_lossy(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, PrepareError> {
    let fail = |what: &str| PrepareError::Encode(format!("libwebp: {what}"));
    let mut config = sys::WebPConfig::new_with_preset(
        sys::WebPPreset::WEBP_PRESET_PHOTO,
        f32::from(quality.clamp(1, 100)),
    )
    .map_err(|()| fail("cannot set up the encoder"))?;
    // Method 4 is libwebp's default trade-off; 2 is 2x faster for files about 2% larger.
    config.method = 2;
    // SAFETY: `config` is an initialised config; the call only reads it.
    if unsafe { sys::WebPValidateConfig(&config) } == 0 {
        return Err(fail("invalid configuration"));
    }
    let (w, h) = (
        i32::try_from(pixels.width).map_err(|_| fail("too wide"))?,
        i32::try_from(pixels.height).map_err(|_| fail("too tall"))?,
    );
    let mut picture = sys::WebPPicture::new().map_err(|()| fail("cannot set up the picture"))?;
    picture.width = w;
    picture.height = h;
    let mut writer = std::mem::MaybeUninit::<sys::WebPMemoryWriter>::uninit();
    // SAFETY: WebPMemoryWriterInit initialises every field of the writer.
    unsafe { sys::WebPMemoryWriterInit(writer.as_mut_ptr()) };
    // SAFETY: initialised just above.
    let mut writer = unsafe { writer.assume_init() };
    let (import, channels): (unsafe extern "C" fn(_, _, _) -> _, usize) = match pixels.layout {
        Layout::Rgba => (sys::WebPPictureImportRGBA, 4),
        Layout::Rgb => (sys::WebPPictureImportRGB, 3),
        Layout::Gray => {
            let rgb = Pixels {
                width: pixels.width,
                height: pixels.height,
                layout: Layout::Rgb,
                data: pixels.data.iter().flat_map(|&g| [g, g, g]).collect(),
            };
            return encode_lossy(&rgb, quality);
        }
    };
    let stride = i32::try_from(pixels.width as usize * channels).map_err(|_| fail("too wide"))?;
    if pixels.data.len() < pixels.width as usize * channels * pixels.height as usize {
        return Err(fail("short pixel data"));
    }
    // SAFETY: `pixels.data` holds `height` rows of `stride` bytes (checked above); libwebp
    // copies them into the picture's own planes.
    let imported = unsafe { import(&mut picture, pixels.data.as_ptr(), stride) } != 0;
    let encoded = imported && {
        picture.writer = Some(sys::WebPMemoryWrite);
        picture.custom_ptr = (&raw mut writer).cast();
        // SAFETY: the picture holds imported planes; its writer appends to `writer`, which
        // outlives the call.
        unsafe { sys::WebPEncode(&config, &mut picture) != 0 }
    };
    let out = if encoded && !writer.mem.is_null() {
        // SAFETY: the memory writer owns `size` initialised bytes at `mem`; they are copied
        // before the writer is cleared.
        Ok(unsafe { std::slice::from_raw_parts(writer.mem, writer.size) }.to_vec())
    } else {
        Err(fail(&format!("encoding failed ({:?})", picture.error_code)))
    };
    // SAFETY: each frees what libwebp allocated for the picture and the writer, once.
    unsafe {
        sys::WebPPictureFree(&mut picture);
        sys::WebPMemoryWriterClear(&mut writer);
    }
    out
}

/// libwebp's decoder and encoder versions, as "major.minor.revision".
pub(crate) fn versions() -> (String, String) {
    let text = |v: i32| format!("{}.{}.{}", (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF);
    // SAFETY: both return a constant and take no arguments.
    unsafe {
        (
            text(sys::WebPGetDecoderVersion()),
            text(sys::WebPGetEncoderVersion()),
        )
    }
}
