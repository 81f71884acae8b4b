//! Request bodies and transcripts read from anywhere: parsing, checking, repairing and
//! building count bodies never panic; a repaired document is still read the same way, and the
//! typed model reads what it wrote.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::RequestLimits;
use visionprep::core::request::MessagesRequest;
use visionprep::request::{
    CheckOptions, Document, RepairOptions, check_document, count_bodies, repair_document,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<MessagesRequest>(data) {
        let _ = visionprep::request::check(&body, &RequestLimits::portable());
        let again = serde_json::to_vec(&body).expect("a body read is written");
        let back: MessagesRequest = serde_json::from_slice(&again).expect("and read again");
        assert_eq!(back, body);
    }
    let Ok(doc) = Document::read(data.to_vec()) else {
        return;
    };
    let options = CheckOptions::default();
    let _ = check_document(&doc, &options);
    let _ = count_bodies(&doc, &options);
    let repair = RepairOptions {
        drop_unreadable: true,
        ..RepairOptions::default()
    };
    let fixed = repair_document(&doc, &repair);
    assert!(Document::from_text(fixed.text).is_ok());
});
