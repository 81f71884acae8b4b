//! GIF: the logical screen, then the blocks, to learn whether it is animated.
//!
//! Knowing the frame count means walking every data sub-block of every frame: the whole file.
//! For a cost report over a folder that is most of the I/O (a 1 MB still GIF costs as much to
//! read as 250 JPEG headers), so the walk stops after [`WALK_BUDGET`] bytes. Small GIFs, most
//! animations' first frames and everything before the first frame's pixels fit in it; past it,
//! the frame count is left unknown and the file is animated when a second frame was already
//! seen or when it declares a looping animation (the `NETSCAPE2.0`/`ANIMEXTS1.0` extension).

use super::source::{Fault, Parse, Source, corrupt};
use super::{Header, Metadata};
use visionprep_core::Size;

/// Bytes of a GIF walked at most.
pub(crate) const WALK_BUDGET: u64 = 64 * 1024;

/// How far ahead a GIF walk reads: the whole budget at once.
pub(crate) const WALK_CHUNK: usize = WALK_BUDGET as usize;

/// Where a walk through sub-blocks stopped.
enum Walked {
    /// At this position, after the terminating empty sub-block.
    To(u64),
    /// The budget ran out first.
    OverBudget,
}

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
    let mut looping = false;
    // Image descriptors seen, and whether the walk reached the end of the file.
    let mut frames: u32 = 0;
    let mut complete = true;
    loop {
        if pos > WALK_BUDGET {
            complete = false;
            break;
        }
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
                    } else if app.starts_with(b"NETSCAPE2.0") || app.starts_with(b"ANIMEXTS1.0") {
                        looping = true;
                    }
                } else if label == 0xFE {
                    meta.other = true;
                }
                match skip_sub_blocks(src, pos)? {
                    Walked::To(next) => pos = next,
                    Walked::OverBudget => {
                        complete = false;
                        break;
                    }
                }
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
                if frames == 0 && (width == 0 || height == 0) {
                    // A zero logical screen: browsers size the canvas from the first frame.
                    width = left + fw;
                    height = top + fh;
                }
                frames = frames.saturating_add(1);
                let min_code = src.u8_at(pos)?;
                if !(1..=12).contains(&min_code) {
                    return corrupt(format!("LZW minimum code size {min_code}"));
                }
                match skip_sub_blocks(src, pos + 1)? {
                    Walked::To(next) => pos = next,
                    Walked::OverBudget => {
                        complete = false;
                        break;
                    }
                }
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
    if frames == 0 && complete {
        return corrupt("no image in the file");
    }
    if width == 0 || height == 0 {
        return corrupt("the image has a zero size");
    }
    Ok(Header {
        stored: Size::new(width, height),
        orientation: None,
        frames: complete.then_some(frames),
        animated: frames > 1 || (!complete && looping),
        meta,
        jpeg: None,
        png: None,
        webp: None,
    })
}

/// Skips a chain of data sub-blocks starting at `pos`, within the walk budget.
fn skip_sub_blocks<S: Source>(src: &mut S, mut pos: u64) -> Parse<Walked> {
    loop {
        if pos > WALK_BUDGET {
            return Ok(Walked::OverBudget);
        }
        let n = src.u8_at(pos)?;
        pos += 1;
        if n == 0 {
            return Ok(Walked::To(pos));
        }
        pos += u64::from(n);
    }
}
