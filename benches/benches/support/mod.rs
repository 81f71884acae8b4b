//! Inputs shared by the benches, made in memory.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

/// `img` encoded in `format` by the `image` crate.
pub(crate) fn encode(img: image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}
