//! Resizing with fast_image_resize (runtime SIMD dispatch inside it), through
//! `visionprep-resize`, where its generic kernels are compiled once.

use super::pixels::{Layout, Pixels};
use std::fmt;
use std::str::FromStr;
use visionprep_resize::{Channels, FilterType, Region, ResizeAlg, Resizer};

/// The resampling filter for shrinking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Filter {
    /// Nearest neighbour: fastest, aliased. For pixel art only.
    Nearest,
    /// Bilinear (triangle).
    Bilinear,
    /// Catmull-Rom bicubic.
    CatmullRom,
    /// Mitchell-Netravali bicubic.
    Mitchell,
    /// Lanczos with a 3-lobe window: sharpest, the usual choice for photographs and text.
    #[default]
    Lanczos3,
}

impl Filter {
    /// Every filter, with its command-line name.
    pub const ALL: [(Filter, &'static str); 5] = [
        (Filter::Nearest, "nearest"),
        (Filter::Bilinear, "bilinear"),
        (Filter::CatmullRom, "catmull-rom"),
        (Filter::Mitchell, "mitchell"),
        (Filter::Lanczos3, "lanczos3"),
    ];

    pub(crate) fn algorithm(self) -> ResizeAlg {
        match self {
            Filter::Nearest => ResizeAlg::Nearest,
            Filter::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
            Filter::CatmullRom => ResizeAlg::Convolution(FilterType::CatmullRom),
            Filter::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
            Filter::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Filter::ALL
            .iter()
            .find(|(k, _)| k == self)
            .map_or("?", |(_, n)| n);
        f.write_str(name)
    }
}

/// A filter name that is not one of [`Filter::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown filter {0:?} (expected nearest, bilinear, catmull-rom, mitchell or lanczos3)")]
pub struct UnknownFilter(pub String);

impl FromStr for Filter {
    type Err = UnknownFilter;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let n = s.trim().to_ascii_lowercase().replace('_', "-");
        Filter::ALL
            .iter()
            .find(|(_, name)| *name == n || name.replace('-', "") == n)
            .map(|(f, _)| *f)
            .ok_or_else(|| UnknownFilter(s.to_owned()))
    }
}

fn channels(layout: Layout) -> Channels {
    match layout {
        Layout::Gray => Channels::Gray,
        Layout::Rgb => Channels::Rgb,
        Layout::Rgba => Channels::Rgba,
    }
}

/// Resizes `src` to `width` x `height` with `filter`; alpha is premultiplied during the
/// convolution (fast_image_resize's default), so transparent pixels do not bleed colour.
pub(crate) fn resize(
    resizer: &mut Resizer,
    src: Pixels,
    width: u32,
    height: u32,
    filter: Filter,
) -> Result<Pixels, super::PrepareError> {
    let whole = (0.0, 0.0, f64::from(src.width), f64::from(src.height));
    resize_region(resizer, &src, whole, width, height, filter)
}

/// Resizes one 8-bit plane (a Y, Cb or Cr plane) of `from` size held in `data` to `to` with
/// `filter`.
#[cfg_attr(not(feature = "heif-decoder"), allow(dead_code))]
pub(crate) fn resize_plane(
    resizer: &mut Resizer,
    data: &[u8],
    from: visionprep_core::Size,
    to: visionprep_core::Size,
    filter: Filter,
) -> Result<Vec<u8>, super::PrepareError> {
    visionprep_resize::resize(
        resizer,
        data,
        Channels::Gray,
        Region::whole(from.width, from.height),
        (to.width, to.height),
        filter.algorithm(),
    )
    .map_err(|e| super::PrepareError::Encode(format!("resize: {e}")))
}

/// Resizes the part `region` (x, y, width, height in `src`'s pixels, fractional) of `src` to
/// `width` x `height` with `filter`, without copying `src`: a tile.
pub(crate) fn resize_region(
    resizer: &mut Resizer,
    src: &Pixels,
    region: (f64, f64, f64, f64),
    width: u32,
    height: u32,
    filter: Filter,
) -> Result<Pixels, super::PrepareError> {
    let whole = Region::whole(src.width, src.height);
    let data = visionprep_resize::resize(
        resizer,
        &src.data,
        channels(src.layout),
        Region {
            crop: region,
            ..whole
        },
        (width, height),
        filter.algorithm(),
    )
    .map_err(|e| super::PrepareError::Encode(format!("resize: {e}")))?;
    Ok(Pixels {
        width,
        height,
        layout: src.layout,
        data,
    })
}
