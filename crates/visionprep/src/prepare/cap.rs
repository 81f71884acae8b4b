//! Encoding under the byte cap: the codec chosen for the pixels and the output policy, then
//! lower qualities (or JPEG instead of PNG) until the base64 text fits.

use super::encode::Codec;
#[cfg(feature = "libwebp")]
use super::libwebp;
use super::pixels::{Layout, Pixels};
use super::{Actions, OutputPolicy, PrepareError, PrepareOptions, Prepared, encode, finish};
use crate::probe::Probe;
use visionprep_core::{Format, MediaType, Size};

/// Encodes `pixels` (upright, at `target`) by `codec` under the byte cap and completes the
/// result: the last step of every prepared image, whole or tile.
pub(crate) fn encode_finish(
    pixels: &Pixels,
    codec: Codec,
    probe: &Probe,
    target: Size,
    mut actions: Actions,
    options: &PrepareOptions,
) -> Result<Prepared, PrepareError> {
    let (out, media_type) = encode_under_cap(pixels, codec, options, &mut actions)?;
    actions.converted = probe.format.media_type() != Some(media_type);
    Ok(finish(out, media_type, probe, target, actions, options))
}

pub(crate) fn choose_codec(probe: &Probe, pixels: &Pixels, policy: OutputPolicy) -> Codec {
    let alpha = pixels.layout == Layout::Rgba;
    match policy {
        OutputPolicy::Jpeg => Codec::Jpeg,
        OutputPolicy::Png => Codec::Png,
        OutputPolicy::Webp => Codec::WebpLossless,
        OutputPolicy::Auto => match probe.format {
            Format::Jpeg => Codec::Jpeg,
            Format::Png | Format::Gif => Codec::Png,
            Format::Webp if probe.webp.is_some_and(|w| w.lossless) => Codec::WebpLossless,
            // A lossy WebP stays lossy WebP where libwebp is built in: smaller than a JPEG of
            // it as a rule (the encoder checks, for photographs), and alpha survives.
            #[cfg(feature = "libwebp")]
            Format::Webp if alpha || pixels.looks_photographic() => Codec::WebpLossy,
            Format::Webp if alpha || !pixels.looks_photographic() => Codec::Png,
            Format::Webp => Codec::Jpeg,
            _ if alpha || !pixels.looks_photographic() => Codec::Png,
            _ => Codec::Jpeg,
        },
    }
}

/// Encodes with `codec`; over the cap, a lossless codec moves to JPEG and a lossy one lowers
/// its quality in steps of 10 down to the options' minimum.
fn encode_under_cap(
    pixels: &Pixels,
    codec: Codec,
    options: &PrepareOptions,
    actions: &mut Actions,
) -> Result<(Vec<u8>, MediaType), PrepareError> {
    let cap = |bytes: &[u8]| options.request.image_bytes_ok(bytes.len() as u64);
    let lossless = match codec {
        Codec::Png => Some(encode::png(pixels)),
        Codec::WebpLossless => Some(encode::webp_lossless(pixels)),
        _ => None,
    };
    if let Some(out) = lossless {
        let out = out?;
        if cap(&out) {
            return Ok((out, codec.media_type()));
        }
    }
    let flat;
    let opaque = if pixels.layout == Layout::Rgba && !codec.lossy_keeps_alpha() {
        flat = pixels.flatten(options.background);
        &flat
    } else {
        pixels
    };
    let mut quality = options.quality.clamp(1, 100);
    loop {
        let (out, media_type) = encode_lossy(pixels, opaque, codec, quality)?;
        if cap(&out) {
            if quality < options.quality {
                actions.quality_lowered_to = Some(quality);
            }
            actions.flattened = pixels.layout == Layout::Rgba && media_type == MediaType::Jpeg;
            return Ok((out, media_type));
        }
        if quality <= options.min_quality {
            return Err(PrepareError::Encode(format!(
                "{} bytes at quality {quality} is still over the {}-byte base64 limit",
                out.len(),
                options.request.max_image_base64_bytes
            )));
        }
        quality = quality.saturating_sub(10).max(options.min_quality);
    }
}

/// One lossy encoding at `quality`: JPEG of the `opaque` pixels, or (lossy WebP) a WebP of the
/// `pixels` with their alpha, or the JPEG when the image is opaque and that is smaller.
pub(crate) fn encode_lossy(
    pixels: &Pixels,
    opaque: &Pixels,
    codec: Codec,
    quality: u8,
) -> Result<(Vec<u8>, MediaType), PrepareError> {
    #[cfg(feature = "libwebp")]
    if codec == Codec::WebpLossy {
        let webp = libwebp::encode_lossy(pixels, quality)?;
        if pixels.layout == Layout::Rgba {
            return Ok((webp, MediaType::Webp));
        }
        let jpeg = encode::jpeg(opaque, quality)?;
        return Ok(if webp.len() <= jpeg.len() {
            (webp, MediaType::Webp)
        } else {
            (jpeg, MediaType::Jpeg)
        });
    }
    let _ = (pixels, codec);
    Ok((encode::jpeg(opaque, quality)?, MediaType::Jpeg))
}
