//! Decoded pixels in the few layouts the pipeline works in, and the steps between them.

use image::DynamicImage;
use visionprep_core::Orientation;

/// 8-bit pixels, row-major, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pixels {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) layout: Layout,
    pub(crate) data: Vec<u8>,
}

/// Channel layouts; grey stays grey (a third of the work and bytes of RGB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Gray,
    Rgb,
    Rgba,
}

impl Layout {
    pub(crate) const fn channels(self) -> usize {
        match self {
            Layout::Gray => 1,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }
}

impl Pixels {
    /// Converts a decoded image to 8 bits, dropping an alpha channel that is opaque everywhere
    /// (so that an RGBA screenshot without transparency can become a JPEG if it must).
    pub(crate) fn from_dynamic(img: DynamicImage) -> Pixels {
        let (width, height) = (img.width(), img.height());
        let has_alpha = img.color().has_alpha();
        let gray = !img.color().has_color();
        let (layout, data) = match (gray, has_alpha) {
            (true, false) => (Layout::Gray, img.into_luma8().into_raw()),
            (false, false) => (Layout::Rgb, img.into_rgb8().into_raw()),
            (_, true) => {
                let mut rgba = img.into_rgba8().into_raw();
                if rgba.chunks_exact(4).all(|p| p[3] == 255) {
                    // Opaque: RGB in the same buffer (pixel i moves from 4i to 3i, never
                    // over a pixel not yet moved), without a second buffer of the image.
                    let pixels = rgba.len() / 4;
                    for i in 0..pixels {
                        rgba.copy_within(4 * i..4 * i + 3, 3 * i);
                    }
                    rgba.truncate(3 * pixels);
                    rgba.shrink_to_fit();
                    (Layout::Rgb, rgba)
                } else {
                    (Layout::Rgba, rgba)
                }
            }
        };
        Pixels {
            width,
            height,
            layout,
            data,
        }
    }

    /// The pixels turned as an EXIF `orientation` says, so that they are seen upright.
    pub(crate) fn oriented(self, orientation: Orientation) -> Pixels {
        if orientation.is_identity() {
            return self;
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let ch = self.layout.channels();
        let swap = orientation.swaps_dimensions();
        let (dw, dh) = if swap { (h, w) } else { (w, h) };
        let mut data = vec![0u8; self.data.len()];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = match orientation {
                    Orientation::Normal => (x, y),
                    Orientation::FlipHorizontal => (w - 1 - x, y),
                    Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
                    Orientation::FlipVertical => (x, h - 1 - y),
                    Orientation::Transpose => (y, x),
                    Orientation::Rotate90 => (h - 1 - y, x),
                    Orientation::Transverse => (h - 1 - y, w - 1 - x),
                    Orientation::Rotate270 => (y, w - 1 - x),
                };
                let src = (y * w + x) * ch;
                let dst = (dy * dw + dx) * ch;
                data[dst..dst + ch].copy_from_slice(&self.data[src..src + ch]);
            }
        }
        Pixels {
            width: dw as u32,
            height: dh as u32,
            layout: self.layout,
            data,
        }
    }

    /// Composites RGBA onto an opaque background colour (for JPEG, which has no alpha):
    /// transparent areas take the background, never black.
    pub(crate) fn flatten(&self, background: [u8; 3]) -> Pixels {
        if self.layout != Layout::Rgba {
            return self.clone();
        }
        let data = self
            .data
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u32::from(p[3]);
                let mix = |c: u8, b: u8| {
                    ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8
                };
                [
                    mix(p[0], background[0]),
                    mix(p[1], background[1]),
                    mix(p[2], background[2]),
                ]
            })
            .collect();
        Pixels {
            width: self.width,
            height: self.height,
            layout: Layout::Rgb,
            data,
        }
    }

    /// Whether the pixels look like a photograph rather than a screenshot, chart, scan or
    /// drawing: on a grid of about 16,000 samples, more than one in eight has a colour of its
    /// own. Measured on real images: photographs (lossy or not, smooth skies included) give
    /// 7,000 to 15,000 distinct colours, screenshots, charts and scanned pages 2 to 500.
    /// Decides lossless or JPEG for lossy WebP, formats the API refuses and PNGs over the cap.
    pub(crate) fn looks_photographic(&self) -> bool {
        let ch = self.layout.channels();
        let total = self.width as usize * self.height as usize;
        let step = (total / 16_384).max(1);
        let samples = total.div_ceil(step);
        let mut seen = std::collections::HashSet::new();
        for i in (0..total).step_by(step) {
            let p = &self.data[i * ch..i * ch + ch];
            let key = p.iter().take(3).fold(0u32, |k, &c| (k << 8) | u32::from(c));
            seen.insert(key);
            if seen.len() * 8 > samples {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientations_move_pixels_where_exif_says() {
        // 3x2, stored:   a b c      (one grey byte per pixel)
        //                d e f
        let p = Pixels {
            width: 3,
            height: 2,
            layout: Layout::Gray,
            data: b"abcdef".to_vec(),
        };
        let shown = |o| {
            let q = p.clone().oriented(o);
            (q.width, q.height, String::from_utf8(q.data).unwrap())
        };
        assert_eq!(shown(Orientation::Normal), (3, 2, "abcdef".into()));
        assert_eq!(shown(Orientation::FlipHorizontal), (3, 2, "cbafed".into()));
        assert_eq!(shown(Orientation::Rotate180), (3, 2, "fedcba".into()));
        assert_eq!(shown(Orientation::FlipVertical), (3, 2, "defabc".into()));
        assert_eq!(shown(Orientation::Transpose), (2, 3, "adbecf".into()));
        assert_eq!(shown(Orientation::Rotate90), (2, 3, "daebfc".into()));
        assert_eq!(shown(Orientation::Transverse), (2, 3, "fcebda".into()));
        assert_eq!(shown(Orientation::Rotate270), (2, 3, "cfbead".into()));
    }

    #[test]
    fn flatten_onto_background() {
        let p = Pixels {
            width: 2,
            height: 1,
            layout: Layout::Rgba,
            data: vec![0, 0, 0, 0, 10, 20, 30, 255],
        };
        let f = p.flatten([255, 255, 255]);
        assert_eq!(f.layout, Layout::Rgb);
        assert_eq!(f.data, vec![255, 255, 255, 10, 20, 30]);
    }

    #[test]
    fn opaque_alpha_is_dropped() {
        let img = image::RgbaImage::from_fn(3, 2, |x, y| {
            image::Rgba([x as u8, y as u8, (10 * x + y) as u8, 255])
        });
        let p = Pixels::from_dynamic(DynamicImage::ImageRgba8(img));
        assert_eq!(p.layout, Layout::Rgb);
        // Each pixel's colour, in order, without its alpha.
        let want: Vec<u8> = (0..2u8)
            .flat_map(|y| (0..3u8).flat_map(move |x| [x, y, 10 * x + y]))
            .collect();
        assert_eq!(p.data, want);
        // One pixel not opaque keeps the alpha.
        let mut img = image::RgbaImage::from_pixel(3, 2, image::Rgba([1, 2, 3, 255]));
        img.put_pixel(2, 1, image::Rgba([1, 2, 3, 254]));
        assert_eq!(
            Pixels::from_dynamic(DynamicImage::ImageRgba8(img)).layout,
            Layout::Rgba
        );
        let grey = image::GrayImage::from_pixel(3, 2, image::Luma([7]));
        assert_eq!(
            Pixels::from_dynamic(DynamicImage::ImageLuma8(grey)).layout,
            Layout::Gray
        );
    }

    #[test]
    fn photographs_and_drawings() {
        let flat = Pixels {
            width: 100,
            height: 100,
            layout: Layout::Rgb,
            data: vec![200; 30_000],
        };
        assert!(!flat.looks_photographic());
        let noise: Vec<u8> = (0..30_000u32)
            .map(|i| {
                let x = i.wrapping_mul(0x9E37_79B1);
                let x = (x ^ (x >> 15)).wrapping_mul(0x85EB_CA6B);
                (x ^ (x >> 13)) as u8
            })
            .collect();
        let photo = Pixels {
            width: 100,
            height: 100,
            layout: Layout::Rgb,
            data: noise,
        };
        assert!(photo.looks_photographic());
        // A smooth sky: no noise, but a colour per position (what a 5-bit count missed).
        let (w, h) = (1400u32, 1000u32);
        let sky = Pixels {
            width: w,
            height: h,
            layout: Layout::Rgb,
            data: (0..w * h)
                .flat_map(|i| {
                    let (x, y) = (i % w, i / w);
                    [(60 + x * 90 / w) as u8, (120 + y * 80 / h) as u8, 220]
                })
                .collect(),
        };
        assert!(sky.looks_photographic());
        // A page of anti-aliased text: white, black and 14 greys.
        let page = Pixels {
            width: w,
            height: h,
            layout: Layout::Gray,
            data: (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    if y % 24 < 14 && x % 11 < 7 {
                        ((x * 7 + y * 3) % 16 * 17) as u8
                    } else {
                        255
                    }
                })
                .collect(),
        };
        assert!(!page.looks_photographic());
    }
}
