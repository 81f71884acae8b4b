//! Colour management: embedded ICC profiles converted to sRGB (the model reads no profile).

use super::pixels::{Layout, Pixels};

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
