//! Colour management: embedded ICC profiles converted to sRGB (the model reads no profile).

use super::pixels::{Layout, Pixels};

/// sRGB pixels (3 bytes each) for CMYK ink amounts (4 bytes each, 0 = no ink) described by
/// the CMYK ICC `profile`; `None` when the profile cannot be read or used.
pub(crate) fn cmyk_to_srgb(cmyk: &[u8], profile: &[u8]) -> Option<Vec<u8>> {
    let input = qcms::Profile::new_from_slice(profile, false)?;
    let output = qcms::Profile::new_sRGB();
    let transform = qcms::Transform::new_to(
        &input,
        &output,
        qcms::DataType::CMYK,
        qcms::DataType::RGB8,
        qcms::Intent::Perceptual,
    )?;
    let mut rgb = vec![0u8; cmyk.len() / 4 * 3];
    transform.convert(cmyk, &mut rgb);
    Some(rgb)
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
    let output = qcms::Profile::new_sRGB();
    let Some(transform) =
        qcms::Transform::new(&input, &output, data_type, qcms::Intent::Perceptual)
    else {
        return false;
    };
    // apply() needs whole pixels, which Pixels always holds.
    transform.apply(&mut pixels.data);
    true
}
