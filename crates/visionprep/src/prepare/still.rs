//! The still image of a PNG that carries animation chunks.
//!
//! An APNG's default image is its `IDAT` data: what every decoder that knows nothing of
//! animation shows, and what the model is given. Files whose animation chunks (`acTL`, `fcTL`,
//! `fdAT`) are out of order, repeated or inconsistent exist in the wild (Pillow's test suite
//! has a set); decoders disagree about them, and some refuse them. Dropping those three chunks
//! leaves a plain PNG of the default image, pixel for pixel, without decoding or encoding a
//! byte of image data: that is what is sent, whatever frame count the file declares.

/// The chunk types that make a PNG animated (the APNG extension).
const ANIMATION: [&[u8; 4]; 3] = [b"acTL", b"fcTL", b"fdAT"];

/// `bytes` without their APNG chunks, or `None` when there are none (or `bytes` is not a PNG).
///
/// The walk goes chunk by chunk by the declared lengths; from a length that runs past the end
/// of the data (a cut-off or damaged file) the rest is kept as it is, for the decoder to judge.
pub(crate) fn png_without_animation(bytes: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return None;
    }
    // The spans of the animation chunks (header, data and CRC), in order.
    let mut drop = Vec::new();
    let mut pos = SIGNATURE.len();
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(end) = len.checked_add(12).and_then(|n| n.checked_add(pos)) else {
            break;
        };
        if end > bytes.len() {
            break;
        }
        let kind = &head[4..8];
        if ANIMATION.iter().any(|a| a.as_slice() == kind) {
            drop.push(pos..end);
        }
        if kind == b"IEND" {
            break;
        }
        pos = end;
    }
    if drop.is_empty() {
        return None;
    }
    // At most the input's own length, which is already in memory.
    let mut still = Vec::new();
    still.reserve_exact(bytes.len());
    let mut from = 0;
    for span in drop {
        still.extend_from_slice(&bytes[from..span.start]);
        from = span.end;
    }
    still.extend_from_slice(&bytes[from..]);
    Some(still)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        for c in chunks {
            b.extend_from_slice(c);
        }
        b
    }

    #[test]
    fn animation_chunks_anywhere_are_dropped_and_the_rest_kept_in_order() {
        let ihdr = chunk(b"IHDR", &[0; 13]);
        let idat = chunk(b"IDAT", b"pixels");
        let iend = chunk(b"IEND", b"");
        let file = png(&[
            ihdr.clone(),
            chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]),
            chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]),
            idat.clone(),
            chunk(b"fcTL", &[0; 26]),
            chunk(b"fdAT", b"frame"),
            iend.clone(),
        ]);
        assert_eq!(png_without_animation(&file), Some(png(&[ihdr, idat, iend])));
    }

    #[test]
    fn a_plain_png_or_another_format_is_left_alone() {
        let plain = png(&[
            chunk(b"IHDR", &[0; 13]),
            chunk(b"IDAT", b"x"),
            chunk(b"IEND", b""),
        ]);
        assert_eq!(png_without_animation(&plain), None);
        assert_eq!(png_without_animation(b"GIF89a"), None);
        assert_eq!(png_without_animation(b""), None);
    }

    #[test]
    fn a_length_past_the_end_keeps_the_rest_as_it_is() {
        let mut file = png(&[chunk(b"IHDR", &[0; 13]), chunk(b"fcTL", &[0; 26])]);
        let kept = file.len() - 38;
        file.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T', 1, 2]);
        let still = png_without_animation(&file).unwrap_or_default();
        assert_eq!(still.len(), file.len() - 38);
        assert_eq!(&still[..kept], &file[..kept]);
        assert!(still.ends_with(&[b'I', b'D', b'A', b'T', 1, 2]));
    }
}
