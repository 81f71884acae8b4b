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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_images_buffers_are_not_kept_between_calls() {
        // 2400x1800 RGBA with transparency: the premultiplied copy alone is 17 MB.
        let (w, h) = (2400u32, 1800u32);
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                [
                    (i % 251) as u8,
                    (i % 241) as u8,
                    (i % 239) as u8,
                    (i % 200) as u8,
                ]
            })
            .collect();
        let src = Pixels {
            width: w,
            height: h,
            layout: Layout::Rgba,
            data,
        };
        let mut resizer = Resizer::new();
        let out = resize(&mut resizer, src, 1200, 900, Filter::Lanczos3).unwrap();
        assert_eq!(
            (out.width, out.height, out.data.len()),
            (1200, 900, 1200 * 900 * 4)
        );
        assert!(
            resizer.size_of_internal_buffers() <= 16 << 20,
            "{} bytes kept",
            resizer.size_of_internal_buffers()
        );
        // A photograph's intermediate pass is small and stays for the next image.
        let small = Pixels {
            width: 600,
            height: 400,
            layout: Layout::Rgb,
            data: vec![128; 600 * 400 * 3],
        };
        resize(&mut resizer, small, 300, 200, Filter::Lanczos3).unwrap();
        assert!(resizer.size_of_internal_buffers() > 0);
    }
}
