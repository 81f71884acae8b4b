//! Standard base64 (RFC 4648, padded), as the Messages API takes image data: encoding, and a
//! strict decoding that says where the text goes wrong.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const INVALID: u8 = 0xFF;

/// The value of each byte in the alphabet, [`INVALID`] for the others.
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Standard padded base64 of `bytes` (what `data` holds). Its length is exactly
/// [`crate::base64_len`]`(bytes.len())`.
///
/// ```
/// assert_eq!(visionprep_core::request::base64_encode(b"Claude"), "Q2xhdWRl");
/// assert_eq!(visionprep_core::request::base64_encode(b"ok"), "b2s=");
/// ```
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Why a `data` string is not valid base64 for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// It starts with `data:...;base64,` (a data URL), which the API rejects.
    #[error("a data: URL prefix was left in (the API wants the base64 text alone)")]
    DataUrlPrefix,
    /// Empty: "image cannot be empty".
    #[error("the image data is empty")]
    Empty,
    /// A character outside the standard alphabet, or padding in the wrong place.
    #[error("invalid base64 at character {0}")]
    InvalidCharacter(usize),
    /// The length is not a multiple of 4.
    #[error("the base64 text's length {0} is not a multiple of 4")]
    BadLength(usize),
}

impl Base64Error {
    /// Its stable code: `corrupt` (image data that is not base64).
    pub fn code(&self) -> crate::ErrorCode {
        crate::ErrorCode::Corrupt
    }
}

/// Decodes standard padded base64 (whitespace is not allowed, as in the API).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    if text.starts_with("data:") {
        return Err(Base64Error::DataUrlPrefix);
    }
    if text.is_empty() {
        return Err(Base64Error::Empty);
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(Base64Error::BadLength(bytes.len()));
    }
    let value = |c: u8| -> Option<u32> {
        match DECODE[usize::from(c)] {
            INVALID => None,
            v => Some(u32::from(v)),
        }
    };
    let quads = bytes.len() / 4;
    // Sized by the text already in memory, never by a header field.
    let mut out = vec![0u8; quads * 3];
    let (body, last) = bytes.split_at(bytes.len() - 4);
    // Every quad but the last has no padding: four table lookups, one test for a bad byte
    // (an invalid byte and `=` both look up as 0xFF).
    for (q, (quad, o)) in body
        .chunks_exact(4)
        .zip(out.chunks_exact_mut(3))
        .enumerate()
    {
        let v = [0, 1, 2, 3].map(|i| DECODE[usize::from(quad[i])]);
        if (v[0] | v[1] | v[2] | v[3]) & 0xC0 != 0 {
            // Padding before the end is named first, where it starts; then the first bad byte.
            let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
            let bad = match pad {
                0 => v.iter().position(|&x| x == INVALID).unwrap_or(0),
                p => 4 - p,
            };
            return Err(Base64Error::InvalidCharacter(q * 4 + bad));
        }
        let n = v.iter().fold(0u32, |n, &x| (n << 6) | u32::from(x));
        o.copy_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let q = quads - 1;
    let pad = last.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return Err(Base64Error::InvalidCharacter(q * 4 + 4 - pad));
    }
    let mut n = 0u32;
    for (i, &c) in last.iter().enumerate() {
        let v = if i >= 4 - pad {
            0
        } else {
            value(c).ok_or(Base64Error::InvalidCharacter(q * 4 + i))?
        };
        n = (n << 6) | v;
    }
    let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    out[q * 3..].copy_from_slice(&decoded);
    out.truncate(q * 3 + 3 - pad);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain decoder the fast one must agree with, quad by quad.
    fn reference(text: &str) -> Result<Vec<u8>, Base64Error> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let quads = bytes.len() / 4;
        for (q, quad) in bytes.chunks(4).enumerate() {
            let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && q + 1 != quads) {
                return Err(Base64Error::InvalidCharacter(q * 4 + 4 - pad));
            }
            let mut n = 0u32;
            for (i, &c) in quad.iter().enumerate() {
                let v = match (i >= 4 - pad, DECODE[usize::from(c)]) {
                    (true, _) => 0,
                    (false, INVALID) => return Err(Base64Error::InvalidCharacter(q * 4 + i)),
                    (false, v) => u32::from(v),
                };
                n = (n << 6) | v;
            }
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
        }
        Ok(out)
    }

    proptest! {
        #[test]
        fn decoding_inverts_encoding(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = base64_encode(&data);
            if data.is_empty() {
                prop_assert_eq!(base64_decode(&text), Err(Base64Error::Empty));
            } else {
                prop_assert_eq!(base64_decode(&text), Ok(data));
            }
        }

        #[test]
        fn the_fast_decoder_agrees_with_the_plain_one(
            quads in proptest::collection::vec("[A-Za-z0-9+/=!]{4}", 1..40)
        ) {
            let text = quads.concat();
            prop_assert_eq!(base64_decode(&text), reference(&text));
        }
    }
}
