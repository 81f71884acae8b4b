//! JPEG XL decoding with jxl-oxide (pure Rust, always built): the first keyframe, turned
//! upright by the codestream's orientation, in sRGB (XYB and enumerated colour encodings are
//! converted by the decoder; an embedded ICC profile is left to the ICC step, as for PNG).

use super::PrepareError;
use super::decode::Decoded;
use super::pixels::Layout;
use crate::limits::Limits;
use jxl_oxide::{AllocTracker, EnumColourEncoding, JxlImage, JxlThreadPool, RenderingIntent};
use visionprep_core::{Format, Orientation, Size};

const FORMAT: Format = Format::JpegXl;

/// A jxl-oxide error by its kind, found down its chain of sources: the input ending early,
/// the allocation budget spent, or damage.
fn failed(e: Box<dyn std::error::Error + Send + Sync>) -> PrepareError {
    let reason = e.to_string();
    let mut at: Option<&(dyn std::error::Error + 'static)> = Some(&*e);
    while let Some(err) = at {
        let eof = err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
        let incomplete = matches!(
            err.downcast_ref::<jxl_render::Error>(),
            Some(jxl_render::Error::IncompleteFrame)
        );
        if eof || incomplete {
            return PrepareError::data_ends(FORMAT);
        }
        if err.downcast_ref::<jxl_grid::OutOfMemory>().is_some() {
            return PrepareError::MemoryLimit {
                format: FORMAT,
                reason,
            };
        }
        at = err.source();
    }
    PrepareError::Corrupt {
        format: FORMAT,
        reason,
    }
}

/// Decodes the first keyframe of a JPEG XL file (bare codestream or container), upright.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, PrepareError> {
    // The decoder's buffers are counted against 16 bytes a pixel of the limit (its planes are
    // 32-bit floats or integers, one per channel, alpha included).
    let budget = usize::try_from(limits.max_pixels.saturating_mul(16)).unwrap_or(usize::MAX);
    let mut uninit = JxlImage::builder()
        // One image per thread: the folder runs images in parallel, not one image's groups.
        .pool(JxlThreadPool::none())
        .alloc_tracker(AllocTracker::with_limit(budget))
        .build_uninit();
    uninit.feed_bytes(bytes).map_err(failed)?;
    let mut image = match uninit.try_init().map_err(failed)? {
        jxl_oxide::InitializeResult::Initialized(image) => image,
        jxl_oxide::InitializeResult::NeedMoreData(_) => {
            return Err(PrepareError::data_ends(FORMAT));
        }
    };
    // Upright size, then the stored one (the orientation swaps it for 5-8).
    let upright = Size::new(image.width(), image.height());
    let orientation = Orientation::from_exif(image.image_header().metadata.orientation as u16)
        .unwrap_or(Orientation::Normal);
    let declared = if orientation.swaps_dimensions() {
        upright.transposed()
    } else {
        upright
    };
    super::decode::check_declared(FORMAT, declared, limits)?;
    // The whole file is here: a keyframe still loading means the data ends early.
    if image.feed_bytes(&[]).is_err() || image.num_loaded_keyframes() == 0 {
        if !image.is_loading_done() {
            return Err(PrepareError::data_ends(FORMAT));
        }
        return Err(PrepareError::Corrupt {
            format: FORMAT,
            reason: "no frame in the file".into(),
        });
    }
    let icc = image.original_icc().map(<[u8]>::to_vec);
    if icc.is_none() {
        image.request_color_encoding(EnumColourEncoding::srgb(RenderingIntent::Perceptual));
    }
    let render = image.render_frame(0).map_err(failed)?;
    let mut stream = render.stream();
    let (w, h, channels) = (stream.width(), stream.height(), stream.channels());
    let (layout, from) = match channels {
        1 => (Layout::Gray, 1),
        2 => (Layout::Rgba, 2),
        3 => (Layout::Rgb, 3),
        4 => (Layout::Rgba, 4),
        n => {
            return Err(PrepareError::Unsupported {
                format: FORMAT,
                reason: format!("{n} colour channels (CMYK JPEG XL)"),
            });
        }
    };
    if Size::new(w, h) != upright {
        return Err(PrepareError::Corrupt {
            format: FORMAT,
            reason: format!("the frame renders to {w}x{h}, not {upright}"),
        });
    }
    let mut raw = vec![0u8; w as usize * h as usize * from];
    let written = stream.write_to_buffer(&mut raw);
    if written != raw.len() {
        return Err(PrepareError::Corrupt {
            format: FORMAT,
            reason: "short pixel data".into(),
        });
    }
    // Grey with alpha becomes RGBA (the pipeline has no grey-alpha layout).
    let data = if from == 2 {
        raw.chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect()
    } else {
        raw
    };
    // The stream is already upright.
    Ok(Decoded::new(
        (w, h, layout),
        data,
        declared,
        Orientation::Normal,
        icc,
    ))
}
