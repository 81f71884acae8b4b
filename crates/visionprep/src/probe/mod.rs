//! Header-only inspection: what an image is, how big it is and how it is turned, without
//! decoding a pixel.
//!
//! A probe reads a few KiB in the common case (a JPEG with a large Exif block needs a second
//! read past it; a GIF is walked for at most 64 KiB to learn whether it is animated) and never allocates by a size
//! the file declares. It is what `visionprep cost` runs on every file, so it is built to be
//! about as cheap as opening the file.
//!
//! ```
//! use visionprep::{probe_bytes, Limits};
//! # let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x02\x80\0\0\x01\xe0\x08\x02\0\0\0\0\0\0\0".to_vec();
//! # png.extend_from_slice(b"\0\0\0\0IDAT\0\0\0\0\0\0\0\0IEND\xaeB`\x82");
//! let probe = probe_bytes(&png, &Limits::default())?;
//! assert_eq!((probe.stored.width, probe.stored.height), (640, 480));
//! assert_eq!(probe.media_type().map(|m| m.as_str()), Some("image/png"));
//! # Ok::<(), visionprep::ProbeError>(())
//! ```

pub(crate) mod bmff;
pub(crate) mod exif;
mod gif;
mod jpeg;
mod jxl;
mod other;
mod pieces;
mod png;
pub(crate) mod source;
mod webp;

pub use jpeg::JpegInfo;
pub use pieces::{ByteRange, PieceError, Pieces, probe_pieces};
pub use png::PngInfo;
pub use webp::WebpInfo;

use crate::limits::Limits;
use source::{Fault, FileSource, Source};
use std::fs::File;
use std::io;
use std::path::Path;
use visionprep_core::{
    ErrorCode, Format, ImageFacts, MediaType, Orientation, SNIFF_LEN, Size, sniff,
};

/// Which kinds of metadata a header walk saw. The model reads none of it (SPEC section 6);
/// preparing strips it all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metadata {
    /// An Exif block (camera data, often GPS location).
    pub exif: bool,
    /// An embedded ICC colour profile.
    pub icc: bool,
    /// An XMP packet.
    pub xmp: bool,
    /// Comments, text chunks, other application data.
    pub other: bool,
}

impl Metadata {
    /// Whether any metadata was seen.
    pub const fn any(&self) -> bool {
        self.exif || self.icc || self.xmp || self.other
    }
}

/// What a format parser finds; [`Probe`] adds what is common to all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub(crate) stored: Size,
    pub(crate) orientation: Option<Orientation>,
    pub(crate) frames: Option<u32>,
    pub(crate) animated: bool,
    pub(crate) meta: Metadata,
    pub(crate) jpeg: Option<JpegInfo>,
    pub(crate) png: Option<PngInfo>,
    pub(crate) webp: Option<WebpInfo>,
}

impl Header {
    /// A single image with no metadata read and no format details (the converted formats).
    pub(crate) fn still(stored: Size, orientation: Option<Orientation>) -> Header {
        Header {
            stored,
            orientation,
            frames: None,
            animated: false,
            meta: Metadata::default(),
            jpeg: None,
            png: None,
            webp: None,
        }
    }
}

/// The facts a header read gives about one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Probe {
    /// The format, sniffed from the bytes.
    pub format: Format,
    /// Width and height as stored (before orientation).
    pub stored: Size,
    /// The EXIF orientation (or HEIF/JPEG XL rotation); `Normal` when there is none.
    pub orientation: Orientation,
    /// The exact frame count, where the format has animation and it was counted: always for
    /// APNG and WebP, for GIFs whose walk finished within its budget (see [`Probe::animated`]).
    pub frames: Option<u32>,
    /// Whether the image has more than one frame (the model sees the first only). Exact for
    /// APNG and WebP; for a large GIF whose frames were not all walked, true when a second
    /// frame was seen or a looping animation is declared.
    pub animated: bool,
    /// The size of the file in bytes.
    pub bytes: u64,
    /// Metadata seen in the header.
    pub metadata: Metadata,
    /// JPEG frame details, for JPEGs.
    pub jpeg: Option<JpegInfo>,
    /// PNG header details, for PNGs.
    pub png: Option<PngInfo>,
    /// WebP details, for WebPs.
    pub webp: Option<WebpInfo>,
    /// The end-of-image marker is missing: the file was cut off. Only with
    /// [`Limits::lenient`]; otherwise such a file is [`ProbeError::Truncated`].
    pub truncated: bool,
}

/// The facts of a probe as reports and bindings show them: `format`, `media_type`, the size as
/// displayed (`width`, `height`) and as stored (`stored_width`, `stored_height`), the EXIF
/// `orientation` value, `animated`, `frames`, `bytes`, whether the API `accepted` the format,
/// and whether the file was `truncated` (read leniently).
impl serde::Serialize for Probe {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let shown = self.displayed();
        let mut p = s.serialize_struct("Probe", 12)?;
        p.serialize_field("format", self.format.name())?;
        p.serialize_field("media_type", self.format.mime())?;
        p.serialize_field("width", &shown.width)?;
        p.serialize_field("height", &shown.height)?;
        p.serialize_field("stored_width", &self.stored.width)?;
        p.serialize_field("stored_height", &self.stored.height)?;
        p.serialize_field("orientation", &self.orientation.exif_value())?;
        p.serialize_field("animated", &self.animated)?;
        p.serialize_field("frames", &self.frames)?;
        p.serialize_field("bytes", &self.bytes)?;
        p.serialize_field("accepted", &self.format.media_type().is_some())?;
        p.serialize_field("truncated", &self.truncated)?;
        p.end()
    }
}

impl Probe {
    /// The API media type, for the four formats the API accepts.
    pub const fn media_type(&self) -> Option<MediaType> {
        self.format.media_type()
    }

    /// The size the image is seen at, upright.
    pub const fn displayed(&self) -> Size {
        self.orientation.displayed(self.stored)
    }

    /// The facts the core's problem rules need, with the file's extension if known.
    pub fn facts<'a>(&self, extension: Option<&'a str>) -> ImageFacts<'a> {
        ImageFacts {
            format: self.format,
            stored: self.stored,
            orientation: self.orientation,
            animated: self.animated,
            bytes: self.bytes,
            extension,
            truncated: self.truncated,
        }
    }
}

/// Why an image could not be read or prepared: the one error type of the probe and the
/// pixel pipeline ([`ProbeError`] and [`PrepareError`](crate::prepare::PrepareError) are its
/// names at each stage). Typed end to end; [`Error::code`] gives the stable report code,
/// derived from the variant alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    /// The path is a directory, FIFO, socket or device, not a regular file.
    #[error("not a regular file ({0})")]
    NotAFile(&'static str),
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are no known image format.
    #[error("not an image ({0})")]
    NotAnImage(&'static str),
    /// A recognised format that cannot be read.
    #[error("{format} is not supported: {reason}")]
    Unsupported {
        /// The format.
        format: Format,
        /// Why.
        reason: String,
    },
    /// The data ends before the image does.
    #[error("truncated {format}: {what}")]
    Truncated {
        /// The format.
        format: Format,
        /// What is missing.
        what: &'static str,
    },
    /// The data is not a valid image of its format.
    #[error("corrupt {format}: {reason}")]
    Corrupt {
        /// The format.
        format: Format,
        /// What is wrong.
        reason: String,
    },
    /// The declared size is over the pixel limit: reported, never allocated.
    #[error(
        "{format} declares {size} ({:.1} MP), over the limit of {:.1} MP",
        size.area() as f64 / 1e6,
        *limit as f64 / 1e6
    )]
    DimensionsTooLarge {
        /// The format.
        format: Format,
        /// The declared size.
        size: Size,
        /// The pixel limit it is over.
        limit: u64,
    },
    /// Decoding would need more memory than allowed (or the file is over the size limit).
    #[error("{format} needs more memory than allowed: {reason}")]
    MemoryLimit {
        /// The format.
        format: Format,
        /// What the limit or the decoder said.
        reason: String,
    },
    /// Encoding failed, or no encoding fits the byte cap.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// The image cannot be cut into tiles as asked (too many would be needed).
    #[error("cannot tile: {0}")]
    Tiles(#[from] visionprep_core::TileError),
    /// A bug stopped the work on this image (a worker thread panicked); the run goes on.
    #[error("internal error: {0} (a bug)")]
    Internal(&'static str),
}

/// The error of the header probe: [`Error`].
pub type ProbeError = Error;

impl Error {
    /// The pixel data of a `format` image ends early.
    pub(crate) fn data_ends(format: Format) -> Error {
        Error::Truncated {
            format,
            what: "the image data ends early",
        }
    }

    /// The format, when the bytes were recognised before the error.
    pub fn format(&self) -> Option<Format> {
        match self {
            Error::Unsupported { format, .. }
            | Error::Truncated { format, .. }
            | Error::Corrupt { format, .. }
            | Error::DimensionsTooLarge { format, .. }
            | Error::MemoryLimit { format, .. } => Some(*format),
            Error::Io(_)
            | Error::NotAFile(_)
            | Error::Empty
            | Error::NotAnImage(_)
            | Error::Encode(_)
            | Error::Tiles(_)
            | Error::Internal(_) => None,
        }
    }

    /// The stable code of this error in reports.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Io(_) | Error::NotAFile(_) => ErrorCode::Unreadable,
            Error::Empty => ErrorCode::Empty,
            Error::NotAnImage(_) => ErrorCode::NotAnImage,
            Error::Unsupported { .. } => ErrorCode::UnsupportedFormat,
            Error::Truncated { .. } => ErrorCode::Truncated,
            Error::Corrupt { .. } => ErrorCode::Corrupt,
            Error::DimensionsTooLarge { .. } => ErrorCode::DimensionsTooLarge,
            Error::MemoryLimit { .. } => ErrorCode::MemoryLimit,
            Error::Encode(_) => ErrorCode::EncodeFailed,
            Error::Tiles(_) => ErrorCode::DimensionsTooLarge,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// Probes an image held in memory.
pub fn probe_bytes(bytes: &[u8], limits: &Limits) -> Result<Probe, ProbeError> {
    let mut src = bytes;
    probe_source(&mut src, limits)
}

/// Probes the file at `path` (symlinks followed). Directories, FIFOs and devices are refused
/// before they are opened, so a FIFO never blocks the caller.
pub fn probe_path(path: impl AsRef<Path>, limits: &Limits) -> Result<Probe, ProbeError> {
    let meta = std::fs::metadata(path.as_ref())?;
    if !meta.is_file() {
        return Err(ProbeError::NotAFile(file_kind(&meta.file_type())));
    }
    let file = File::open(path.as_ref())?;
    probe_file(&file, limits)
}

/// Probes an open file from its start, without moving its cursor.
pub fn probe_file(file: &File, limits: &Limits) -> Result<Probe, ProbeError> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ProbeError::NotAFile(file_kind(&meta.file_type())));
    }
    let mut src = FileSource::new(file, meta.len());
    probe_source(&mut src, limits)
}

/// A name for a file type that is not a regular file (`a FIFO`, `a socket`, `a device`, ...),
/// for messages about files that are reported without being opened.
pub fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

fn probe_source<S: Source>(src: &mut S, limits: &Limits) -> Result<Probe, ProbeError> {
    let len = src.len();
    if len == 0 {
        return Err(ProbeError::Empty);
    }
    let head = match src.bytes_upto(0, SNIFF_LEN) {
        Ok(head) => head,
        Err(Fault::Io(e)) => return Err(ProbeError::Io(e)),
        // Only a file that shrank after its length was read gets here.
        Err(_) => {
            let e = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file changed while it was read",
            );
            return Err(ProbeError::Io(e));
        }
    };
    let Some(format) = sniff(head) else {
        return Err(ProbeError::NotAnImage(describe(head)));
    };
    let parsed = match format {
        Format::Jpeg => jpeg::parse(src),
        Format::Png => png::parse(src),
        Format::Gif => {
            src.set_chunk(gif::WALK_CHUNK);
            gif::parse(src)
        }
        Format::Webp => webp::parse(src),
        Format::Tiff => other::tiff(src),
        Format::Bmp => other::bmp(src),
        Format::Ico => other::ico(src),
        Format::Pnm => other::pnm(src),
        Format::Qoi => other::qoi(src),
        Format::Heic | Format::Avif => bmff::parse(src),
        Format::JpegXl => jxl::parse(src),
        Format::Pdf => Err(Fault::Unsupported("a document, not an image".into())),
        Format::Svg => Err(Fault::Unsupported(
            "a vector drawing with no pixel size".into(),
        )),
        _ => Err(Fault::Unsupported("no reader for this format".into())),
    };
    let header = parsed.map_err(|f| fault(f, format))?;
    if header.stored.is_empty() {
        return Err(ProbeError::Corrupt {
            format,
            reason: "zero image size".into(),
        });
    }
    if header.stored.area() > limits.max_pixels {
        return Err(ProbeError::DimensionsTooLarge {
            format,
            size: header.stored,
            limit: limits.max_pixels,
        });
    }
    let tail_ok = match format {
        Format::Jpeg => tail_complete(src, jpeg::tail_complete),
        Format::Png => tail_complete(src, png::tail_complete),
        _ => Ok(true),
    };
    let mut truncated = false;
    match tail_ok {
        Ok(true) => {}
        Ok(false) if limits.lenient => truncated = true,
        Ok(false) => {
            return Err(ProbeError::Truncated {
                format,
                what: "the end-of-image marker is missing: the file was cut off",
            });
        }
        Err(f) => return Err(fault(f, format)),
    }
    Ok(Probe {
        format,
        stored: header.stored,
        orientation: header.orientation.unwrap_or_default(),
        frames: header.frames,
        animated: header.animated,
        bytes: len,
        metadata: header.meta,
        jpeg: header.jpeg,
        png: header.png,
        webp: header.webp,
        truncated,
    })
}

/// Looks for a format's end marker in the last KiB, then the last 64 KiB (data appended by some
/// cameras and tools).
fn tail_complete<S: Source>(src: &mut S, found: fn(&[u8]) -> bool) -> Result<bool, Fault> {
    for window in [1024u64, 64 * 1024] {
        let len = src.len();
        let start = len.saturating_sub(window);
        if found(src.bytes_upto(start, (len - start) as usize)?) {
            return Ok(true);
        }
        if start == 0 {
            break;
        }
    }
    Ok(false)
}

fn fault(f: Fault, format: Format) -> ProbeError {
    match f {
        Fault::Io(e) => ProbeError::Io(e),
        Fault::Truncated => ProbeError::Truncated {
            format,
            what: "the file ends inside the header",
        },
        Fault::Corrupt(reason) => ProbeError::Corrupt { format, reason },
        Fault::Unsupported(reason) => ProbeError::Unsupported { format, reason },
    }
}

/// A few words on what non-image bytes look like, for the error message.
fn describe(head: &[u8]) -> &'static str {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"PK\x03\x04") {
        "a ZIP archive"
    } else if starts(&[0x1F, 0x8B]) {
        "gzip data"
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        "an MP4/QuickTime video or other ISO media"
    } else if starts(b"\x7FELF") {
        "an executable"
    } else if starts(b"8BPS") {
        "a Photoshop document"
    } else if starts(b"%!PS") {
        "PostScript"
    } else if std::str::from_utf8(head).is_ok() {
        let t = String::from_utf8_lossy(head).to_ascii_lowercase();
        if t.contains("<html") || t.contains("<!doctype html") {
            "an HTML page"
        } else {
            "text"
        }
    } else {
        "unknown binary data"
    }
}
