//! HEIF (HEIC) and AVIF: the primary item's `ispe` (size) and `irot` (rotation) properties.

use super::Header;
use super::source::{Fault, Parse, Source, corrupt};
use visionprep_core::{Orientation, Size};

/// The largest `meta` box read; real ones are a few KiB.
const MAX_META: u64 = 1 << 20;

/// `(offset of the body, body length, type)` of each box in `[start, end)`.
fn boxes(data: &[u8]) -> impl Iterator<Item = (usize, usize, [u8; 4])> + '_ {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let h = data.get(pos..pos + 8)?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let kind = [h[4], h[5], h[6], h[7]];
        let (header, size) = match size32 {
            0 => (8, data.len() - pos),
            1 => {
                let l = data.get(pos + 8..pos + 16)?;
                let size = u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]]);
                (16, usize::try_from(size).ok()?)
            }
            s => (8, s),
        };
        if size < header || pos.checked_add(size)? > data.len() {
            return None;
        }
        let item = (pos + header, size - header, kind);
        pos += size;
        Some(item)
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data)
        .find(|(_, _, k)| k == kind)
        .map(|(o, l, _)| &data[o..o + l])
}

/// Finds the first top-level box of one of `kinds` in a file, walking box headers from the
/// start; returns its type, the offset of its body and the body's length.
pub(crate) fn find_top_box<S: Source>(
    src: &mut S,
    kinds: &[&[u8; 4]],
) -> Parse<([u8; 4], u64, u64)> {
    let len = src.len();
    let mut pos = 0u64;
    // pos may have jumped past the end by a box's 64-bit size: compare without adding.
    while len.checked_sub(pos).is_some_and(|left| left >= 8) {
        let h = src.bytes(pos, 8)?;
        let size32 = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
        let kind = [h[4], h[5], h[6], h[7]];
        let (header, size) = match size32 {
            0 => (8, len - pos),
            1 => (16, {
                let l = src.bytes(pos + 8, 8)?;
                u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]])
            }),
            s => (8, s),
        };
        if size < header {
            return corrupt("a box smaller than its header");
        }
        if kinds.contains(&&kind) {
            return Ok((kind, pos + header, size - header));
        }
        pos = pos.checked_add(size).ok_or(Fault::Truncated)?;
    }
    Err(Fault::Truncated)
}

/// The primary item's properties, in the order of its associations (every property when the
/// file associates none with it), and whether they came from its associations.
struct Primary<'a> {
    properties: Vec<([u8; 4], &'a [u8])>,
    #[cfg_attr(not(feature = "heif-decoder"), allow(dead_code))]
    associated: bool,
}

/// Reads the `meta` box (at most [`MAX_META`] bytes).
fn read_meta<S: Source>(src: &mut S) -> Parse<Vec<u8>> {
    let (_, body, body_len) = find_top_box(src, &[b"meta"])?;
    if body_len > MAX_META {
        return corrupt(format!("a {body_len}-byte meta box"));
    }
    Ok(src.bytes(body, body_len as usize)?.to_vec())
}

/// The primary item's properties in the body of a `meta` box.
fn primary(meta: &[u8]) -> Parse<Primary<'_>> {
    // meta is a full box: skip version and flags.
    let meta = meta.get(4..).ok_or(Fault::Truncated)?;
    let primary = child(meta, b"pitm").and_then(|p| match p.first()? {
        0 => p
            .get(4..6)
            .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]]))),
        _ => p
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
    });
    let Some(iprp) = child(meta, b"iprp") else {
        return corrupt("no item properties (iprp)");
    };
    let Some(ipco) = child(iprp, b"ipco") else {
        return corrupt("no property container (ipco)");
    };
    let props: Vec<([u8; 4], &[u8])> = boxes(ipco).map(|(o, l, k)| (k, &ipco[o..o + l])).collect();
    let associated = child(iprp, b"ipma").and_then(|m| primary.and_then(|p| associations(m, p)));
    Ok(match associated {
        Some(indices) => Primary {
            properties: indices
                .iter()
                .filter_map(|&i| props.get(i.checked_sub(1)?).copied())
                .collect(),
            associated: true,
        },
        None => Primary {
            properties: props,
            associated: false,
        },
    })
}

/// Whether the primary item of a HEIF/AVIF file is turned by `irot` alone, if at all: no
/// mirror (`imir`), no crop (`clap`), and its properties are associated with it by the file.
/// Such an image can be decoded as stored and turned after it is resized, on fewer pixels;
/// anything else is left for libheif to transform.
#[cfg_attr(not(feature = "heif-decoder"), allow(dead_code))]
pub(crate) fn rotation_only(mut bytes: &[u8]) -> bool {
    let Ok(meta) = read_meta(&mut bytes) else {
        return false;
    };
    primary(&meta).is_ok_and(|p| {
        p.associated
            && p.properties
                .iter()
                .all(|(kind, _)| !matches!(kind, b"imir" | b"clap"))
    })
}

pub(crate) fn parse<S: Source>(src: &mut S) -> Parse<Header> {
    let meta = read_meta(src)?;
    let chosen = primary(&meta)?.properties;
    let mut size: Option<Size> = None;
    let mut orientation = None;
    for (kind, body) in &chosen {
        match kind {
            b"ispe" => {
                if let Some(b) = body.get(4..12) {
                    let s = Size::new(
                        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                        u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                    );
                    // Without associations, the largest ispe is the main image.
                    if size.is_none_or(|c| s.area() > c.area()) {
                        size = Some(s);
                    }
                }
            }
            b"irot" => {
                // Anticlockwise quarter turns to display the image.
                orientation = match body.first().map(|a| a & 3) {
                    Some(1) => Some(Orientation::Rotate270),
                    Some(2) => Some(Orientation::Rotate180),
                    Some(3) => Some(Orientation::Rotate90),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    match size {
        Some(s) if !s.is_empty() => Ok(Header::still(s, orientation)),
        _ => corrupt("no image size (ispe) for the primary image"),
    }
}

/// The 1-based property indices associated with `item` in an `ipma` box.
fn associations(ipma: &[u8], item: u32) -> Option<Vec<usize>> {
    let version = *ipma.first()?;
    let flags = *ipma.get(3)?;
    let count = u32::from_be_bytes(ipma.get(4..8)?.try_into().ok()?);
    let mut pos = 8usize;
    for _ in 0..count {
        let id = if version < 1 {
            let b = ipma.get(pos..pos + 2)?;
            pos += 2;
            u32::from(u16::from_be_bytes([b[0], b[1]]))
        } else {
            let b = ipma.get(pos..pos + 4)?;
            pos += 4;
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        };
        let n = usize::from(*ipma.get(pos)?);
        pos += 1;
        let mut indices = Vec::new();
        for _ in 0..n {
            let index = if flags & 1 != 0 {
                let b = ipma.get(pos..pos + 2)?;
                pos += 2;
                usize::from(u16::from_be_bytes([b[0], b[1]]) & 0x7FFF)
            } else {
                let b = *ipma.get(pos)?;
                pos += 1;
                usize::from(b & 0x7F)
            };
            indices.push(index);
        }
        if id == item {
            return Some(indices);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A HEIF file whose primary item 1 has an `ispe` of 64x48 and the properties `extra`
    /// (associated with it when `associate`).
    fn heif(extra: &[(&[u8; 4], &[u8])], associate: bool) -> Vec<u8> {
        let mut ispe = vec![0u8; 4];
        ispe.extend_from_slice(&64u32.to_be_bytes());
        ispe.extend_from_slice(&48u32.to_be_bytes());
        let mut ipco = bx(b"ispe", &ispe);
        for (kind, body) in extra {
            ipco.extend(bx(kind, body));
        }
        let count = u8::try_from(extra.len() + 1).unwrap();
        // ipma version 0, flags 0: one entry, item 1, `count` one-byte indices.
        let mut ipma = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 1, count];
        ipma.extend(1..=count);
        let mut iprp = bx(b"ipco", &ipco);
        if associate {
            iprp.extend(bx(b"ipma", &ipma));
        }
        let mut meta = vec![0u8; 4];
        meta.extend(bx(b"pitm", &[0, 0, 0, 0, 0, 1]));
        meta.extend(bx(b"iprp", &iprp));
        let mut file = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        file.extend(bx(b"meta", &meta));
        file
    }

    #[test]
    fn a_lone_rotation_is_left_to_the_pipeline_and_mirrors_and_crops_are_not() {
        let irot: (&[u8; 4], &[u8]) = (b"irot", &[1]);
        let imir: (&[u8; 4], &[u8]) = (b"imir", &[0]);
        let clap: (&[u8; 4], &[u8]) = (b"clap", &[0; 32]);
        assert!(rotation_only(&heif(&[irot], true)));
        assert!(rotation_only(&heif(&[], true)));
        assert!(!rotation_only(&heif(&[irot, imir], true)));
        assert!(!rotation_only(&heif(&[clap, irot], true)));
        // Unassociated properties are not known to be the primary item's.
        assert!(!rotation_only(&heif(&[irot], false)));
        assert!(!rotation_only(b"not a heif file"));
        // The probe reads the same file: 64x48 stored, turned a quarter anticlockwise.
        let header = parse(&mut &heif(&[irot], true)[..]).unwrap();
        assert_eq!(header.stored, Size::new(64, 48));
        assert_eq!(header.orientation, Some(Orientation::Rotate270));
    }
}
