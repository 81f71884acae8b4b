//! Property tests for every invariant of the fit rule and the cost math.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use visionprep_core::{
    CostOptions, PriceTable, Size, TierLimits, TokenRule, Usd, fit_target, fits, patches,
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
