//! Colour management: embedded ICC profiles converted to sRGB (the model reads no profile).

use super::pixels::{Layout, Pixels};

/// sRGB pixels (3 bytes each) for CMYK ink amounts (4 bytes each, 0 = no ink) described by
/// the CMYK ICC `profile`; `None` when the profile cannot be read or used.
pub(crate) fn cmyk_to_srgb(cmyk: &[u8], profile: &[u8]) -> Option<Vec<u8>> {
    let input = qcms::Profile::new_from_slice(profile, false)?;
    let transform = qcms::Transform::new_to(
        &input,
        srgb_output(),
        qcms::DataType::CMYK,
        qcms::DataType::RGB8,
        qcms::Intent::Perceptual,
    )?;
    let mut rgb = vec![0u8; cmyk.len() / 4 * 3];
    transform.convert(cmyk, &mut rgb);
    Some(rgb)
}

/// Converts decoded `pixels` to sRGB from what the file said of its colour: its ICC profile,
/// else its CICP code points; `already` when the decoder converted them itself (CMYK).
/// Whether the pixels are (now) converted.
pub(crate) fn convert(
    pixels: &mut Pixels,
    icc: Option<&[u8]>,
    cicp: Option<(u16, u16)>,
    already: bool,
) -> bool {
    match (icc, cicp) {
        (Some(icc), _) => to_srgb(pixels, icc),
        (None, Some((primaries, transfer))) => cicp_to_srgb(pixels, primaries, transfer),
        (None, None) => already,
    }
}

/// Converts RGB(A) pixels described by the ICC `profile` to sRGB in place. Returns whether
/// anything was converted: not for sRGB itself, grey pixels, non-RGB profiles (a CMYK
/// profile describes data the decoder already turned into RGB), or a profile that cannot be
/// read (damaged metadata must not make an image fail).
pub(crate) fn to_srgb(pixels: &mut Pixels, profile: &[u8]) -> bool {
    let data_type = match pixels.layout {
        Layout::Rgb => qcms::DataType::RGB8,
        Layout::Rgba => qcms::DataType::RGBA8,
        Layout::Gray => return false,
    };
    let Some(input) = qcms::Profile::new_from_slice(profile, false) else {
        return false;
    };
    if input.is_sRGB() {
        return false;
    }
    apply(pixels, data_type, &input)
}

/// The sRGB output profile, made once per process with its output tables precomputed: with
/// them qcms converts through 8192-entry tables with SIMD (SSE2/AVX/NEON), without them it
/// inverts the sRGB curve for every pixel with floating point, about 10x slower (44 ms for
/// a 1.2 MP image, as much as the decode, resize and encode together).
fn srgb_output() -> &'static qcms::Profile {
    static SRGB: std::sync::OnceLock<Box<qcms::Profile>> = std::sync::OnceLock::new();
    SRGB.get_or_init(|| {
        let mut profile = qcms::Profile::new_sRGB();
        profile.precache_output_transform();
        profile
    })
}

/// Converts `pixels` (of `data_type`) from the `input` profile to sRGB in place.
fn apply(pixels: &mut Pixels, data_type: qcms::DataType, input: &qcms::Profile) -> bool {
    let output = srgb_output();
    let Some(transform) = qcms::Transform::new(input, output, data_type, qcms::Intent::Perceptual)
    else {
        return false;
    };
    // apply() needs whole pixels, which Pixels always holds.
    transform.apply(&mut pixels.data);
    true
}

/// Converts RGB(A) pixels whose colour is described by CICP code points (HEIF's `nclx`, AV1's
/// sequence header) to sRGB in place: Display P3 and BT.2020 primaries with an SDR transfer
/// (sRGB, BT.709, BT.601, BT.2020) are converted; BT.709 primaries are sRGB already; HDR
/// transfers (PQ, HLG) and unknown primaries are left as decoded. Returns whether anything
/// was converted.
#[cfg_attr(not(feature = "heif-decoder"), allow(dead_code))]
pub(crate) fn cicp_to_srgb(pixels: &mut Pixels, primaries: u16, transfer: u16) -> bool {
    use qcms::{CIE_xyY, CIE_xyYTRIPLE};
    let xy = |x, y| CIE_xyY { x, y, Y: 1.0 };
    let d65 = xy(0.3127, 0.3290);
    let (white, triple) = match primaries {
        // SMPTE EG 432-1: Display P3, the iPhone's.
        12 => (
            d65,
            CIE_xyYTRIPLE {
                red: xy(0.680, 0.320),
                green: xy(0.265, 0.690),
                blue: xy(0.150, 0.060),
            },
        ),
        // BT.2020 / BT.2100.
        9 => (
            d65,
            CIE_xyYTRIPLE {
                red: xy(0.708, 0.292),
                green: xy(0.170, 0.797),
                blue: xy(0.131, 0.046),
            },
        ),
        _ => return false,
    };
    // SDR transfers only: 1 and 6 (BT.709/601), 13 (sRGB), 14 and 15 (BT.2020), 2 unspecified.
    if !matches!(transfer, 1 | 2 | 6 | 13 | 14 | 15) {
        return false;
    }
    let data_type = match pixels.layout {
        Layout::Rgb => qcms::DataType::RGB8,
        Layout::Rgba => qcms::DataType::RGBA8,
        Layout::Gray => return false,
    };
    // The sRGB curve as a table (the SDR transfers above differ from it by less than a level).
    let table: Vec<u16> = (0..1024u32)
        .map(|i| {
            let v = f64::from(i) / 1023.0;
            let linear = if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            };
            (linear * 65535.0).round() as u16
        })
        .collect();
    let Some(input) = qcms::Profile::new_rgb_with_table(white, triple, &table) else {
        return false;
    };
    apply(pixels, data_type, &input)
}
