//! The one Exif field visionprep needs from a header: the orientation (tag 0x0112 of IFD0).

use visionprep_core::Orientation;

/// The bytes of an Exif block that are read at most: IFD0 comes first in every writer seen,
/// so the orientation is found well within it.
pub(crate) const EXIF_READ: usize = 64 * 1024;

/// The orientation in a TIFF-structured Exif block (`II*\0...` or `MM\0*...`), with or without
/// the `Exif\0\0` prefix. Missing, malformed or out-of-range values read as `None` (upright):
/// metadata damage must not make an image unreadable.
pub(crate) fn orientation(block: &[u8]) -> Option<Orientation> {
    let tiff = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    let big = match tiff.get(..4)? {
        b"II*\0" => false,
        b"MM\0*" => true,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = tiff.get(o..o.checked_add(2)?)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b = tiff.get(o..o.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd.checked_add(2 + 12 * i)?;
        if u16_at(entry)? != 0x0112 {
            continue;
        }
        let value = match u16_at(entry + 2)? {
            3 => u16_at(entry + 8)?,                      // SHORT
            4 => u16::try_from(u32_at(entry + 8)?).ok()?, // LONG, seen from some writers
            _ => return None,
        };
        return Orientation::from_exif(value);
    }
    None
}

#[cfg(test)]
#[path = "../../tests/support/exif_block.rs"]
mod exif_block;

#[cfg(test)]
mod tests {
    use super::exif_block::exif_block;
    use super::*;

    #[test]
    fn reads_both_byte_orders() {
        for big in [false, true] {
            for v in 1..=8 {
                assert_eq!(orientation(&exif_block(v, big)), Orientation::from_exif(v));
            }
            assert_eq!(orientation(&exif_block(0, big)), None);
            assert_eq!(orientation(&exif_block(9, big)), None);
        }
    }

    #[test]
    fn damage_reads_as_upright() {
        let good = exif_block(6, false);
        for cut in 0..good.len() {
            let _ = orientation(&good[..cut]);
        }
        assert_eq!(orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), None);
        assert_eq!(orientation(b"garbage"), None);
        let mut huge_count = good.clone();
        huge_count[14] = 0xff;
        huge_count[15] = 0xff;
        let _ = orientation(&huge_count);
    }
}
