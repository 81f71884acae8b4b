//! JPEG XL: the codestream's SizeHeader and the orientation of its ImageMetadata.

use super::Header;
use super::source::{Fault, Parse, Source, corrupt};
use visionprep_core::{Orientation, Size};

/// Reads bits least-significant first, as the JPEG XL codestream stores them.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Parse<u32> {
        let mut v = 0u32;
        for i in 0..n {
            let byte = *self.data.get(self.pos / 8).ok_or(Fault::Truncated)?;
            v |= u32::from((byte >> (self.pos % 8)) & 1) << i;
            self.pos += 1;
        }
        Ok(v)
    }

    /// The `U32(1 + u(9), 1 + u(13), 1 + u(18), 1 + u(30))` distribution of SizeHeader.
    fn dim(&mut self) -> Parse<u32> {
        let bits = [9, 13, 18, 30][self.read(2)? as usize];
        Ok(self.read(bits)? + 1)
    }
}

/// The codestream of a bare file or of a container's `jxlc`/`jxlp` box (first 64 bytes).
fn codestream<S: Source>(src: &mut S) -> Parse<Vec<u8>> {
    if src.bytes(0, 2)? == [0xFF, 0x0A] {
        return Ok(src.bytes_upto(2, 64)?.to_vec());
    }
    match super::bmff::find_top_box(src, &[b"jxlc", b"jxlp"])? {
        (kind, body, _) if &kind == b"jxlc" => codestream_at(src, body),
        (_, body, _) => codestream_at(src, body + 4),
    }
}

fn codestream_at<S: Source>(src: &mut S, pos: u64) -> Parse<Vec<u8>> {
    if src.bytes(pos, 2)? != [0xFF, 0x0A] {
        return corrupt("codestream signature missing");
    }
    Ok(src.bytes_upto(pos + 2, 64)?.to_vec())
}

pub(crate) fn parse<S: Source>(src: &mut S) -> Parse<Header> {
    let data = codestream(src)?;
    let mut b = Bits {
        data: &data,
        pos: 0,
    };
    let small = b.read(1)? == 1;
    let height = if small {
        (b.read(5)? + 1) * 8
    } else {
        b.dim()?
    };
    let ratio = b.read(3)?;
    let width = match ratio {
        0 if small => (b.read(5)? + 1) * 8,
        0 => b.dim()?,
        r => {
            let (num, den) =
                [(1, 1), (12, 10), (4, 3), (3, 2), (16, 9), (5, 4), (2, 1)][(r - 1) as usize];
            u32::try_from(u64::from(height) * num / den).map_err(|_| Fault::Truncated)?
        }
    };
    // ImageMetadata: all_default, then extra_fields, then the orientation.
    let mut orientation = None;
    if b.read(1)? == 0 && b.read(1)? == 1 {
        orientation = Orientation::from_exif((b.read(3)? + 1) as u16);
    }
    Ok(Header::still(Size::new(width, height), orientation))
}
