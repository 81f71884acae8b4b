//! JPEG: walk the marker segments up to the frame header (SOFn).

use super::source::{Fault, Parse, Source, corrupt};
use super::{Header, Metadata, exif};
use visionprep_core::Size;

/// Details of a JPEG frame header that decide how it decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegInfo {
    /// Progressive (SOF2/6/10/14): decodes several times slower than baseline.
    pub progressive: bool,
    /// Arithmetic coding (SOF9 and up), which some decoders lack.
    pub arithmetic: bool,
    /// Lossless process (SOF3/7/11/15).
    pub lossless: bool,
    /// Bits per sample (8 almost always; 12 in some medical images).
    pub precision: u8,
    /// Colour components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK.
    pub components: u8,
    /// The Adobe APP14 colour transform (0 none: RGB or CMYK, 1 YCbCr, 2 YCCK), if present.
    pub adobe_transform: Option<u8>,
}

pub(crate) fn parse<S: Source>(src: &mut S) -> Parse<Header> {
    let mut meta = Metadata::default();
    let mut orientation = None;
    let mut adobe_transform = None;
    let mut pos: u64 = 2;
    loop {
        // Markers are 0xFF followed by a code; 0xFF fill bytes may repeat. Stray bytes between
        // segments are skipped as libjpeg does (with a bound, so garbage cannot spin forever).
        let mut skipped = 0;
        while src.u8_at(pos)? != 0xFF {
            pos += 1;
            skipped += 1;
            if skipped > 64 * 1024 {
                return corrupt("no marker where one was expected");
            }
        }
        while src.u8_at(pos)? == 0xFF {
            pos += 1;
        }
        let marker = src.u8_at(pos)?;
        pos += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => return corrupt("a second start-of-image marker before the frame header"),
            0xD9 => return corrupt("end of image before any frame header"),
            0xDA => return corrupt("scan data before any frame header"),
            0x00 => return corrupt("a stuffed zero byte outside scan data"),
            _ => {}
        }
        let len = u64::from(src.be16(pos)?);
        if len < 2 {
            return corrupt(format!("segment 0xFF{marker:02X} has length {len}"));
        }
        let body = pos + 2;
        let body_len = (len - 2) as usize;
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                let sof = src.bytes(body, 6)?;
                let precision = sof[0];
                let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
                let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
                let components = sof[5];
                if height == 0 {
                    return Err(Fault::Unsupported(
                        "the height is deferred to a DNL marker, which is not supported".into(),
                    ));
                }
                if width == 0 {
                    return corrupt("the frame header declares a width of 0");
                }
                if !matches!(components, 1 | 3 | 4) {
                    return Err(Fault::Unsupported(format!(
                        "{components} colour components"
                    )));
                }
                if body_len < 6 + 3 * usize::from(components) {
                    return corrupt("the frame header is shorter than its components");
                }
                let info = JpegInfo {
                    progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                    arithmetic: marker >= 0xC9,
                    lossless: matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF),
                    precision,
                    components,
                    adobe_transform,
                };
                return Ok(Header {
                    stored: Size::new(width, height),
                    orientation,
                    frames: Some(1),
                    animated: false,
                    meta,
                    jpeg: Some(info),
                    png: None,
                    webp: None,
                });
            }
            0xE1 => {
                let head = src.bytes_upto(body, body_len.min(exif::EXIF_READ))?;
                if head.starts_with(b"Exif\0") {
                    meta.exif = true;
                    if orientation.is_none() {
                        orientation = exif::orientation(head);
                    }
                } else if head.starts_with(b"http://ns.adobe.com/xap/1.0/") {
                    meta.xmp = true;
                }
            }
            0xE2 => meta.icc |= src.bytes_upto(body, 12)?.starts_with(b"ICC_PROFILE\0"),
            0xEE => {
                let app14 = src.bytes_upto(body, body_len.min(12))?;
                if app14.len() >= 12 && app14.starts_with(b"Adobe") {
                    adobe_transform = Some(app14[11]);
                }
            }
            0xE3..=0xED | 0xEF | 0xFE => meta.other = true,
            _ => {}
        }
        pos = body + body_len as u64;
    }
}

/// Whether the last bytes hold an end-of-image marker: `tail` is the end of the file. Some
/// cameras append data after it, so the marker is searched, not only expected last.
pub(crate) fn tail_complete(tail: &[u8]) -> bool {
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}
