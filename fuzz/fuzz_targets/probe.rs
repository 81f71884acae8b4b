//! Probing arbitrary bytes never panics; a probe's facts are consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::{Limits, probe_bytes};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::with_max_pixels(1 << 24);
    if let Ok(p) = probe_bytes(data, &limits) {
        assert!(!p.stored.is_empty());
        assert!(p.stored.area() <= limits.max_pixels);
        assert_eq!(p.bytes, data.len() as u64);
        if let Some(frames) = p.frames {
            assert_eq!(p.animated, frames > 1);
        }
    }
});
