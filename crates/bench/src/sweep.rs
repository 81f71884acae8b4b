//! The input-size sweep: synthetic photo-like JPEGs of given megapixels, one thread, so that
//! the time per image of each stage can be read against the input size.

use super::run::BenchOptions;
use super::stats::{median, ms};
use super::{BenchError, BenchInput};
use serde::Serialize;
use visionprep::prepare::{Preparer, Stage};

/// One input size's times, one thread.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    /// The megapixels asked for.
    pub megapixels: f64,
    /// The synthetic image's width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// What it was prepared to (the model's target).
    pub output_width: u32,
    /// Height of the output.
    pub output_height: u32,
    /// Median milliseconds of each stage that ran, in pipeline order (`stage`, `ms`).
    pub stages: Vec<(&'static str, f64)>,
    /// Median milliseconds of the whole `prepare`.
    pub prepare_ms: f64,
    /// Input megapixels per second, one thread.
    pub megapixels_per_second: f64,
}

/// A photo-like baseline JPEG (quality 90, 4:3) of about `megapixels`: smooth gradients with
/// fine texture and some edges, deterministic, so that the decoder, the resizer and the
/// encoder do the work they do on a photograph (a flat image would flatter all three).
pub fn synthetic_photo(megapixels: f64) -> Result<Vec<u8>, BenchError> {
    if !(megapixels.is_finite() && (0.01..=200.0).contains(&megapixels)) {
        return Err(BenchError::Options(format!(
            "a sweep size of {megapixels} MP is out of range (0.01 to 200)"
        )));
    }
    let width = (megapixels * 1e6 * 4.0 / 3.0).sqrt().round().max(1.0) as u32;
    let height = (f64::from(width) * 3.0 / 4.0).round().max(1.0) as u32;
    let mut data = vec![0u8; width as usize * height as usize * 3];
    let mut noise = 0x2545_f491_4f6c_dd1d_u64;
    for (i, px) in data.chunks_exact_mut(3).enumerate() {
        let (x, y) = ((i % width as usize) as f64, (i / width as usize) as f64);
        let (u, v) = (x / f64::from(width), y / f64::from(height));
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        let grain = (noise % 17) as f64 - 8.0;
        // Broad light, a sky-to-ground gradient, a few hard-edged shapes and grain.
        let shape = if ((x / 97.0).floor() + (y / 61.0).floor()) % 5.0 == 0.0 {
            40.0
        } else {
            0.0
        };
        let wave = 30.0 * ((u * 23.0).sin() * (v * 17.0).cos());
        px[0] = (90.0 + 120.0 * v + wave + shape + grain).clamp(0.0, 255.0) as u8;
        px[1] = (110.0 + 80.0 * u - wave + grain).clamp(0.0, 255.0) as u8;
        px[2] = (170.0 - 110.0 * v + shape * 0.5 + grain).clamp(0.0, 255.0) as u8;
    }
    encode_jpeg(&data, width, height)
        .map_err(|e| BenchError::Options(format!("cannot make the {megapixels} MP image: {e}")))
}

/// Baseline JPEG at quality 90, 4:2:0 with averaged chroma: what `prepare` writes for a photo.
fn encode_jpeg(
    rgb: &[u8],
    width: u32,
    height: u32,
) -> Result<Vec<u8>, jpeg_encoder::EncodingError> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
    // The sweep's sizes (at most 200 MP, 4:3) keep both sides under 65,535.
    let (w, h) = (width.min(65_535) as u16, height.min(65_535) as u16);
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 90);
    enc.set_sampling_factor(SamplingFactor::R_4_2_0);
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    enc.encode(rgb, w, h, ColorType::Rgb)?;
    Ok(out)
}

/// Times `prepare` of a synthetic photo of each size in `megapixels`, on one thread: a warm-up,
/// then `options.repeat` passes (each of several images for small sizes, so that every row
/// rests on at least 12 MP of work).
pub(crate) fn sweep(
    megapixels: &[f64],
    options: &BenchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<SweepRow>, BenchError> {
    if options.repeat == 0 {
        return Err(BenchError::Options("--repeat must be at least 1".into()));
    }
    let mut rows = Vec::new();
    let mut preparer = Preparer::new();
    for &mp in megapixels {
        progress(&format!("size sweep: {mp} MP"));
        let bytes = synthetic_photo(mp)?;
        let input =
            BenchInput::from_bytes(format!("synthetic {mp} MP"), bytes, &options.prepare.limits)
                .map_err(|e| BenchError::Options(format!("the {mp} MP image: {e}")))?;
        let per_pass = (12.0 / mp).ceil().clamp(1.0, 12.0) as usize;
        let once = |p: &mut Preparer| super::run::time_one(p, &input, &options.prepare);
        let (_, prepared) = once(&mut preparer)
            .map_err(|e| BenchError::Options(format!("the {mp} MP image: {e}")))?;
        let mut samples = Vec::new();
        for _ in 0..options.repeat * per_pass {
            if let Ok((s, _)) = once(&mut preparer) {
                samples.push(s);
            }
        }
        let mut whole: Vec<f64> = samples.iter().map(|s| ms(s.whole)).collect();
        let prepare_ms = median(&mut whole).unwrap_or(0.0);
        let stages = Stage::ALL
            .iter()
            .filter_map(|&stage| {
                median(&mut super::stage_ms(&samples, stage)).map(|m| (stage.name(), m))
            })
            .collect();
        let shown = input.probe.displayed();
        rows.push(SweepRow {
            megapixels: mp,
            width: shown.width,
            height: shown.height,
            output_width: prepared.output_size.width,
            output_height: prepared.output_size.height,
            stages,
            prepare_ms,
            megapixels_per_second: if prepare_ms > 0.0 {
                input.megapixels() / prepare_ms * 1e3
            } else {
                0.0
            },
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_photos_have_the_size_asked_and_look_like_photos() {
        let bytes = synthetic_photo(0.3).unwrap_or_default();
        let probe = visionprep::probe_bytes(&bytes, &visionprep::Limits::default());
        let probe = probe.map_err(|e| e.to_string());
        let size = probe.map(|p| (p.stored.width, p.stored.height));
        assert_eq!(size, Ok((632, 474)));
        // Photo-like: JPEG at q90 of it is far from a flat image's size.
        assert!(bytes.len() > 30_000, "{}", bytes.len());
        assert!(synthetic_photo(0.0).is_err());
        assert!(synthetic_photo(f64::NAN).is_err());
        assert!(synthetic_photo(500.0).is_err());
    }
}
