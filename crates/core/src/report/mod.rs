//! Estimates and reports: what an image costs on each model, what is wrong with it, and the
//! totals over many images. These are the types behind `visionprep cost --format json`.

mod estimate;
mod path;
mod problems;
mod rows;

pub use estimate::{
    Allowance, Estimator, ModelBudget, ModelEstimate, SMALL_EDGE, Sized, TierTable, TileEstimate,
};
pub use path::PathText;
pub use problems::{ErrorCode, ImageFacts, ProblemCode, UnknownErrorCode, size_problems};
pub use rows::{Amount, FileReport, ModelMap, ModelTotals, ReportError, Totals};

use crate::budget::{FolderBudget, SizeDistribution, SizeSet, budget_target, folder_budget};
use crate::geometry::{Size, Tier, TierLimits, fit_target};
use crate::limits::{RequestLimits, base64_len};
use crate::media::Format;
use crate::money::Usd;
use crate::orientation::Orientation;
use crate::pricing::{CostOptions, ModelPrice, PriceError, PriceTable};
use crate::tiles::{MinScale, TilePlan, plan_tiles};
use crate::tokens::TokenRule;
use std::fmt;

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(format: Format, w: u32, h: u32) -> ImageFacts<'static> {
        ImageFacts {
            format,
            stored: Size::new(w, h),
            orientation: Orientation::Normal,
            animated: false,
            bytes: 1000,
            extension: None,
            truncated: false,
        }
    }

    #[test]
    fn problems_in_order() {
        let limits = RequestLimits::portable();
        assert!(facts(Format::Jpeg, 1000, 800).problems(&limits).is_empty());
        let mut f = facts(Format::Tiff, 9000, 150);
        f.extension = Some("png");
        f.animated = true;
        f.orientation = Orientation::Rotate90;
        f.bytes = 4_000_000;
        assert_eq!(
            f.problems(&limits),
            vec![
                ProblemCode::UnsupportedFormat,
                ProblemCode::ExtensionMismatch,
                ProblemCode::OverMaxSide,
                ProblemCode::Under200px,
                ProblemCode::OverByteLimit,
                ProblemCode::Animated,
                ProblemCode::ExifRotated,
            ]
        );
        f.extension = Some("bin");
        assert!(
            !f.problems(&limits)
                .contains(&ProblemCode::ExtensionMismatch)
        );
        f.extension = Some("TIF");
        assert!(
            !f.problems(&limits)
                .contains(&ProblemCode::ExtensionMismatch)
        );
        // 8000 is allowed, 8001 is not; the displayed size counts.
        assert!(facts(Format::Png, 8000, 300).problems(&limits).is_empty());
        let mut turned = facts(Format::Png, 300, 8001);
        assert_eq!(turned.problems(&limits), vec![ProblemCode::OverMaxSide]);
        turned.orientation = Orientation::Rotate270;
        assert_eq!(turned.displayed(), Size::new(8001, 300));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn totals_add_up_exactly() {
        let table = PriceTable::builtin();
        let est = Estimator::new(&table, &["sonnet-4.5", "opus-4.7"], TokenRule::Area750).unwrap();
        let mut totals = Totals::new(est.models());
        let file = |w, h, error: Option<ReportError>| FileReport {
            path: "x".into(),
            path_escaped: false,
            media_type: Some("image/png"),
            format: Some("PNG"),
            bytes: 10,
            width: Some(w),
            height: Some(h),
            models: ModelMap(
                est.models()
                    .iter()
                    .map(|m| m.id.clone())
                    .zip(est.estimate(Size::new(w, h)))
                    .collect(),
            ),
            problems: vec![],
            error,
        };
        totals.add(&file(200, 200, None));
        totals.add(&file(1000, 1000, None));
        totals.add(&file(
            1,
            1,
            Some(ReportError {
                code: ErrorCode::Corrupt,
                message: "x".into(),
            }),
        ));
        assert_eq!(
            (totals.files, totals.images, totals.errors, totals.bytes),
            (3, 2, 1, 30)
        );
        let (id, sonnet) = &totals.models.0[0];
        assert_eq!(id, "claude-sonnet-4-5");
        assert_eq!(sonnet.tokens, 54 + 1334);
        assert_eq!(sonnet.usd.to_string(), "0.004164");
        assert_eq!(totals.per_1000_images(sonnet).to_string(), "2.082");
        let json = serde_json::to_value(&totals).unwrap();
        assert_eq!(
            json["models"]["claude-sonnet-4-5"]["usd_per_1000_images"],
            2.082
        );
        assert_eq!(json["models"]["claude-opus-4-7"]["tokens"], 54 + 1334);
    }
}
