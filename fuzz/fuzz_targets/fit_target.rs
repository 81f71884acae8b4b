//! The fit rule's invariants for arbitrary sizes and tier numbers, and those of the budget
//! size and tile plans built on it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::{
    MinScale, Size, TierLimits, TokenRule, budget_target, fit_target, fits, plan_tiles,
};

fuzz_target!(|input: (u32, u32, u32, u32, u32, u64, u16, u16)| {
    let (w, h, edge, patches, patch, budget, scale, overlap) = input;
    let Ok(tier) = TierLimits::new(edge, patches, patch) else {
        return;
    };
    let size = Size::new(w, h);
    let t = fit_target(size, tier);
    if size.is_empty() {
        assert_eq!(t, size);
        return;
    }
    assert!(fits(t, tier));
    assert!(t.width <= w && t.height <= h && !t.is_empty());
    assert_eq!(fit_target(t, tier), t);
    if fits(size, tier) {
        assert_eq!(t, size);
    }
    for rule in [TokenRule::Area750, TokenRule::Patch28] {
        let b = budget_target(size, tier, rule, budget);
        assert!(!b.is_empty() && b.width <= t.width && b.height <= t.height);
        assert!(rule.tokens(b, tier) <= budget.max(1));
        assert!(fits(b, tier));
    }
    if let Some(min_scale) = MinScale::from_thousandths(scale % 1001)
        && let Ok(plan) = plan_tiles(
            size,
            tier,
            TokenRule::Area750,
            min_scale,
            u32::from(overlap),
        )
    {
        for tile in &plan.tiles {
            assert!(fits(tile.output, tier));
            assert!(tile.region.right() <= u64::from(w) && tile.region.bottom() <= u64::from(h));
        }
    }
});
