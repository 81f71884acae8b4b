//! Price files: parsing arbitrary text never panics, and a failed merge leaves the table alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::PriceTable;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut table = PriceTable::builtin();
    let before = table.clone();
    if table.merge_toml(text).is_err() {
        assert_eq!(table, before);
    }
    let _ = PriceTable::from_toml(text);
});
