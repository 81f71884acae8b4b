//! EXIF orientation: how stored pixels must be turned to be seen upright.

use crate::geometry::Size;
use std::fmt;

/// The eight EXIF orientations (tag 0x0112). The model reads no metadata, so a photo stored
/// sideways with an orientation tag is seen sideways unless the turn is applied to the pixels
/// (SPEC section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[repr(u8)]
pub enum Orientation {
    /// 1: stored upright.
    #[default]
    Normal = 1,
    /// 2: mirrored left to right.
    FlipHorizontal = 2,
    /// 3: upside down.
    Rotate180 = 3,
    /// 4: mirrored top to bottom.
    FlipVertical = 4,
    /// 5: mirrored along the main diagonal (transposed).
    Transpose = 5,
    /// 6: must be turned 90 degrees clockwise to be upright.
    Rotate90 = 6,
    /// 7: mirrored along the anti-diagonal (transversed).
    Transverse = 7,
    /// 8: must be turned 90 degrees anticlockwise (270 clockwise) to be upright.
    Rotate270 = 8,
}

impl Orientation {
    /// The orientation of an EXIF value; values outside 1-8 (seen in the wild) are `None`,
    /// which readers treat as upright.
    pub const fn from_exif(value: u16) -> Option<Orientation> {
        Some(match value {
            1 => Orientation::Normal,
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => return None,
        })
    }

    /// The EXIF value, 1 to 8.
    pub const fn exif_value(self) -> u8 {
        self as u8
    }

    /// Whether the turn exchanges width and height (orientations 5 to 8).
    pub const fn swaps_dimensions(self) -> bool {
        (self as u8) >= 5
    }

    /// The size an image stored at `stored` is seen at once upright.
    pub const fn displayed(self, stored: Size) -> Size {
        if self.swaps_dimensions() {
            stored.transposed()
        } else {
            stored
        }
    }

    /// Whether pixels must change for the image to be seen as intended.
    pub const fn is_identity(self) -> bool {
        matches!(self, Orientation::Normal)
    }
}

impl fmt::Display for Orientation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.exif_value())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Orientation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.exif_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_sizes() {
        for v in 1..=8u16 {
            let o = Orientation::from_exif(v).unwrap();
            assert_eq!(u16::from(o.exif_value()), v);
            let d = o.displayed(Size::new(40, 30));
            assert_eq!(d == Size::new(30, 40), v >= 5);
        }
        assert_eq!(Orientation::from_exif(0), None);
        assert_eq!(Orientation::from_exif(9), None);
        assert!(Orientation::default().is_identity());
    }
}
