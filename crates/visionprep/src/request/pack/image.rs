//! An image to place in a body (prepared bytes, a URL or an uploaded file) and, for a tile,
//! where it sits in the image it was cut from.

use super::source_size;
use super::turn::json_len;
use crate::prepare::Prepared;
use visionprep_core::Size;
use visionprep_core::request::{ContentBlock, ImageSource, base64_encode};

/// An image to place in a body: prepared bytes, a URL or an uploaded file.
///
/// The pixel size is known for prepared images; for a URL or a file id it is what the caller
/// says with [`PackImage::with_size`]. An image of unknown size is never put in a body of more
/// than 20 images, where the 2000 px rule could not be checked.
///
/// ```
/// use visionprep::core::Size;
/// use visionprep::request::PackImage;
/// let chart = PackImage::url("https://example.com/chart.png").with_size(Size::new(1200, 800));
/// let scan = PackImage::file("file_011CNha8iCJcU1wXNR6q4V8w");
/// assert_eq!(chart.size(), Some(Size::new(1200, 800)));
/// assert_eq!(scan.size(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackImage {
    pub(crate) source: ImageSource,
    pub(crate) size: Option<Size>,
    pub(crate) part: Option<Part>,
}

/// Where a tile sits in the image it was cut from: its label says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its place, from 0.
    pub index: u32,
    /// How many tiles the image was cut into.
    pub count: u32,
    /// What of the image it shows: `rows 1092-2184` (`, columns 0-1170`).
    pub region: String,
}

impl PackImage {
    /// A prepared image, base64-encoded.
    pub fn from_prepared(p: &Prepared) -> PackImage {
        PackImage {
            source: ImageSource::Base64 {
                media_type: p.media_type.as_str().to_owned(),
                data: base64_encode(&p.bytes),
            },
            size: Some(p.output_size),
            part: p.tile.map(|t| Part {
                index: t.index,
                count: t.count,
                region: t.region_text(),
            }),
        }
    }

    /// The same image as tile `part` of a larger one: labelled `Image N, part 2 of 6: rows
    /// 1092-2184` in a body, kept with its sibling tiles where the limits allow
    /// ([`Packer::push_group`](super::Packer::push_group)).
    #[must_use]
    pub fn with_part(mut self, part: Part) -> PackImage {
        self.part = Some(part);
        self
    }

    /// The tile this image is, if it is one.
    pub fn part(&self) -> Option<&Part> {
        self.part.as_ref()
    }

    /// Bytes already base64-encoded, with their media type and size.
    pub fn base64(media_type: impl Into<String>, data: impl Into<String>, size: Size) -> PackImage {
        PackImage {
            source: ImageSource::Base64 {
                media_type: media_type.into(),
                data: data.into(),
            },
            size: Some(size),
            part: None,
        }
    }

    /// Image bytes as they are, with their media type, measured from their header: the packer
    /// needs the true size for the 2000 px rule past 20 images, so an image is never packed
    /// with a guessed one. Bytes whose header cannot be read are refused with the probe's error.
    pub fn measured(
        media_type: impl Into<String>,
        bytes: &[u8],
        limits: &crate::Limits,
    ) -> Result<PackImage, crate::ProbeError> {
        let size = crate::probe_bytes(bytes, limits)?.displayed();
        Ok(PackImage::base64(media_type, base64_encode(bytes), size))
    }

    /// An image the API fetches from `url`.
    pub fn url(url: impl Into<String>) -> PackImage {
        PackImage {
            source: ImageSource::Url { url: url.into() },
            size: None,
            part: None,
        }
    }

    /// An image uploaded with the Files API.
    pub fn file(file_id: impl Into<String>) -> PackImage {
        PackImage {
            source: ImageSource::File {
                file_id: file_id.into(),
            },
            size: None,
            part: None,
        }
    }

    /// The same image with its pixel size known.
    #[must_use]
    pub fn with_size(mut self, size: Size) -> PackImage {
        self.size = Some(size);
        self
    }

    /// Where the image comes from.
    pub fn source(&self) -> &ImageSource {
        &self.source
    }

    /// Its pixel size, when known.
    pub fn size(&self) -> Option<Size> {
        self.size
    }

    /// The image of an existing block: base64 images are measured from their bytes (an
    /// unreadable one has no size), URL and file images have none.
    pub fn from_source(source: &ImageSource) -> PackImage {
        PackImage {
            source: source.clone(),
            size: source_size(source),
            part: None,
        }
    }

    pub(crate) fn base64_len(&self) -> Option<usize> {
        match &self.source {
            ImageSource::Base64 { data, .. } => Some(data.len()),
            _ => None,
        }
    }

    pub(crate) fn block(&self) -> ContentBlock {
        ContentBlock::image(self.source.clone())
    }

    /// The serialised length of [`PackImage::block`], without copying the data:
    /// `{"type":"image","source":` + the source + `}`.
    pub(crate) fn block_len(&self) -> usize {
        const WRAPPER: usize = r#"{"type":"image","source":}"#.len();
        WRAPPER + json_len(&self.source)
    }
}
