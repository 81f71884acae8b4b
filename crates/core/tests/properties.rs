//! Property tests for every invariant of the fit rule and the cost math.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use visionprep_core::{
    CostOptions, MinScale, PriceTable, Size, TierLimits, TokenRule, Usd, budget_target, fit_target,
    fits, patches, plan_tiles,
};

/// Sizes over the whole `u32` range, biased towards the interesting small and huge ones.
fn any_size() -> impl Strategy<Value = Size> {
    let edge = prop_oneof![
        1u32..=64,
        1u32..=20_000,
        1u32..=u32::MAX,
        (u32::MAX - 64)..=u32::MAX
    ];
    (edge.clone(), edge).prop_map(|(w, h)| Size::new(w, h))
}

/// Both API tiers, and arbitrary legal ones (the numbers are overridable).
fn any_tier() -> impl Strategy<Value = TierLimits> {
    prop_oneof![
        Just(TierLimits::STANDARD),
        Just(TierLimits::HIGH_RESOLUTION),
        (1u32..=64, 0u32..=10_000, 1u32..=100_000).prop_filter_map("legal", |(p, extra, n)| {
            TierLimits::new(p.saturating_add(extra), n, p).ok()
        }),
    ]
}

/// The short edge the rule pairs with `long`, computed independently in `u128`.
fn paired_short(long: u32, orig: Size) -> u32 {
    let (l0, s0) = (u128::from(orig.long_edge()), u128::from(orig.short_edge()));
    let num = u128::from(long) * s0;
    let (q, r) = (num / l0, num % l0);
    let rounded = if 2 * r > l0 || (2 * r == l0 && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    u32::try_from(rounded.max(1)).unwrap()
}

fn with_long(long: u32, orig: Size) -> Size {
    let short = paired_short(long, orig);
    if orig.width >= orig.height {
        Size::new(long, short)
    } else {
        Size::new(short, long)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn target_fits_never_upscales_never_zero(size in any_size(), tier in any_tier()) {
        let t = fit_target(size, tier);
        prop_assert!(fits(t, tier), "{size} -> {t} does not fit");
        prop_assert!(t.width <= size.width && t.height <= size.height, "{size} -> {t} upscales");
        prop_assert!(t.width >= 1 && t.height >= 1);
    }

    #[test]
    fn idempotent_and_fitting_sizes_unchanged(size in any_size(), tier in any_tier()) {
        let t = fit_target(size, tier);
        prop_assert_eq!(fit_target(t, tier), t);
        if fits(size, tier) {
            prop_assert_eq!(t, size);
        } else {
            prop_assert_ne!(t, size);
        }
    }

    #[test]
    fn target_is_maximal(size in any_size(), tier in any_tier()) {
        let t = fit_target(size, tier);
        if t != size {
            let long = t.long_edge();
            // The result is the rule's pair for its long edge...
            prop_assert_eq!(with_long(long, size), t);
            // ...and one pixel more on the long side does not fit.
            if long < size.long_edge() {
                prop_assert!(!fits(with_long(long + 1, size), tier));
            }
        }
    }

    #[test]
    fn aspect_kept_within_rounding(size in any_size(), tier in any_tier()) {
        let t = fit_target(size, tier);
        let (l0, s0) = (u128::from(size.long_edge()), u128::from(size.short_edge()));
        let (l, s) = if size.width >= size.height {
            (u128::from(t.width), u128::from(t.height))
        } else {
            (u128::from(t.height), u128::from(t.width))
        };
        // |s - l * s0 / l0| <= 1/2, unless clamped up to 1.
        let diff = (s * l0).abs_diff(l * s0);
        prop_assert!(2 * diff <= l0 || s == 1, "{size} -> {t}");
    }

    #[test]
    fn tokens_are_bounded_and_exact(size in any_size(), tier in any_tier()) {
        let t = fit_target(size, tier);
        let area = TokenRule::Area750.tokens(t, tier);
        prop_assert_eq!(u128::from(area), (u128::from(t.width) * u128::from(t.height)).div_ceil(750));
        let max_edge = u64::from(tier.max_edge());
        prop_assert!(area <= (max_edge * max_edge).div_ceil(750));
        let p = TokenRule::Patch28.tokens(t, tier);
        prop_assert_eq!(p, patches(t, tier));
        prop_assert!(p <= u64::from(tier.max_patches()));
        prop_assert!(p >= 1);
    }

    #[test]
    fn costs_are_exact_and_never_overflow(tokens in any::<u64>(), micros in 0u64..1_000_000_000) {
        let price = Usd::from_micros(micros); // price of one token
        let cost = price.times(tokens);
        let exact = price.atto().checked_mul(u128::from(tokens));
        prop_assert_eq!(cost.atto(), exact.unwrap_or(u128::MAX));
    }

    #[test]
    fn estimator_costs_match_the_table(size in any_size()) {
        let table = PriceTable::builtin();
        for model in table.models() {
            let tier = model.tier.limits();
            let tokens = TokenRule::Area750.tokens(fit_target(size, tier), tier);
            let cost = table.cost(model, tokens, &CostOptions::default());
            // input_per_mtok * tokens / 10^6, exactly
            prop_assert_eq!(cost.atto() * 1_000_000, model.input_per_mtok.atto() * u128::from(tokens));
        }
    }
}

/// The binary search agrees with a plain linear scan of every long edge.
#[test]
fn binary_search_equals_linear_scan() {
    let tiers = [
        TierLimits::STANDARD,
        TierLimits::HIGH_RESOLUTION,
        TierLimits::new(100, 7, 28).unwrap(),
    ];
    let mut checked = 0;
    for tier in tiers {
        for w in (1..=6000).step_by(37) {
            for h in (1..=6000).step_by(53) {
                let size = Size::new(w, h);
                let expect = if fits(size, tier) {
                    size
                } else {
                    // Nothing longer than max_edge can fit (padded edge), so start there.
                    let long = (1..size.long_edge().min(tier.max_edge() + 1))
                        .rev()
                        .find(|&l| fits(with_long(l, size), tier))
                        .unwrap();
                    with_long(long, size)
                };
                assert_eq!(fit_target(size, tier), expect, "{size}");
                checked += 1;
            }
        }
    }
    assert!(checked > 50_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Report paths are lossless: any name's text gives its bytes back.
    #[test]
    fn path_text_round_trips_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        let t = visionprep_core::PathText::escape(&bytes);
        if t.escaped {
            prop_assert!(std::str::from_utf8(&bytes).is_err());
            prop_assert_eq!(visionprep_core::PathText::unescape(&t.text), Some(bytes));
        } else {
            prop_assert_eq!(t.text.as_bytes(), &bytes[..]);
        }
    }
}

/// The tier's token cap under `rule`: what the largest image that fits can cost.
fn tier_cap(tier: TierLimits, rule: TokenRule) -> u64 {
    match rule {
        TokenRule::Patch28 => u64::from(tier.max_patches()),
        TokenRule::Area750 => {
            let edge = u64::from(tier.max_edge());
            let area = (edge * edge).min(u64::from(tier.max_patches()) * 784);
            area.div_ceil(750)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The budget size costs at most N, is maximal (one more pixel on the long edge breaks
    /// the budget, the tier or the original), keeps the aspect within rounding and fits.
    #[test]
    fn budget_size_is_the_largest_within_budget(
        size in any_size(),
        tier in prop_oneof![Just(TierLimits::STANDARD), Just(TierLimits::HIGH_RESOLUTION)],
        patch in any::<bool>(),
        frac in 0.0f64..=1.0,
    ) {
        let rule = if patch { TokenRule::Patch28 } else { TokenRule::Area750 };
        let n = ((tier_cap(tier, rule) as f64 * frac) as u64).max(1);
        let b = budget_target(size, tier, rule, n);
        let fit = fit_target(size, tier);
        prop_assert!(rule.tokens(b, tier) <= n, "{size} at {n}: {b}");
        prop_assert!(fits(b, tier));
        prop_assert!(b.width >= 1 && b.height >= 1);
        prop_assert!(b.width <= fit.width && b.height <= fit.height);
        prop_assert_eq!(b, with_long(b.long_edge(), size), "aspect kept: {} -> {}", size, b);
        if b != fit {
            let next = with_long(b.long_edge() + 1, size);
            prop_assert!(
                rule.tokens(next, tier) > n || !fits(next, tier) || b.long_edge() >= size.long_edge(),
                "{size} at {n}: {b}, yet {next} is within budget"
            );
        }
    }
}

#[test]
fn budget_of_every_cap_on_a_few_sizes() {
    // Exhaustive over N for a few shapes: the size never shrinks as N grows.
    for size in [
        Size::new(4032, 3024),
        Size::new(1170, 8000),
        Size::new(640, 480),
    ] {
        for tier in [TierLimits::STANDARD, TierLimits::HIGH_RESOLUTION] {
            for rule in [TokenRule::Area750, TokenRule::Patch28] {
                let mut last = Size::new(0, 0);
                for n in 1..=tier_cap(tier, rule) {
                    let b = budget_target(size, tier, rule, n);
                    assert!(b.long_edge() >= last.long_edge(), "{size} {rule} {n}");
                    assert!(rule.tokens(b, tier) <= n);
                    last = b;
                }
                assert_eq!(last, fit_target(size, tier));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Tiles cover the image exactly (every pixel in a tile, none outside), neighbours overlap
    /// by at least the overlap asked, each fits the tier, none is shrunk more than the minimum
    /// scale, and points map back to within 1 px.
    #[test]
    fn tiles_cover_fit_and_map_back(
        w in 1u32..=8000,
        h in 1u32..=8000,
        tier in prop_oneof![Just(TierLimits::STANDARD), Just(TierLimits::HIGH_RESOLUTION)],
        scale in 100u16..=1000,
        overlap in prop_oneof![Just(0u32), 0u32..=200],
    ) {
        let size = Size::new(w, h);
        let min_scale = MinScale::from_thousandths(scale).unwrap();
        // Within 8000 px no grid needs more than 100 tiles (8000 / (1092 - 200) < 10).
        let plan = plan_tiles(size, tier, TokenRule::Area750, min_scale, overlap);
        prop_assert!(plan.is_ok(), "{size} refused at {min_scale}: {plan:?}");
        let plan = plan.unwrap();
        prop_assert_eq!(plan.tiles.len() as u32, plan.columns * plan.rows);
        for t in &plan.tiles {
            prop_assert!(fits(t.output, tier));
            prop_assert_eq!(t.output, fit_target(t.region.size(), tier));
            prop_assert!(t.region.right() <= u64::from(w) && t.region.bottom() <= u64::from(h));
            if plan.is_tiled() {
                prop_assert!(min_scale.allows_size(t.region.size(), t.output), "{t:?}");
            }
            let map = t.coord_map(size);
            for (x, y) in [(0.0, 0.0), (f64::from(t.output.width), f64::from(t.output.height)),
                           (f64::from(t.output.width) / 3.0, f64::from(t.output.height) / 2.0)] {
                let (ox, oy) = map.to_original(x, y);
                let ex = f64::from(t.region.x) + x * f64::from(t.region.width) / f64::from(t.output.width);
                let ey = f64::from(t.region.y) + y * f64::from(t.region.height) / f64::from(t.output.height);
                prop_assert!((ox - ex).abs() <= 1.0 && (oy - ey).abs() <= 1.0);
                let (rx, ry) = map.to_resized(ox, oy);
                prop_assert!((rx - x).abs() <= 1e-6 * (1.0 + x) && (ry - y).abs() <= 1e-6 * (1.0 + y));
            }
        }
        // Columns and rows: each starts where the last one ended, less an overlap of at least
        // `overlap`; the first starts at 0, the last ends at the edge.
        for (n, starts, span, total) in [
            (plan.columns, plan.tiles.iter().take(plan.columns as usize).map(|t| t.region.x).collect::<Vec<_>>(), plan.tiles[0].region.width, w),
            (plan.rows, plan.tiles.iter().step_by(plan.columns as usize).map(|t| t.region.y).collect::<Vec<_>>(), plan.tiles[0].region.height, h),
        ] {
            prop_assert_eq!(starts.len() as u32, n);
            prop_assert_eq!(starts[0], 0);
            prop_assert_eq!(starts[starts.len() - 1] + span, total);
            for pair in starts.windows(2) {
                prop_assert!(pair[1] > pair[0], "tiles advance");
                prop_assert!(pair[0] + span >= pair[1] + overlap, "overlap {} asked, {:?} span {}", overlap, pair, span);
            }
        }
        // Exact cover, checked on a grid of sample points (every pixel of small images).
        let step = (w.max(h) / 97).max(1);
        for y in (0..h).step_by(step as usize).chain([h - 1]) {
            for x in (0..w).step_by(step as usize).chain([w - 1]) {
                prop_assert!(plan.tiles.iter().any(|t| x >= t.region.x && u64::from(x) < t.region.right()
                    && y >= t.region.y && u64::from(y) < t.region.bottom()), "({x},{y}) uncovered");
            }
        }
    }
}
