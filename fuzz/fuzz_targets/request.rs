//! Request bodies, transcripts and agent session files read from anywhere: parsing, checking,
//! repairing and building count bodies never panic; a repaired document is still read the same
//! way, the typed model reads what it wrote, and a repaired JSON Lines file has the same lines,
//! byte for byte, but those it says it changed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::core::RequestLimits;
use visionprep::core::request::MessagesRequest;
use visionprep::request::{
    CheckOptions, Document, InputFormat, LinesInput, RepairOptions, check_document, check_lines,
    count_bodies, repair_document, repair_lines,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<MessagesRequest>(data) {
        let _ = visionprep::request::check(&body, &RequestLimits::portable());
        let again = serde_json::to_vec(&body).expect("a body read is written");
        let back: MessagesRequest = serde_json::from_slice(&again).expect("and read again");
        assert_eq!(back, body);
    }
    let repair = RepairOptions {
        drop_unreadable: true,
        ..RepairOptions::default()
    };
    for format in [InputFormat::ClaudeCodeSession, InputFormat::MessagesJsonl] {
        let input = LinesInput::Bytes(data);
        let _ = check_lines(input, format, &repair.check);
        let mut out = Vec::new();
        if let Ok(done) = repair_lines(input, format, &repair, &mut out) {
            let before: Vec<&[u8]> = data.split_inclusive(|b| *b == b'\n').collect();
            let after: Vec<&[u8]> = out.split_inclusive(|b| *b == b'\n').collect();
            assert_eq!(before.len(), after.len(), "lines added or lost");
            for (i, (a, b)) in before.iter().zip(&after).enumerate() {
                if !done.lines_changed.contains(&(i + 1)) {
                    assert_eq!(a, b, "line {} changed unsaid", i + 1);
                }
            }
        }
    }
    let Ok(doc) = Document::read(data.to_vec()) else {
        return;
    };
    let options = CheckOptions::default();
    let _ = check_document(&doc, &options);
    let _ = count_bodies(&doc, &options);
    let fixed = repair_document(&doc, &repair);
    assert!(Document::from_text(fixed.text).is_ok());
});
