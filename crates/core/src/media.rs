//! What a file is, from its first bytes.
//!
//! The API accepts four media types and rejects a `media_type` that differs from the bytes
//! (SPEC section 1), so the type is always sniffed, never taken from a file name. [`sniff`] also
//! recognises the formats users commonly have that the API refuses (HEIC from phones, TIFF,
//! AVIF, ...), so that reports can say what a file is and whether it can be converted.

use std::fmt;

/// The four media types the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MediaType {
    /// `image/jpeg`
    #[cfg_attr(feature = "serde", serde(rename = "image/jpeg"))]
    Jpeg,
    /// `image/png`
    #[cfg_attr(feature = "serde", serde(rename = "image/png"))]
    Png,
    /// `image/gif`
    #[cfg_attr(feature = "serde", serde(rename = "image/gif"))]
    Gif,
    /// `image/webp`
    #[cfg_attr(feature = "serde", serde(rename = "image/webp"))]
    Webp,
}

impl MediaType {
    /// The MIME type, as the API's `media_type` field wants it.
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
        }
    }

    /// The usual file extension, without the dot.
    pub const fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Gif => "gif",
            MediaType::Webp => "webp",
        }
    }

    /// The media type of an API `media_type` string, if it is one of the four.
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        match mime.trim().to_ascii_lowercase().as_str() {
            "image/jpeg" => Some(MediaType::Jpeg),
            "image/png" => Some(MediaType::Png),
            "image/gif" => Some(MediaType::Gif),
            "image/webp" => Some(MediaType::Webp),
            _ => None,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every format [`sniff`] recognises: the four API formats and the others users have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// JPEG (JFIF, Exif, Adobe).
    Jpeg,
    /// PNG, APNG included.
    Png,
    /// GIF87a and GIF89a.
    Gif,
    /// WebP (lossy, lossless, extended).
    Webp,
    /// TIFF, classic and BigTIFF, either byte order (also most camera raw files).
    Tiff,
    /// Windows and OS/2 bitmaps.
    Bmp,
    /// HEIF with HEVC images: iPhone and Android `.heic`.
    Heic,
    /// AV1 Image File Format.
    Avif,
    /// Windows icons.
    Ico,
    /// Netpbm: PBM, PGM, PPM, PAM.
    Pnm,
    /// The Quite OK Image format.
    Qoi,
    /// JPEG XL, bare codestream or ISO-BMFF container.
    JpegXl,
    /// A PDF document.
    Pdf,
    /// An SVG drawing (vector, no pixel size of its own).
    Svg,
}

impl Format {
    /// The API media type, for the four formats the API accepts.
    pub const fn media_type(self) -> Option<MediaType> {
        match self {
            Format::Jpeg => Some(MediaType::Jpeg),
            Format::Png => Some(MediaType::Png),
            Format::Gif => Some(MediaType::Gif),
            Format::Webp => Some(MediaType::Webp),
            _ => None,
        }
    }

    /// Whether the API accepts this format as it is.
    pub const fn is_api_format(self) -> bool {
        self.media_type().is_some()
    }

    /// The registered (or customary) MIME type, for reports.
    pub const fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Tiff => "image/tiff",
            Format::Bmp => "image/bmp",
            Format::Heic => "image/heic",
            Format::Avif => "image/avif",
            Format::Ico => "image/vnd.microsoft.icon",
            Format::Pnm => "image/x-portable-anymap",
            Format::Qoi => "image/qoi",
            Format::JpegXl => "image/jxl",
            Format::Pdf => "application/pdf",
            Format::Svg => "image/svg+xml",
        }
    }

    /// A short human name: `JPEG`, `HEIC`, `JPEG XL`.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::Webp => "WebP",
            Format::Tiff => "TIFF",
            Format::Bmp => "BMP",
            Format::Heic => "HEIC",
            Format::Avif => "AVIF",
            Format::Ico => "ICO",
            Format::Pnm => "PNM",
            Format::Qoi => "QOI",
            Format::JpegXl => "JPEG XL",
            Format::Pdf => "PDF",
            Format::Svg => "SVG",
        }
    }

    /// Whether a file extension (without the dot, any case) is a usual one for this format.
    pub fn matches_extension(self, ext: &str) -> bool {
        self.extensions()
            .iter()
            .any(|known| known.eq_ignore_ascii_case(ext))
    }

    /// The usual file extensions of this format, lower case, without the dot.
    pub const fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Jpeg => &["jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp"],
            Format::Png => &["png", "apng"],
            Format::Gif => &["gif"],
            Format::Webp => &["webp"],
            Format::Tiff => &[
                "tif", "tiff", "dng", "nef", "cr2", "arw", "orf", "rw2", "pef",
            ],
            Format::Bmp => &["bmp", "dib"],
            Format::Heic => &["heic", "heif", "hif"],
            Format::Avif => &["avif", "avifs"],
            Format::Ico => &["ico", "cur"],
            Format::Pnm => &["pnm", "pbm", "pgm", "ppm", "pam"],
            Format::Qoi => &["qoi"],
            Format::JpegXl => &["jxl"],
            Format::Pdf => &["pdf"],
            Format::Svg => &["svg", "svgz"],
        }
    }

    /// Whether an extension belongs to any recognised image format (so a mismatch with the
    /// sniffed one is worth reporting, where `.bin` or `.dat` is not).
    pub fn is_image_extension(ext: &str) -> bool {
        Format::ALL.iter().any(|f| f.matches_extension(ext))
    }

    /// Every recognised format.
    pub const ALL: [Format; 14] = [
        Format::Jpeg,
        Format::Png,
        Format::Gif,
        Format::Webp,
        Format::Tiff,
        Format::Bmp,
        Format::Heic,
        Format::Avif,
        Format::Ico,
        Format::Pnm,
        Format::Qoi,
        Format::JpegXl,
        Format::Pdf,
        Format::Svg,
    ];
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many leading bytes [`sniff`] may look at. Passing fewer can only miss SVG files whose
/// `<svg` tag comes late.
pub const SNIFF_LEN: usize = 512;

/// The format of a file from its first bytes ([`SNIFF_LEN`] are enough), or `None`.
///
/// Only magic numbers are used, never a file name, so `media_type` always matches the bytes.
///
/// ```
/// use visionprep_core::{sniff, Format};
/// assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(Format::Png));
/// assert_eq!(sniff(b"GIF89a"), Some(Format::Gif));
/// assert_eq!(sniff(b"hello"), None);
/// ```
pub fn sniff(head: &[u8]) -> Option<Format> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(Format::Gif);
    }
    if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(Format::Webp);
    }
    if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
        return Some(Format::Tiff);
    }
    if let Some(f) = sniff_isobmff(head) {
        return Some(f);
    }
    if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Some(Format::JpegXl);
    }
    if starts(b"qoif") {
        return Some(Format::Qoi);
    }
    if starts(b"%PDF-") {
        return Some(Format::Pdf);
    }
    if head.len() >= 18 && starts(b"BM") && is_bmp_header(head) {
        return Some(Format::Bmp);
    }
    if head.len() >= 6 && (starts(&[0, 0, 1, 0]) || starts(&[0, 0, 2, 0])) {
        let count = head
            .get(4..6)
            .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
        if count > 0
            && head
                .get(9)
                .is_none_or(|&reserved| reserved == 0 || reserved == 255)
        {
            return Some(Format::Ico);
        }
    }
    if head.len() >= 3
        && head[0] == b'P'
        && (b'1'..=b'7').contains(&head[1])
        && head[2].is_ascii_whitespace()
    {
        return Some(Format::Pnm);
    }
    if is_svg(head) {
        return Some(Format::Svg);
    }
    None
}

/// A `BM` file whose DIB header size is one of the known ones.
fn is_bmp_header(head: &[u8]) -> bool {
    let dib = u32::from_le_bytes([head[14], head[15], head[16], head[17]]);
    matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// HEIC or AVIF, from the brands of an ISO-BMFF `ftyp` box.
fn sniff_isobmff(head: &[u8]) -> Option<Format> {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = size.clamp(16, head.len());
    let major = &head[8..12];
    let compatible = head[16..end].chunks_exact(4);
    let brands = std::iter::once(major).chain(compatible);
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some(Format::Avif),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs"
            | b"mif1" | b"msf1" | b"mif2" => heif = true,
            _ => {}
        }
    }
    heif.then_some(Format::Heic)
}

fn is_svg(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A multi-byte character cut at the end of the window is still text.
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(t) => t,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    let t = text.trim_start_matches('\u{feff}').trim_start();
    (t.starts_with('<')) && t.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_formats() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Some(Format::Png));
        assert_eq!(sniff(b"GIF87a\x01\x00"), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        for f in [Format::Jpeg, Format::Png, Format::Gif, Format::Webp] {
            assert!(f.is_api_format());
            assert_eq!(f.media_type().map(MediaType::as_str), Some(f.mime()));
        }
    }

    #[test]
    fn other_formats() {
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(Format::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(Format::Tiff));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Some(Format::Heic)
        );
        assert_eq!(
            sniff(b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf"),
            Some(Format::Avif)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0isommp41"),
            None,
            "an MP4 video"
        );
        assert_eq!(sniff(b"\xff\x0a\x00"), Some(Format::JpegXl));
        assert_eq!(sniff(b"\0\0\0\x0cJXL \r\n\x87\n"), Some(Format::JpegXl));
        assert_eq!(sniff(b"qoif\0\0\0\x01"), Some(Format::Qoi));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Format::Pdf));
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&40u32.to_le_bytes());
        assert_eq!(sniff(&bmp), Some(Format::Bmp));
        assert_eq!(sniff(b"BM is not enough here"), None);
        assert_eq!(sniff(&[0, 0, 1, 0, 1, 0, 16, 16, 0, 0]), Some(Format::Ico));
        assert_eq!(sniff(&[0, 0, 1, 0, 0, 0]), None, "an icon with no images");
        assert_eq!(sniff(b"P6\n3 2\n255\n"), Some(Format::Pnm));
        assert_eq!(sniff(b"P9\n"), None);
        assert_eq!(
            sniff(b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<svg xmlns="),
            Some(Format::Svg)
        );
        assert_eq!(sniff(b"<html><body></body></html>"), None);
    }

    #[test]
    fn nothing_panics_on_short_input() {
        for len in 0..32 {
            let zeros = vec![0u8; len];
            let _ = sniff(&zeros);
            let ones = vec![0xFFu8; len];
            let _ = sniff(&ones);
        }
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\0\0\0\x08ftyp"), None);
    }

    #[test]
    fn extensions() {
        assert!(Format::Jpeg.matches_extension("JPEG"));
        assert!(!Format::Jpeg.matches_extension("png"));
        assert!(Format::is_image_extension("heic"));
        assert!(!Format::is_image_extension("txt"));
        assert_eq!(MediaType::from_mime("IMAGE/PNG"), Some(MediaType::Png));
        assert_eq!(MediaType::from_mime("image/tiff"), None);
    }
}
