//! The fit rule's invariants for arbitrary sizes and tier numbers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::{Size, TierLimits, fit_target, fits};

fuzz_target!(|input: (u32, u32, u32, u32, u32)| {
    let (w, h, edge, patches, patch) = input;
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
});
