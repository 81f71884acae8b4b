//! Preparing arbitrary bytes never panics; when it succeeds the output re-decodes, fits the
//! tier, matches its media type and is under the byte cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::{fits, sniff};
use visionprep::prepare::{PrepareOptions, prepare};
use visionprep::{Limits, probe_bytes};

fuzz_target!(|data: &[u8]| {
    let mut options = PrepareOptions::default();
    // Tight limits keep each run fast and bounded in memory.
    options.limits = Limits::with_max_pixels(1 << 20);
    // Under 1 MP nothing needs shrinking to fit: half the inputs (by their last byte, which
    // mutations change) get a token budget, so that the resizing paths run too (DCT-scaled
    // JPEG, libwebp's scaled decode, HEIF's planes).
    if let Some(&last) = data.last()
        && last % 2 == 1
    {
        options.token_budget = Some(4 + u64::from(last / 8));
    }
    if let Ok(out) = prepare(data, &options) {
        assert_eq!(
            sniff(&out.bytes).and_then(|f| f.media_type()),
            Some(out.media_type)
        );
        assert!(fits(out.output_size, options.target.tier()));
        assert!(options.request.image_bytes_ok(out.bytes.len() as u64));
        let probe = probe_bytes(&out.bytes, &Limits::default()).expect("output re-probes");
        assert_eq!(probe.displayed(), out.output_size);
    }
});
