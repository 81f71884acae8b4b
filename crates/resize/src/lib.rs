//! The resize kernel of visionprep: [fast_image_resize]'s convolutions for 8-bit gray, RGB
//! and RGBA pixels, behind [`resize`], which is not generic.
//!
//! fast_image_resize's kernels are generic over the image types, so Rust compiles them in the
//! crate that names the types, with that crate's optimisation level. Named here, they are
//! compiled once, in this crate: a build that optimises this crate (visionprep's dev and test
//! profiles do) runs them at full speed whatever the caller's level, and the caller's own
//! build no longer carries them (they were 60% of the library's compiled code).

#![forbid(unsafe_code)]

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{InnerPixel, U8, U8x3, U8x4};
pub use fast_image_resize::{CpuExtensions, FilterType, ResizeAlg, Resizer};
use fast_image_resize::{PixelTrait, ResizeOptions};

/// How many 8-bit channels a pixel has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    /// One: gray.
    Gray,
    /// Three: RGB.
    Rgb,
    /// Four: RGBA (alpha premultiplied during the convolution, so that transparent pixels do
    /// not bleed their colour).
    Rgba,
}

impl Channels {
    /// Bytes per pixel.
    pub fn count(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::Rgb => 3,
            Channels::Rgba => 4,
        }
    }
}

/// The source image's size, and the part of it to resize (fractional pixels: a tile).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// The source's width in pixels.
    pub width: u32,
    /// The source's height in pixels.
    pub height: u32,
    /// The part: left, top, width, height, in the source's pixels.
    pub crop: (f64, f64, f64, f64),
}

impl Region {
    /// All of a `width` x `height` source.
    pub fn whole(width: u32, height: u32) -> Region {
        Region {
            width,
            height,
            crop: (0.0, 0.0, f64::from(width), f64::from(height)),
        }
    }
}

/// Why a resize did not run: the pixels do not fill the source size, or a size is zero.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResizeError {
    /// The source's bytes do not match its size and channels.
    #[error("the source pixels do not match their size: {0}")]
    Source(#[from] fast_image_resize::ImageBufferError),
    /// fast_image_resize refused the resize (a zero size, a crop outside the source).
    #[error("{0}")]
    Resize(#[from] fast_image_resize::ResizeError),
    /// The output's bytes would not fit in memory's address space.
    #[error("an output of {0}x{1} pixels is too large")]
    TooLarge(u32, u32),
}

/// Resizes `region` of `pixels` (rows of `channels` bytes per pixel, no padding) to `to`
/// (width, height) with `algorithm`, and returns the new rows. `resizer` keeps its buffers
/// between calls (one per thread).
pub fn resize(
    resizer: &mut Resizer,
    pixels: &[u8],
    channels: Channels,
    region: Region,
    to: (u32, u32),
    algorithm: ResizeAlg,
) -> Result<Vec<u8>, ResizeError> {
    let len = (to.0 as usize)
        .checked_mul(to.1 as usize)
        .and_then(|n| n.checked_mul(channels.count()))
        .ok_or(ResizeError::TooLarge(to.0, to.1))?;
    let mut out = vec![0; len];
    let options = ResizeOptions::new().resize_alg(algorithm);
    let (x, y, w, h) = region.crop;
    let options = options.crop(x, y, w, h);
    // Typed calls: the kernels of these three pixel types only (fast_image_resize's untyped
    // `resize` instantiates all thirteen).
    match channels {
        Channels::Gray => typed::<U8>(resizer, pixels, region, to, &mut out, &options)?,
        Channels::Rgb => typed::<U8x3>(resizer, pixels, region, to, &mut out, &options)?,
        Channels::Rgba => typed::<U8x4>(resizer, pixels, region, to, &mut out, &options)?,
    }
    // The resizer keeps its buffers for the next call: the pass between the two convolutions,
    // and for RGBA a premultiplied copy of the whole source (59 MB for a 5120x2880 screenshot).
    // A worker would hold its largest image's for the rest of the run; past this size they go.
    if resizer.size_of_internal_buffers() > KEPT_BUFFERS {
        resizer.reset_internal_buffers();
    }
    Ok(out)
}

/// The most a [`Resizer`] keeps between calls: the intermediate pass of a 12 MP photo decoded
/// at 3/8 (about 5 MB) is reused, a large image's buffers are freed.
const KEPT_BUFFERS: usize = 16 << 20;

fn typed<P: PixelTrait + InnerPixel>(
    resizer: &mut Resizer,
    pixels: &[u8],
    region: Region,
    to: (u32, u32),
    out: &mut [u8],
    options: &ResizeOptions,
) -> Result<(), ResizeError> {
    let src = TypedImageRef::<P>::from_buffer(region.width, region.height, pixels)?;
    let mut dst = TypedImage::<P>::from_buffer(to.0, to.1, out)?;
    resizer.resize_typed(&src, &mut dst, options)?;
    Ok(())
}

/// The README's example, run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
