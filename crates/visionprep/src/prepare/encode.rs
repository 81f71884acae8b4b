//! Encoders, and the search for an encoding under the byte cap.

use super::pixels::{Layout, Pixels};
use image::ImageEncoder;
use visionprep_core::MediaType;

/// Encodes `p` (no alpha) as baseline JPEG, 4:2:0 with box-averaged chroma, at `quality`.
///
/// Huffman tables are the standard ones: jpeg-encoder 0.7's optimised tables with chroma
/// subsampling decode correctly in libjpeg-turbo but wrongly in the `image` crate's decoder,
/// so they are not used until that is understood.
pub(crate) fn jpeg(p: &Pixels, quality: u8) -> Result<Vec<u8>, String> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
    let (w, h) = dims16(p)?;
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    let color = match p.layout {
        Layout::Gray => ColorType::Luma,
        Layout::Rgb => ColorType::Rgb,
        Layout::Rgba => return Err("JPEG has no alpha: flatten first".into()),
    };
    enc.encode(&p.data, w, h, color)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encodes `p` as PNG (lossless). Photographs get fast deflate: the default level costs three
/// times the time for 8% fewer bytes on them. Screenshots and drawings (few colours) get
/// level 4, which makes them up to three times smaller than fast deflate does, and is a third
/// quicker than the default level for a few per cent more bytes (measured on the example
/// images and the photo corpus).
pub(crate) fn png(p: &Pixels) -> Result<Vec<u8>, String> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    let compression = if p.looks_photographic() {
        CompressionType::Fast
    } else {
        CompressionType::Level(4)
    };
    PngEncoder::new_with_quality(&mut out, compression, FilterType::Adaptive)
        .write_image(&p.data, p.width, p.height, color_type(p.layout))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encodes `p` as lossless WebP.
pub(crate) fn webp_lossless(p: &Pixels) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let (data, color) = match p.layout {
        // WebP stores colour; grey is expanded.
        Layout::Gray => (
            p.data.iter().flat_map(|&g| [g, g, g]).collect::<Vec<u8>>(),
            image::ExtendedColorType::Rgb8,
        ),
        _ => (p.data.clone(), color_type(p.layout)),
    };
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(&data, p.width, p.height, color)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn color_type(layout: Layout) -> image::ExtendedColorType {
    match layout {
        Layout::Gray => image::ExtendedColorType::L8,
        Layout::Rgb => image::ExtendedColorType::Rgb8,
        Layout::Rgba => image::ExtendedColorType::Rgba8,
    }
}

fn dims16(p: &Pixels) -> Result<(u16, u16), String> {
    match (u16::try_from(p.width), u16::try_from(p.height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(format!(
            "{}x{} is over JPEG's 65535 px limit",
            p.width, p.height
        )),
    }
}

/// An encoding choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Jpeg,
    Png,
    WebpLossless,
}

impl Codec {
    pub(crate) const fn media_type(self) -> MediaType {
        match self {
            Codec::Jpeg => MediaType::Jpeg,
            Codec::Png => MediaType::Png,
            Codec::WebpLossless => MediaType::Webp,
        }
    }
}
