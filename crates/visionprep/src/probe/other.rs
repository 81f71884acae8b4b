//! Headers of the formats the API refuses but visionprep reports (and converts where it can):
//! TIFF, BMP, ICO, PNM, QOI.

use super::Header;
use super::source::{Fault, Parse, Source, corrupt};
use visionprep_core::{Orientation, Size};

/// TIFF and BigTIFF: width, height and orientation from the first IFD.
pub(crate) fn tiff<S: Source>(src: &mut S) -> Parse<Header> {
    let h = src.bytes(0, 16.min(src.len() as usize))?.to_vec();
    if h.len() < 8 {
        return Err(Fault::Truncated);
    }
    let be = h[0] == b'M';
    let rd16 = |b: &[u8]| {
        if be {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        }
    };
    let rd32 = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if be {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let rd64 = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
        if be {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    };
    let big = rd16(&h[2..]) == 43;
    let (ifd, count_len, entry_len) = if big {
        if h.len() < 16 {
            return Err(Fault::Truncated);
        }
        (rd64(&h[8..]), 8usize, 20usize)
    } else {
        (u64::from(rd32(&h[4..])), 2, 12)
    };
    let count_bytes = src.bytes(ifd, count_len)?;
    let count = if big {
        rd64(count_bytes)
    } else {
        u64::from(rd16(count_bytes))
    };
    if count == 0 || count > 4096 {
        return corrupt(format!("the first IFD has {count} entries"));
    }
    let entries = src.bytes(ifd + count_len as u64, count as usize * entry_len)?;
    let (mut w, mut h, mut orient) = (None, None, None);
    for e in entries.chunks_exact(entry_len) {
        let tag = rd16(e);
        let kind = rd16(&e[2..]);
        let value = &e[if big { 12 } else { 8 }..];
        let v = match kind {
            3 => u64::from(rd16(value)),
            4 => u64::from(rd32(value)),
            // LONG8 fits only BigTIFF's 8-byte value field.
            16 if big => rd64(value),
            _ => continue,
        };
        match tag {
            256 => w = Some(v),
            257 => h = Some(v),
            274 => orient = u16::try_from(v).ok().and_then(Orientation::from_exif),
            _ => {}
        }
    }
    match (w, h) {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
                return corrupt(format!("size {w}x{h} is beyond any image"));
            };
            Ok(Header::still(Size::new(w, h), orient))
        }
        _ => corrupt("the first IFD has no image width and height"),
    }
}

/// Windows (and OS/2) bitmaps.
pub(crate) fn bmp<S: Source>(src: &mut S) -> Parse<Header> {
    let dib = src.le32(14)?;
    let (w, h) = if dib == 12 {
        let d = src.bytes(18, 4)?;
        (
            i64::from(u16::from_le_bytes([d[0], d[1]])),
            i64::from(u16::from_le_bytes([d[2], d[3]])),
        )
    } else {
        let d = src.bytes(18, 8)?;
        let w = i32::from_le_bytes([d[0], d[1], d[2], d[3]]);
        let h = i32::from_le_bytes([d[4], d[5], d[6], d[7]]);
        // A negative height marks a top-down bitmap.
        (i64::from(w), i64::from(h).abs())
    };
    match (u32::try_from(w), u32::try_from(h)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => Ok(Header::still(Size::new(w, h), None)),
        _ => corrupt(format!("bitmap size {w}x{h}")),
    }
}

/// Windows icons: the largest image of the directory (PNG entries read from their IHDR).
pub(crate) fn ico<S: Source>(src: &mut S) -> Parse<Header> {
    let count = usize::from(u16::from_le_bytes({
        let c = src.bytes(4, 2)?;
        [c[0], c[1]]
    }));
    let dir = src.bytes(6, count * 16)?.to_vec();
    let mut best: Option<Size> = None;
    for e in dir.chunks_exact(16) {
        let mut size = Size::new(
            if e[0] == 0 { 256 } else { u32::from(e[0]) },
            if e[1] == 0 { 256 } else { u32::from(e[1]) },
        );
        let offset = u64::from(u32::from_le_bytes([e[12], e[13], e[14], e[15]]));
        let png = src.bytes_upto(offset, 24)?;
        if png.len() == 24 && png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR" {
            size = Size::new(
                u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
                u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
            );
        }
        if best.is_none_or(|b| size.area() > b.area()) {
            best = Some(size);
        }
    }
    match best {
        Some(s) if !s.is_empty() => Ok(Header::still(s, None)),
        _ => corrupt("an icon with no images"),
    }
}

/// Netpbm (PBM, PGM, PPM: `P1`-`P6`; PAM: `P7`).
pub(crate) fn pnm<S: Source>(src: &mut S) -> Parse<Header> {
    let head = src.bytes_upto(0, 1024)?;
    let text = String::from_utf8_lossy(head);
    let (w, h) = if head.get(1) == Some(&b'7') {
        let mut w = None;
        let mut h = None;
        let mut complete = false;
        for line in text.lines().skip(1) {
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some("WIDTH"), Some(v)) => w = v.parse::<u32>().ok(),
                (Some("HEIGHT"), Some(v)) => h = v.parse::<u32>().ok(),
                (Some("ENDHDR"), _) => {
                    complete = true;
                    break;
                }
                _ => {}
            }
        }
        if complete { (w, h) } else { (None, None) }
    } else {
        let mut tokens = pnm_numbers(&head[2..]);
        (tokens.next(), tokens.next())
    };
    match (w, h) {
        (Some(w), Some(h)) if w > 0 && h > 0 => Ok(Header::still(Size::new(w, h), None)),
        _ if head.len() < 1024 => Err(Fault::Truncated),
        _ => corrupt("no width and height in the Netpbm header"),
    }
}

/// The Quite OK Image format.
pub(crate) fn qoi<S: Source>(src: &mut S) -> Parse<Header> {
    let (w, h) = (src.be32(4)?, src.be32(8)?);
    if w == 0 || h == 0 {
        return corrupt(format!("QOI size {w}x{h}"));
    }
    Ok(Header::still(Size::new(w, h), None))
}

/// The whitespace-separated numbers of a Netpbm header, skipping `#` comments; a number is only
/// complete when a whitespace or comment follows it, so a cut header yields fewer numbers.
fn pnm_numbers(data: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            match data.get(pos)? {
                b'#' => {
                    while *data.get(pos)? != b'\n' {
                        pos += 1;
                    }
                }
                b if b.is_ascii_whitespace() => pos += 1,
                _ => break,
            }
        }
        let start = pos;
        while data.get(pos)?.is_ascii_digit() {
            pos += 1;
        }
        let end_ok = data
            .get(pos)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'#');
        if start == pos || !end_ok {
            return None;
        }
        std::str::from_utf8(&data[start..pos]).ok()?.parse().ok()
    })
}
