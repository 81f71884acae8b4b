//! Encoders, and the search for an encoding under the byte cap.

use super::PrepareError;
use super::pixels::{Layout, Pixels};
use image::ImageEncoder;
use visionprep_core::MediaType;

/// An encoder's failure, as the typed [`PrepareError::Encode`].
fn encode_error(e: impl std::fmt::Display) -> PrepareError {
    PrepareError::Encode(e.to_string())
}

/// Encodes `p` (no alpha) as baseline JPEG, 4:2:0 with box-averaged chroma, at `quality`:
/// with libjpeg-turbo where the `libjpeg` feature builds it in, else with jpeg-encoder.
pub(crate) fn jpeg(p: &Pixels, quality: u8) -> Result<Vec<u8>, PrepareError> {
    #[cfg(feature = "libjpeg")]
    return super::libjpeg::encode(p, quality);
    #[cfg(not(feature = "libjpeg"))]
    jpeg_rust(p, quality)
}

/// [`jpeg`] with the pure-Rust encoder (jpeg-encoder), in builds without libjpeg.
///
/// Huffman tables are the standard ones: jpeg-encoder 0.7's optimised tables with chroma
/// subsampling decode correctly in libjpeg-turbo but wrongly in the `image` crate's decoder,
/// so they are not used until that is understood.
#[cfg_attr(feature = "libjpeg", allow(dead_code))]
fn jpeg_rust(p: &Pixels, quality: u8) -> Result<Vec<u8>, PrepareError> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
    let (w, h) = dims16(p)?;
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    let color = match p.layout {
        Layout::Gray => ColorType::Luma,
        Layout::Rgb => ColorType::Rgb,
        Layout::Rgba => {
            return Err(PrepareError::Encode(
                "JPEG has no alpha: flatten first".into(),
            ));
        }
    };
    enc.encode(&p.data, w, h, color).map_err(encode_error)?;
    Ok(out)
}

/// Encodes `p` as PNG (lossless). Photographs get fast deflate: the default level costs three
/// times the time for 8% fewer bytes on them. Screenshots and drawings (few colours) get
/// level 4, which makes them up to three times smaller than fast deflate does, and is a third
/// quicker than the default level for a few per cent more bytes (measured on the example
/// images and the photo corpus).
pub(crate) fn png(p: &Pixels) -> Result<Vec<u8>, PrepareError> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    if let Some(indexed) = palette(p) {
        return indexed_png(p, &indexed);
    }
    let mut out = Vec::new();
    let compression = if p.looks_photographic() {
        CompressionType::Fast
    } else {
        CompressionType::Level(4)
    };
    PngEncoder::new_with_quality(&mut out, compression, FilterType::Adaptive)
        .write_image(&p.data, p.width, p.height, color_type(p.layout))
        .map_err(encode_error)?;
    Ok(out)
}

/// An image of at most 256 colours as palette indices.
struct Indexed {
    /// RGB triples.
    palette: Vec<u8>,
    /// Alpha per palette entry, when any is not opaque.
    alpha: Option<Vec<u8>>,
    indices: Vec<u8>,
}

/// The palette form of a colour image with at most 256 distinct colours (a GIF frame kept at
/// its size, a chart, a flat screenshot): one byte a pixel instead of three or four, which
/// deflates to a fraction of the RGB form. `None` past 256 colours (photographs stop within
/// the first few hundred pixels).
fn palette(p: &Pixels) -> Option<Indexed> {
    let ch = p.layout.channels();
    if ch < 3 {
        return None;
    }
    let mut table = ColourTable::default();
    let mut colours: Vec<[u8; 4]> = Vec::new();
    let mut indices = vec![0u8; p.data.len() / ch];
    // Neighbours repeat most of the time (runs of one colour): the last lookup is kept.
    let mut last: Option<([u8; 4], u8)> = None;
    for (px, slot) in p.data.chunks_exact(ch).zip(indices.iter_mut()) {
        let key = [px[0], px[1], px[2], if ch == 4 { px[3] } else { 255 }];
        *slot = match last {
            Some((k, i)) if k == key => i,
            _ => {
                let i = table.index_of(key, &mut colours)?;
                last = Some((key, i));
                i
            }
        };
    }
    let palette = colours.iter().flat_map(|c| [c[0], c[1], c[2]]).collect();
    let alpha = colours
        .iter()
        .any(|c| c[3] != 255)
        .then(|| colours.iter().map(|c| c[3]).collect());
    Some(Indexed {
        palette,
        alpha,
        indices,
    })
}

/// At most 256 colours by their RGBA value: an open-addressing table of 1024 slots (a quarter
/// full at most), multiplicative hashing. A general hash map (SipHash) took most of the time
/// of a 1 MP GIF frame's palette.
struct ColourTable {
    /// Slot: the colour as a `u32` and its palette index + 1 (0: empty).
    slots: Box<[(u32, u16); ColourTable::SLOTS]>,
}

impl Default for ColourTable {
    fn default() -> Self {
        ColourTable {
            slots: Box::new([(0, 0); ColourTable::SLOTS]),
        }
    }
}

impl ColourTable {
    const SLOTS: usize = 1024;

    /// The palette index of `colour`, added to `colours` when new; `None` past 256 colours.
    fn index_of(&mut self, colour: [u8; 4], colours: &mut Vec<[u8; 4]>) -> Option<u8> {
        let key = u32::from_le_bytes(colour);
        let mut at = (key.wrapping_mul(0x9E37_79B9) >> 22) as usize;
        loop {
            let (k, i) = self.slots[at];
            if i == 0 {
                let index = u8::try_from(colours.len()).ok()?;
                colours.push(colour);
                self.slots[at] = (key, u16::from(index) + 1);
                return Some(index);
            }
            if k == key {
                // Stored as index + 1, at most 256.
                return u8::try_from(i - 1).ok();
            }
            at = (at + 1) % Self::SLOTS;
        }
    }
}

fn indexed_png(p: &Pixels, indexed: &Indexed) -> Result<Vec<u8>, PrepareError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, p.width, p.height);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(indexed.palette.as_slice());
    if let Some(alpha) = &indexed.alpha {
        enc.set_trns(alpha.as_slice());
    }
    // Palette indices are not magnitudes: prediction filters only add noise.
    enc.set_filter(png::Filter::NoFilter);
    // Level 4, as for drawn RGB content: on a 1280x800 GIF frame (zlib on the same rows)
    // 20 ms against level 6's 70 ms, for 3.5% more bytes.
    enc.set_deflate_compression(png::DeflateCompression::Level(4));
    let mut writer = enc.write_header().map_err(encode_error)?;
    writer
        .write_image_data(&indexed.indices)
        .map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(out)
}

/// Encodes `p` as lossless WebP.
pub(crate) fn webp_lossless(p: &Pixels) -> Result<Vec<u8>, PrepareError> {
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
        .map_err(encode_error)?;
    Ok(out)
}

fn color_type(layout: Layout) -> image::ExtendedColorType {
    match layout {
        Layout::Gray => image::ExtendedColorType::L8,
        Layout::Rgb => image::ExtendedColorType::Rgb8,
        Layout::Rgba => image::ExtendedColorType::Rgba8,
    }
}

fn dims16(p: &Pixels) -> Result<(u16, u16), PrepareError> {
    match (u16::try_from(p.width), u16::try_from(p.height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(PrepareError::Encode(format!(
            "{}x{} is over JPEG's 65535 px limit",
            p.width, p.height
        ))),
    }
}

/// An encoding choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Jpeg,
    Png,
    WebpLossless,
    /// Lossy WebP (libwebp), alpha kept; for a photograph without alpha, JPEG when that is
    /// smaller.
    #[cfg(feature = "libwebp")]
    WebpLossy,
}

impl Codec {
    /// Whether the codec's lossy encoding keeps transparency (no flattening needed).
    pub(crate) const fn lossy_keeps_alpha(self) -> bool {
        #[cfg(feature = "libwebp")]
        if matches!(self, Codec::WebpLossy) {
            return true;
        }
        false
    }

    pub(crate) const fn media_type(self) -> MediaType {
        match self {
            Codec::Jpeg => MediaType::Jpeg,
            Codec::Png => MediaType::Png,
            Codec::WebpLossless => MediaType::Webp,
            #[cfg(feature = "libwebp")]
            Codec::WebpLossy => MediaType::Webp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` distinct colours, each twice (so the last-colour shortcut and the table both serve).
    fn colours(n: u32, layout: Layout) -> Pixels {
        let ch = layout.channels();
        let mut data = Vec::new();
        for i in 0..n {
            // Spread over all four bytes so that keys collide in the table's low bits.
            let px = [
                (i * 7) as u8,
                (i >> 3) as u8,
                (i * 13) as u8,
                255 - (i % 3) as u8,
            ];
            data.extend_from_slice(&px[..ch]);
            data.extend_from_slice(&px[..ch]);
        }
        Pixels {
            width: n * 2,
            height: 1,
            layout,
            data,
        }
    }

    #[test]
    fn a_palette_holds_up_to_256_colours_and_maps_every_pixel_back() {
        for layout in [Layout::Rgb, Layout::Rgba] {
            let p = colours(256, layout);
            let indexed = palette(&p).expect("256 colours fit a palette");
            assert_eq!(indexed.palette.len(), 256 * 3);
            let ch = layout.channels();
            for (px, &i) in p.data.chunks_exact(ch).zip(&indexed.indices) {
                let i = usize::from(i);
                assert_eq!(&px[..3], &indexed.palette[i * 3..i * 3 + 3]);
                let alpha = indexed.alpha.as_ref().map_or(255, |a| a[i]);
                assert_eq!(alpha, if ch == 4 { px[3] } else { 255 });
            }
            assert_eq!(indexed.alpha.is_some(), layout == Layout::Rgba);
            assert!(palette(&colours(257, layout)).is_none(), "257 colours");
        }
        assert!(palette(&colours(3, Layout::Gray)).is_none());
    }

    #[test]
    fn an_indexed_png_decodes_to_the_same_pixels() {
        let p = colours(200, Layout::Rgba);
        let bytes = png(&p).expect("encodes");
        let back = image::load_from_memory(&bytes).expect("decodes").to_rgba8();
        assert_eq!(back.as_raw(), &p.data);
    }
}
