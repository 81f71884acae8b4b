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
    let mut out = Vec::new();
    let quads = bytes.len() / 4;
    for (q, quad) in bytes.chunks(4).enumerate() {
        let last = q + 1 == quads;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(Base64Error::InvalidCharacter(q * 4 + 4 - pad));
        }
        let mut n = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            let v = if i >= 4 - pad {
                0
            } else {
                value(c).ok_or(Base64Error::InvalidCharacter(q * 4 + i))?
            };
            n = (n << 6) | v;
        }
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Ok(out)
}
