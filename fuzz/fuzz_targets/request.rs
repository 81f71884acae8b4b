//! Request bodies read from anywhere: parsing and checking never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::RequestLimits;
use visionprep::core::request::MessagesRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<MessagesRequest>(data) {
        let _ = visionprep::request::check(&body, &RequestLimits::portable());
    }
});
