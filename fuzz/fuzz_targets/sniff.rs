//! Sniffing never panics, and what it names has the magic it claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::{Format, sniff};

fuzz_target!(|data: &[u8]| {
    match sniff(data) {
        Some(Format::Jpeg) => assert!(data.starts_with(&[0xFF, 0xD8, 0xFF])),
        Some(Format::Png) => assert!(data.starts_with(b"\x89PNG\r\n\x1a\n")),
        Some(Format::Gif) => assert!(data.starts_with(b"GIF8")),
        Some(Format::Webp) => {
            assert!(data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP"))
        }
        _ => {}
    }
});
