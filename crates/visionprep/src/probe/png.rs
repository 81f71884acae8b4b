//! PNG: the IHDR chunk, then the chunks before the first IDAT (acTL, eXIf, iCCP, text).

use super::source::{Parse, Source, corrupt};
use super::{Header, Metadata, exif};
use visionprep_core::Size;

/// Details of a PNG header that decide how it decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngInfo {
    /// Bits per sample: 1, 2, 4, 8 or 16.
    pub bit_depth: u8,
    /// Colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.
    pub color_type: u8,
    /// Adam7 interlacing.
    pub interlaced: bool,
    /// A tRNS chunk (transparency for grey, RGB or palette images) precedes the data.
    pub transparency: bool,
    /// Where the iCCP chunk's body lies in the file (offset, length), so that decoding reads
    /// the profile without walking the chunks again.
    pub icc_chunk: Option<(u64, u32)>,
}

impl PngInfo {
    /// Whether the image can have transparent pixels.
    pub const fn has_alpha(&self) -> bool {
        self.color_type == 4 || self.color_type == 6 || self.transparency
    }
}

const MAX_CHUNK: u32 = 0x7FFF_FFFF;

pub(crate) fn parse<S: Source>(src: &mut S) -> Parse<Header> {
    let ihdr = src.bytes(8, 8 + 13)?;
    if &ihdr[4..8] != b"IHDR" || ihdr[..4] != [0, 0, 0, 13] {
        return corrupt("the first chunk is not a 13-byte IHDR");
    }
    let d = &ihdr[8..];
    let width = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let height = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
    let (bit_depth, color_type, interlace) = (d[8], d[9], d[12]);
    if width == 0 || height == 0 || width > MAX_CHUNK || height > MAX_CHUNK {
        return corrupt(format!("IHDR declares an invalid size {width}x{height}"));
    }
    let depth_ok = match color_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => false,
    };
    if !depth_ok {
        return corrupt(format!(
            "colour type {color_type} with bit depth {bit_depth}"
        ));
    }
    if interlace > 1 || d[10] != 0 || d[11] != 0 {
        return corrupt("unknown compression, filter or interlace method");
    }
    let mut info = PngInfo {
        bit_depth,
        color_type,
        interlaced: interlace == 1,
        transparency: false,
        icc_chunk: None,
    };
    let mut meta = Metadata::default();
    let mut orientation = None;
    let mut frames = Some(1);
    let mut pos: u64 = 8 + 8 + 13 + 4;
    loop {
        let head = src.bytes(pos, 8)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        if len > MAX_CHUNK {
            return corrupt(format!("chunk length {len} is over the PNG limit"));
        }
        let body = pos + 8;
        match &kind {
            b"IDAT" => break,
            b"IEND" => return corrupt("no image data (IEND before any IDAT)"),
            b"acTL" => {
                let n = src.be32(body)?;
                if n == 0 {
                    return corrupt("animation control declares 0 frames");
                }
                frames = Some(n);
            }
            b"eXIf" => {
                meta.exif = true;
                let block = src.bytes_upto(body, (len as usize).min(exif::EXIF_READ))?;
                orientation = exif::orientation(block);
            }
            b"iCCP" => {
                meta.icc = true;
                info.icc_chunk.get_or_insert((body, len));
            }
            b"tRNS" => info.transparency = true,
            b"iTXt" => {
                if src.bytes_upto(body, 17)?.starts_with(b"XML:com.adobe.xmp") {
                    meta.xmp = true;
                } else {
                    meta.other = true;
                }
            }
            b"tEXt" | b"zTXt" | b"tIME" => meta.other = true,
            _ => {}
        }
        pos = body + u64::from(len) + 4;
    }
    Ok(Header {
        stored: Size::new(width, height),
        orientation,
        frames,
        animated: frames.is_some_and(|n| n > 1),
        meta,
        jpeg: None,
        png: Some(info),
        webp: None,
    })
}

/// The IEND chunk as it ends every complete PNG.
const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];

/// Whether the end of the file holds the IEND chunk (searched, since a few tools append data).
pub(crate) fn tail_complete(tail: &[u8]) -> bool {
    tail.windows(IEND.len()).any(|w| w == IEND)
}
