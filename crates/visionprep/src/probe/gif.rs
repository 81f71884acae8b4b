//! GIF: the logical screen, then every block, to count frames.

use super::source::{Fault, Parse, Source, corrupt};
use super::{Header, Metadata};
use visionprep_core::Size;

/// How far ahead a GIF walk reads: GIFs are walked to the end to count frames.
pub(crate) const WALK_CHUNK: usize = 256 * 1024;

/// Frames counted at most; a file claiming more is still reported as animated.
const MAX_FRAMES: u32 = 1_000_000;

pub(crate) fn parse<S: Source>(src: &mut S) -> Parse<Header> {
    let lsd = src.bytes(6, 7)?;
    let mut width = u32::from(u16::from_le_bytes([lsd[0], lsd[1]]));
    let mut height = u32::from(u16::from_le_bytes([lsd[2], lsd[3]]));
    let flags = lsd[4];
    let mut pos: u64 = 13;
    if flags & 0x80 != 0 {
        pos += 3 << ((flags & 7) + 1);
    }
    let mut meta = Metadata::default();
    let mut frames: u32 = 0;
    loop {
        let block = match src.bytes(pos, 1) {
            Ok(b) => b[0],
            // Some encoders leave out the trailer; ending cleanly after a frame is accepted.
            Err(Fault::Truncated) if frames > 0 => break,
            Err(e) => return Err(e),
        };
        pos += 1;
        match block {
            0x3B => break,
            0x21 => {
                let label = src.u8_at(pos)?;
                pos += 1;
                if label == 0xFF {
                    let app = src.bytes_upto(pos + 1, 11)?;
                    if app.starts_with(b"XMP DataXMP") {
                        meta.xmp = true;
                    } else if app.starts_with(b"ICCRGBG1012") {
                        meta.icc = true;
                    }
                } else if label == 0xFE {
                    meta.other = true;
                }
                pos = skip_sub_blocks(src, pos)?;
            }
            0x2C => {
                let d = src.bytes(pos, 9)?;
                let left = u32::from(u16::from_le_bytes([d[0], d[1]]));
                let top = u32::from(u16::from_le_bytes([d[2], d[3]]));
                let fw = u32::from(u16::from_le_bytes([d[4], d[5]]));
                let fh = u32::from(u16::from_le_bytes([d[6], d[7]]));
                let local = d[8];
                pos += 9;
                if local & 0x80 != 0 {
                    pos += 3 << ((local & 7) + 1);
                }
                let min_code = src.u8_at(pos)?;
                if !(1..=12).contains(&min_code) {
                    return corrupt(format!("LZW minimum code size {min_code}"));
                }
                pos = skip_sub_blocks(src, pos + 1)?;
                if frames == 0 && (width == 0 || height == 0) {
                    // A zero logical screen: browsers size the canvas from the first frame.
                    width = left + fw;
                    height = top + fh;
                }
                frames = (frames + 1).min(MAX_FRAMES);
            }
            // Junk after the last frame is common and harmless.
            _ if frames > 0 => break,
            other => {
                return corrupt(format!(
                    "unknown block 0x{other:02X} before the first image"
                ));
            }
        }
    }
    if frames == 0 {
        return corrupt("no image in the file");
    }
    if width == 0 || height == 0 {
        return corrupt("the image has a zero size");
    }
    Ok(Header {
        stored: Size::new(width, height),
        orientation: None,
        frames: Some(frames),
        meta,
        jpeg: None,
        png: None,
    })
}

/// Skips a chain of data sub-blocks starting at `pos`; returns the position after the
/// terminating zero-length block.
fn skip_sub_blocks<S: Source>(src: &mut S, mut pos: u64) -> Parse<u64> {
    loop {
        let n = src.u8_at(pos)?;
        pos += 1;
        if n == 0 {
            return Ok(pos);
        }
        pos += u64::from(n);
    }
}
