//! Image tokens: what the API bills for an image of a given size.
//!
//! Two exact rules exist (SPEC section 4). [`TokenRule::Area750`] is the guide's
//! `ceil(w * h / 750)` and this project's default; [`TokenRule::Patch28`] is one token per
//! patch, which Anthropic's current pages give and `count_tokens` confirms. Both are applied to
//! the size *after* the API's resize ([`crate::fit_target`]).

use crate::geometry::{Size, TierLimits, patches};
use std::fmt;
use std::str::FromStr;

/// The pixel area one token stands for under [`TokenRule::Area750`].
pub const AREA_PER_TOKEN: u64 = 750;

/// How tokens are counted from an image size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum TokenRule {
    /// `ceil(w * h / 750)`: the guide's formula. Default.
    #[default]
    Area750,
    /// One token per patch: `ceil(w / 28) * ceil(h / 28)`.
    Patch28,
}

impl TokenRule {
    /// Tokens for an image the model sees at `size` (already fitted to the tier).
    ///
    /// ```
    /// use visionprep_core::{Size, TierLimits, TokenRule};
    /// let s = TierLimits::STANDARD;
    /// assert_eq!(TokenRule::Area750.tokens(Size::new(1000, 1000), s), 1334);
    /// assert_eq!(TokenRule::Patch28.tokens(Size::new(1000, 1000), s), 1296);
    /// ```
    pub const fn tokens(self, size: Size, limits: TierLimits) -> u64 {
        match self {
            TokenRule::Area750 => size.area().div_ceil(AREA_PER_TOKEN),
            TokenRule::Patch28 => patches(size, limits),
        }
    }

    /// The name used on the command line and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenRule::Area750 => "area750",
            TokenRule::Patch28 => "patch28",
        }
    }
}

impl fmt::Display for TokenRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token rule name that is neither `area750` nor `patch28`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token rule {0:?} (expected area750 or patch28)")]
pub struct UnknownTokenRule(pub String);

impl FromStr for TokenRule {
    type Err = UnknownTokenRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "area750" | "area" => Ok(TokenRule::Area750),
            "patch28" | "patch" | "patches" => Ok(TokenRule::Patch28),
            _ => Err(UnknownTokenRule(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_and_current_examples() {
        let s = TierLimits::STANDARD;
        for (w, area, patch) in [(200, 54, 64), (1000, 1334, 1296), (1092, 1590, 1521)] {
            let size = Size::new(w, w);
            assert_eq!(TokenRule::Area750.tokens(size, s), area, "{size}");
            assert_eq!(TokenRule::Patch28.tokens(size, s), patch, "{size}");
        }
        let fitted = crate::fit_target(Size::new(1920, 1080), s);
        assert_eq!(TokenRule::Patch28.tokens(fitted, s), 1560);
        let high = TierLimits::HIGH_RESOLUTION;
        let fitted = crate::fit_target(Size::new(1920, 1080), high);
        assert_eq!(TokenRule::Patch28.tokens(fitted, high), 2691);
    }

    #[test]
    fn parses_names() {
        assert_eq!("area750".parse(), Ok(TokenRule::Area750));
        assert_eq!(" PATCH28 ".parse(), Ok(TokenRule::Patch28));
        assert!("tokens".parse::<TokenRule>().is_err());
        assert_eq!(TokenRule::default(), TokenRule::Area750);
    }

    #[test]
    fn extreme_sizes_do_not_overflow() {
        let s = TierLimits::STANDARD;
        let max = Size::new(u32::MAX, u32::MAX);
        assert_eq!(TokenRule::Area750.tokens(max, s), max.area().div_ceil(750));
        assert!(TokenRule::Patch28.tokens(max, s) > 0);
    }
}
