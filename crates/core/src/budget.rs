//! Token budgets: the largest size an image may keep for a given number of tokens, and the
//! largest per-image cap a whole set of images can have within a total.
//!
//! The fit rule ([`fit_target`]) gives the largest size the API keeps, which is also the most
//! expensive one. A budget trades resolution for tokens the same exact way: the shape rule is
//! the fit rule's (the long edge chosen, the short edge `max(round(long / aspect), 1)` with
//! half-to-even rounding), and a binary search on the long edge finds the largest size whose
//! tokens under the chosen [`TokenRule`] are within the budget. Integer arithmetic throughout,
//! so every `u32` size is handled exactly.

use crate::geometry::{Size, TierLimits, fit_target, oriented as shaped, short_for};
use crate::report::SMALL_EDGE;
use crate::tokens::TokenRule;

/// The largest size with `size`'s aspect ratio that the API keeps unresized for `limits` and
/// whose tokens under `rule` are at most `budget`: the size to prepare an image at for a
/// per-image token budget.
///
/// Never larger than [`fit_target`] (so never upscaled), never an empty edge for a non-empty
/// input, and maximal: one more pixel on its long edge would cost more than `budget`, not fit
/// the tier, or exceed the input. A budget of 0 is treated as 1 (a 1x1 image costs one token
/// under both rules). A size with a zero edge is returned unchanged.
///
/// ```
/// use visionprep_core::{budget_target, Size, TierLimits, TokenRule};
/// let s = TierLimits::STANDARD;
/// // A 12 MP photo at 800 tokens instead of the fit rule's 1,613.
/// let sized = budget_target(Size::new(4032, 3024), s, TokenRule::Area750, 800);
/// assert_eq!(sized, Size::new(894, 670));
/// assert!(TokenRule::Area750.tokens(sized, s) <= 800);
/// // A budget above what the image costs changes nothing.
/// assert_eq!(budget_target(Size::new(800, 600), s, TokenRule::Area750, 5000), Size::new(800, 600));
/// ```
pub const fn budget_target(size: Size, limits: TierLimits, rule: TokenRule, budget: u64) -> Size {
    let fit = fit_target(size, limits);
    within_fit(size, fit, rule.tokens(fit, limits), limits, rule, budget)
}

/// [`budget_target`] for an image whose fit target `fit` (and its tokens) are known.
const fn within_fit(
    size: Size,
    fit: Size,
    fit_tokens: u64,
    limits: TierLimits,
    rule: TokenRule,
    budget: u64,
) -> Size {
    let budget = if budget == 0 { 1 } else { budget };
    if size.is_empty() || fit_tokens <= budget {
        return fit;
    }
    let landscape = size.width >= size.height;
    let (orig_long, orig_short) = (size.long_edge(), size.short_edge());
    // Invariant: the size for `lo` is within the budget, the one for `hi + 1` is not. Tokens
    // grow with the long edge (both edges do), and the fit target's long edge is over budget.
    // A long edge of 1 gives 1x1: one token.
    let mut lo: u32 = 1;
    let mut hi: u32 = fit.long_edge() - 1;
    // Start near the answer: the continuous solution, long = sqrt(k B l / s) (k = 750 px per
    // token, or 28 x 28 per patch), bracketed and checked; the whole range when it is off.
    let (k, slack) = match rule {
        TokenRule::Area750 => (crate::tokens::AREA_PER_TOKEN as u128, 2u128),
        TokenRule::Patch28 => {
            let p = limits.patch_size() as u128;
            (p * p, 2 * p)
        }
    };
    let guess = isqrt(budget as u128 * k * orig_long as u128 / orig_short as u128);
    // Under the patch rule the padding makes tokens larger than the area says: the answer is
    // at most the guess, and rarely much below it.
    let (a, b) = match rule {
        TokenRule::Area750 => (guess.saturating_sub(slack), guess + slack),
        TokenRule::Patch28 => (guess.saturating_sub(slack), guess + 1),
    };
    if a >= lo as u128 && b < hi as u128 {
        let (a, b) = (a as u32, b as u32);
        if rule.tokens(shaped(a, orig_long, orig_short, landscape), limits) <= budget
            && rule.tokens(shaped(b + 1, orig_long, orig_short, landscape), limits) > budget
        {
            lo = a;
            hi = b;
        }
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if rule.tokens(shaped(mid, orig_long, orig_short, landscape), limits) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    shaped(lo, orig_long, orig_short, landscape)
}

/// The integer square root (floor) of `n`.
const fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    // Newton's method from a power of two at or above the root: a handful of steps.
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1 << bits.div_ceil(2);
    let mut y = (x + n / x) / 2;
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// The smallest size with `size`'s aspect ratio whose short edge is at least [`SMALL_EDGE`]
/// (200 px, under which the guide warns that results may degrade), or the fit target when that
/// is smaller already: the least an image can be shrunk to and still be read well.
///
/// ```
/// use visionprep_core::{sensible_floor, Size, TierLimits};
/// assert_eq!(sensible_floor(Size::new(4032, 3024), TierLimits::STANDARD), Size::new(266, 200));
/// assert_eq!(sensible_floor(Size::new(150, 90), TierLimits::STANDARD), Size::new(150, 90));
/// ```
pub const fn sensible_floor(size: Size, limits: TierLimits) -> Size {
    floor_within_fit(size, fit_target(size, limits))
}

/// [`sensible_floor`] for an image whose fit target is known.
const fn floor_within_fit(size: Size, fit: Size) -> Size {
    if fit.short_edge() <= SMALL_EDGE {
        return fit;
    }
    let landscape = size.width >= size.height;
    let (orig_long, orig_short) = (size.long_edge(), size.short_edge());
    // The short edge grows with the long edge: the smallest long edge giving >= 200 is near
    // 199.5 l / s; start a pixel or two below it and step up.
    let near = (399 * orig_long as u64) / (2 * orig_short as u64);
    let mut lo = if near > 2 { near as u32 - 2 } else { 1 };
    if lo > fit.long_edge() {
        lo = fit.long_edge();
    }
    if short_for(lo, orig_long, orig_short) >= SMALL_EDGE {
        // The estimate was high (cannot happen for exact arithmetic; kept safe): search down.
        let mut hi = lo;
        let mut low: u32 = 1;
        while low < hi {
            let mid = low + (hi - low) / 2;
            if short_for(mid, orig_long, orig_short) >= SMALL_EDGE {
                hi = mid;
            } else {
                low = mid + 1;
            }
        }
        return shaped(hi, orig_long, orig_short, landscape);
    }
    while lo < fit.long_edge() && short_for(lo, orig_long, orig_short) < SMALL_EDGE {
        lo += 1;
    }
    shaped(lo, orig_long, orig_short, landscape)
}

/// A set of image sizes (as displayed) to find a folder budget for: deduplicated with counts,
/// so that a folder of 100,000 photos from a few cameras costs a few evaluations per cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SizeSet {
    sizes: Vec<(Size, u64)>,
    images: u64,
}

impl SizeSet {
    /// The set of `sizes` (empty sizes are left out: no image has one).
    pub fn new(sizes: impl IntoIterator<Item = Size>) -> SizeSet {
        let mut all: Vec<Size> = sizes.into_iter().filter(|s| !s.is_empty()).collect();
        all.sort_unstable();
        let images = all.len() as u64;
        let mut sizes: Vec<(Size, u64)> = Vec::new();
        for s in all {
            match sizes.last_mut() {
                Some((last, n)) if *last == s => *n += 1,
                _ => sizes.push((s, 1)),
            }
        }
        SizeSet { sizes, images }
    }

    /// How many images the set holds.
    pub fn images(&self) -> u64 {
        self.images
    }

    /// The distinct sizes and how many images have each, in size order.
    pub fn sizes(&self) -> &[(Size, u64)] {
        &self.sizes
    }

    /// Total tokens with every image prepared at `cap` tokens ([`budget_target`]); `None`
    /// is no cap (every image at its [`fit_target`]).
    pub fn tokens_at(&self, cap: Option<u64>, limits: TierLimits, rule: TokenRule) -> u64 {
        self.sizes
            .iter()
            .map(|&(size, n)| {
                let sized = match cap {
                    Some(cap) => budget_target(size, limits, rule, cap),
                    None => fit_target(size, limits),
                };
                rule.tokens(sized, limits).saturating_mul(n)
            })
            .fold(0u64, u64::saturating_add)
    }

    /// The most tokens any one image costs as sent: a cap at or above it changes nothing.
    pub fn max_tokens(&self, limits: TierLimits, rule: TokenRule) -> u64 {
        self.sizes
            .iter()
            .map(|&(size, _)| rule.tokens(fit_target(size, limits), limits))
            .max()
            .unwrap_or(0)
    }

    /// The shape of the set prepared at `cap` tokens per image (`None`: no cap).
    pub fn distribution(
        &self,
        cap: Option<u64>,
        limits: TierLimits,
        rule: TokenRule,
    ) -> SizeDistribution {
        let mut d = SizeDistribution::default();
        let mut edges: Vec<(u32, u64)> = Vec::new();
        for &(size, n) in &self.sizes {
            let fit = fit_target(size, limits);
            let sized = match cap {
                Some(cap) => budget_target(size, limits, rule, cap),
                None => fit,
            };
            if sized != fit {
                d.shrunk_by_budget += n;
            }
            if sized.short_edge() < SMALL_EDGE && fit.short_edge() >= SMALL_EDGE {
                d.under_200px += n;
            }
            d.tokens = d
                .tokens
                .saturating_add(rule.tokens(sized, limits).saturating_mul(n));
            edges.push((sized.long_edge(), n));
        }
        edges.sort_unstable();
        let total: u64 = edges.iter().map(|e| e.1).sum();
        let at = |q: u64| -> u32 {
            // The edge of the image at rank ceil(q% of total) (nearest rank).
            let rank = (total * q).div_ceil(100).max(1);
            let mut seen = 0u64;
            for &(edge, n) in &edges {
                seen += n;
                if seen >= rank {
                    return edge;
                }
            }
            0
        };
        if total > 0 {
            d.long_edge = [at(0), at(10), at(50), at(90), at(100)];
        }
        d
    }
}

/// How a set of images is sized at a cap: what `cost --budget-usd` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SizeDistribution {
    /// Total tokens.
    pub tokens: u64,
    /// Images the cap makes smaller than the API would keep them.
    pub shrunk_by_budget: u64,
    /// Images the cap pushes under 200 px on their short edge (which were not already).
    pub under_200px: u64,
    /// The long edges after the cap: smallest, 10th percentile, median, 90th, largest.
    pub long_edge: [u32; 5],
}

/// The answer of a folder budget: the largest per-image cap whose total is within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FolderBudget {
    /// The total the set had to stay within, in tokens.
    pub allowed_tokens: u64,
    /// The largest per-image token cap whose total is within the allowance: `None` when even
    /// one token per image is over it. A cap equal to `max_tokens` leaves every image as
    /// the API keeps it.
    pub cap: Option<u64>,
    /// Total tokens at the cap (0 without one).
    pub tokens: u64,
    /// Total tokens with no cap (every image as the API keeps it).
    pub uncapped_tokens: u64,
    /// The most tokens one image costs as sent: caps at or above it change nothing.
    pub max_tokens: u64,
    /// The smallest cap that keeps every image at least 200 px on its short edge (or as the
    /// API keeps it, when that is smaller), and the set's total there.
    pub sensible_cap: u64,
    /// The total at `sensible_cap`.
    pub sensible_tokens: u64,
    /// The total at a cap of 1 token per image: the least any cap can spend.
    pub floor_tokens: u64,
}

impl FolderBudget {
    /// Whether the allowance is met with every image still at a sensible size (200 px on the
    /// short edge or as sent).
    pub fn sensible(&self) -> bool {
        self.cap.is_some_and(|cap| cap >= self.sensible_cap)
    }

    /// Whether the set fits the allowance with no image shrunk by the cap.
    pub fn uncapped(&self) -> bool {
        self.uncapped_tokens <= self.allowed_tokens
    }
}

/// A set's distinct sizes with their fit targets and tokens for one tier and rule, computed
/// once: every cap a search tries is then one pass of cheap budget searches.
struct Fitted {
    /// (size, count, fit target, its tokens), in the set's order.
    rows: Vec<(Size, u64, Size, u64)>,
    limits: TierLimits,
    rule: TokenRule,
}

impl Fitted {
    fn new(set: &SizeSet, limits: TierLimits, rule: TokenRule) -> Fitted {
        let rows = set
            .sizes
            .iter()
            .map(|&(size, n)| {
                let fit = fit_target(size, limits);
                (size, n, fit, rule.tokens(fit, limits))
            })
            .collect();
        Fitted { rows, limits, rule }
    }

    /// The set's total at `cap`, or `None` as soon as it passes `stop`.
    fn total(&self, cap: u64, stop: u64) -> Option<u64> {
        let mut sum = 0u64;
        for &(size, n, fit, fit_tokens) in &self.rows {
            let t = if fit_tokens <= cap {
                fit_tokens
            } else {
                let sized = within_fit(size, fit, fit_tokens, self.limits, self.rule, cap);
                self.rule.tokens(sized, self.limits)
            };
            sum = sum.saturating_add(t.saturating_mul(n));
            if sum > stop {
                return None;
            }
        }
        Some(sum)
    }

    /// The exact total at `cap`.
    fn exact(&self, cap: u64) -> u64 {
        self.total(cap, u64::MAX).unwrap_or(u64::MAX)
    }

    /// The largest cap whose total is at most `allowed` were every image to cost exactly
    /// `min(cap, its fit tokens)`: an upper bound of what each costs at the cap, so the true
    /// cap is at least this.
    fn water_level(&self, allowed: u64) -> u64 {
        let mut fits: Vec<(u64, u64)> = self.rows.iter().map(|r| (r.3, r.1)).collect();
        fits.sort_unstable();
        let total_images: u64 = fits.iter().map(|f| f.1).sum();
        // Walk up the sorted fit tokens: below level `c`, images under it cost their own.
        let (mut below_sum, mut below_n) = (0u64, 0u64);
        let mut level = 1u64;
        for &(t, n) in &fits {
            let above = total_images - below_n;
            // The highest level reachable before this group: (allowed - below_sum) / above.
            let reach = allowed.saturating_sub(below_sum) / above.max(1);
            if reach < t {
                return reach.max(1);
            }
            level = t;
            below_sum = below_sum.saturating_add(t.saturating_mul(n));
            below_n += n;
        }
        level
    }
}

/// The largest per-image token cap such that `set`, every image prepared at that cap
/// ([`budget_target`]), costs at most `allowed_tokens` in total. The total only grows with the
/// cap; the search starts at the cap that would be exact were every image to cost its cap (a
/// bound from below), gallops up to a cap over the total and bisects, each step one pass over
/// the set's distinct sizes that stops as soon as the total is over.
///
/// ```
/// use visionprep_core::{folder_budget, Size, SizeSet, TierLimits, TokenRule};
/// let set = SizeSet::new([Size::new(4032, 3024), Size::new(1920, 1080), Size::new(800, 600)]);
/// let (s, rule) = (TierLimits::STANDARD, TokenRule::Area750);
/// let b = folder_budget(&set, s, rule, 2400);
/// let cap = b.cap.unwrap();
/// assert!(set.tokens_at(Some(cap), s, rule) <= 2400);
/// assert!(set.tokens_at(Some(cap + 1), s, rule) > 2400);
/// ```
pub fn folder_budget(
    set: &SizeSet,
    limits: TierLimits,
    rule: TokenRule,
    allowed_tokens: u64,
) -> FolderBudget {
    let fitted = Fitted::new(set, limits, rule);
    let max_tokens = fitted.rows.iter().map(|r| r.3).max().unwrap_or(0);
    let uncapped_tokens = fitted
        .rows
        .iter()
        .fold(0u64, |s, r| s.saturating_add(r.3.saturating_mul(r.1)));
    let sensible_cap = fitted
        .rows
        .iter()
        .map(|&(size, _, fit, _)| rule.tokens(floor_within_fit(size, fit), limits))
        .max()
        .unwrap_or(0);
    let sensible_tokens = fitted.exact(sensible_cap.max(1));
    // At one token per image every image is 1x1 to 27x27: exactly one token each.
    let floor_tokens = set.images();
    let mut answer = FolderBudget {
        allowed_tokens,
        cap: None,
        tokens: 0,
        uncapped_tokens,
        max_tokens,
        sensible_cap,
        sensible_tokens,
        floor_tokens,
    };
    if uncapped_tokens <= allowed_tokens {
        answer.cap = Some(max_tokens.max(1));
        answer.tokens = uncapped_tokens;
        return answer;
    }
    if floor_tokens > allowed_tokens {
        return answer;
    }
    let within = |cap: u64| fitted.total(cap, allowed_tokens).is_some();
    // Invariant: `lo` is within the allowance, `hi + 1` is not (max_tokens is over it, since
    // the uncapped total is).
    let mut lo = fitted.water_level(allowed_tokens).clamp(1, max_tokens - 1);
    if !within(lo) {
        lo = 1;
    }
    let mut hi = max_tokens - 1;
    let mut step = 8u64;
    while lo + step < hi {
        if within(lo + step) {
            lo += step;
            step *= 2;
        } else {
            hi = lo + step - 1;
            break;
        }
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if within(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    answer.cap = Some(lo);
    answer.tokens = fitted.exact(lo);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::fits;

    const S: TierLimits = TierLimits::STANDARD;
    const H: TierLimits = TierLimits::HIGH_RESOLUTION;

    /// The plain binary search over the whole range, to check the bracketed one against.
    fn reference(size: Size, limits: TierLimits, rule: TokenRule, budget: u64) -> Size {
        let fit = fit_target(size, limits);
        if rule.tokens(fit, limits) <= budget.max(1) {
            return fit;
        }
        let landscape = size.width >= size.height;
        let (l, s) = (size.long_edge(), size.short_edge());
        let (mut lo, mut hi) = (1u32, fit.long_edge() - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if rule.tokens(shaped(mid, l, s, landscape), limits) <= budget.max(1) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        shaped(lo, l, s, landscape)
    }

    #[test]
    fn examples() {
        let sized = budget_target(Size::new(4032, 3024), S, TokenRule::Area750, 800);
        assert_eq!(sized, Size::new(894, 670));
        assert_eq!(TokenRule::Area750.tokens(sized, S), 799);
        // 895x671 would be 801 tokens.
        assert!(TokenRule::Area750.tokens(Size::new(895, 671), S) > 800);
        let p = budget_target(Size::new(4032, 3024), S, TokenRule::Patch28, 800);
        assert!(TokenRule::Patch28.tokens(p, S) <= 800);
        assert_eq!(
            budget_target(Size::new(4032, 3024), S, TokenRule::Area750, 0),
            budget_target(Size::new(4032, 3024), S, TokenRule::Area750, 1)
        );
        assert_eq!(
            budget_target(Size::new(u32::MAX, u32::MAX), H, TokenRule::Area750, 1),
            Size::new(27, 27)
        );
        assert_eq!(
            budget_target(Size::new(0, 10), S, TokenRule::Area750, 5),
            Size::new(0, 10)
        );
        for size in [
            Size::new(1, 1),
            Size::new(u32::MAX, 1),
            Size::new(1, u32::MAX),
            Size::new(3000, 7),
        ] {
            for rule in [TokenRule::Area750, TokenRule::Patch28] {
                for b in [1, 2, 54, 1000, 5000] {
                    assert_eq!(
                        budget_target(size, S, rule, b),
                        reference(size, S, rule, b),
                        "{size} {rule} {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn sensible_floor_is_the_smallest_at_200px() {
        for size in [
            Size::new(4032, 3024),
            Size::new(3024, 4032),
            Size::new(8000, 300),
            Size::new(1000, 999),
        ] {
            let f = sensible_floor(size, S);
            if fit_target(size, S).short_edge() <= SMALL_EDGE {
                assert_eq!(
                    f,
                    fit_target(size, S),
                    "{size}: the API keeps it smaller already"
                );
                continue;
            }
            assert!(f.short_edge() >= SMALL_EDGE, "{size} -> {f}");
            let smaller = shaped(
                f.long_edge() - 1,
                size.long_edge(),
                size.short_edge(),
                size.width >= size.height,
            );
            assert!(smaller.short_edge() < SMALL_EDGE, "{size} -> {f}");
            assert!(fits(f, S));
        }
    }

    #[test]
    fn folder_budget_is_the_largest_cap() {
        let sizes: Vec<Size> = (0..200u32)
            .map(|i| Size::new(300 + (i * 37) % 5000, 200 + (i * 91) % 4000))
            .collect();
        let set = SizeSet::new(sizes);
        for rule in [TokenRule::Area750, TokenRule::Patch28] {
            let full = set.tokens_at(None, S, rule);
            for allowed in [200, 10_000, full / 3, full - 1, full, full * 2] {
                let b = folder_budget(&set, S, rule, allowed);
                if let Some(cap) = b.cap {
                    assert!(b.tokens <= allowed);
                    assert_eq!(b.tokens, set.tokens_at(Some(cap), S, rule));
                    if cap < b.max_tokens {
                        assert!(
                            set.tokens_at(Some(cap + 1), S, rule) > allowed,
                            "{rule} {allowed}"
                        );
                    }
                } else {
                    assert!(set.tokens_at(Some(1), S, rule) > allowed);
                }
            }
            assert!(folder_budget(&set, S, rule, full).uncapped());
            assert!(!folder_budget(&set, S, rule, full - 1).uncapped());
            assert_eq!(folder_budget(&set, S, rule, 199).cap, None);
        }
        let d = set.distribution(Some(300), S, TokenRule::Area750);
        assert_eq!(d.tokens, set.tokens_at(Some(300), S, TokenRule::Area750));
        assert!(d.long_edge[0] <= d.long_edge[2] && d.long_edge[2] <= d.long_edge[4]);
        assert_eq!(SizeSet::new([]).images(), 0);
        assert_eq!(
            folder_budget(&SizeSet::new([]), S, TokenRule::Area750, 0).cap,
            Some(1)
        );
    }
}
