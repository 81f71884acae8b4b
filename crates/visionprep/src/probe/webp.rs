//! WebP: the first chunk (VP8, VP8L or VP8X), then for extended files the EXIF chunk and the
//! animation frames.

use super::source::{Fault, Parse, Source, corrupt};
use super::{Header, Metadata, exif};

/// Details of a WebP header that decide how it is prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebpInfo {
    /// Lossless (VP8L) image data; lossy (VP8) otherwise. For animations, the first frame's.
    pub lossless: bool,
    /// Where the ICCP chunk's body lies in the file (offset, length), so that decoding reads
    /// the profile without walking the chunks again.
    pub icc_chunk: Option<(u64, u32)>,
}
use visionprep_core::Size;

pub(crate) fn parse<S: Source>(src: &mut S) -> Parse<Header> {
    let riff_end = u64::from(src.le32(4)?) + 8;
    let file_len = src.len();
    let head = src.bytes(12, 8)?;
    let kind = [head[0], head[1], head[2], head[3]];
    let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    let body = 20;
    let mut meta = Metadata::default();
    let mut orientation = None;
    let mut icc_chunk = None;
    let mut frames = Some(1);
    let mut lossless = false;
    let stored = match &kind {
        b"VP8 " => {
            let d = src.bytes(body, 10)?;
            if d[0] & 1 != 0 {
                return corrupt("the first VP8 frame is not a key frame");
            }
            if d[3..6] != [0x9D, 0x01, 0x2A] {
                return corrupt("VP8 start code missing");
            }
            let w = u32::from(u16::from_le_bytes([d[6], d[7]]) & 0x3FFF);
            let h = u32::from(u16::from_le_bytes([d[8], d[9]]) & 0x3FFF);
            Size::new(w, h)
        }
        b"VP8L" => {
            let d = src.bytes(body, 5)?;
            if d[0] != 0x2F {
                return corrupt("VP8L signature missing");
            }
            lossless = true;
            let bits = u32::from_le_bytes([d[1], d[2], d[3], d[4]]);
            Size::new((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => {
            let d = src.bytes(body, 10)?;
            let flags = d[0];
            let w = u32::from_le_bytes([d[4], d[5], d[6], 0]) + 1;
            let h = u32::from_le_bytes([d[7], d[8], d[9], 0]) + 1;
            meta.icc = flags & 0x20 != 0;
            meta.exif = flags & 0x08 != 0;
            meta.xmp = flags & 0x04 != 0;
            let animated = flags & 0x02 != 0;
            // Walk the chunks: the image data's kind (the first frame's, when animated), the
            // EXIF chunk (usually last) and the frames.
            let mut count = 0u32;
            let mut kind_seen = false;
            let mut pos = body + size + (size & 1);
            let end = riff_end.min(file_len);
            while pos + 8 <= end && (meta.exif || animated || !kind_seen) {
                let c = src.bytes(pos, 8)?;
                let ck = [c[0], c[1], c[2], c[3]];
                let cs = u64::from(u32::from_le_bytes([c[4], c[5], c[6], c[7]]));
                match &ck {
                    // The profile comes before the image data (the container's chunk order).
                    b"ICCP" => {
                        icc_chunk.get_or_insert((pos + 8, cs as u32));
                    }
                    b"EXIF" => {
                        let block = src.bytes_upto(pos + 8, (cs as usize).min(exif::EXIF_READ))?;
                        orientation = exif::orientation(block);
                    }
                    b"VP8L" | b"VP8 " if !kind_seen => {
                        lossless = &ck == b"VP8L";
                        kind_seen = true;
                    }
                    b"ANMF" => {
                        if !kind_seen {
                            // A frame: 16 bytes of placement, then its own chunks.
                            let mut sub = pos + 8 + 16;
                            while sub + 8 <= (pos + 8 + cs).min(end) {
                                let h = src.bytes(sub, 8)?;
                                let sk = [h[0], h[1], h[2], h[3]];
                                let ss = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
                                if &sk == b"VP8L" || &sk == b"VP8 " {
                                    lossless = &sk == b"VP8L";
                                    kind_seen = true;
                                    break;
                                }
                                sub += 8 + ss + (ss & 1);
                            }
                        }
                        count = count.saturating_add(1);
                    }
                    _ => {}
                }
                pos += 8 + cs + (cs & 1);
            }
            if animated {
                if count == 0 {
                    return corrupt("an animation with no frames");
                }
                frames = Some(count);
            }
            Size::new(w, h)
        }
        _ => return corrupt("the first chunk is not VP8, VP8L or VP8X"),
    };
    if stored.is_empty() {
        return corrupt("zero image size");
    }
    // Every byte the RIFF header declares must be there: a short file was cut off.
    if riff_end > file_len || body + size > file_len {
        return Err(Fault::Truncated);
    }
    Ok(Header {
        stored,
        orientation,
        frames,
        animated: frames.is_some_and(|n| n > 1),
        meta,
        jpeg: None,
        png: None,
        webp: Some(WebpInfo {
            lossless,
            icc_chunk,
        }),
    })
}
