//! A probe from pieces of a file (what the web page reads) gives the answer of a probe of the
//! whole file, asks only for ranges inside the file it lacks, and always makes progress.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionprep::probe::{PieceError, Pieces, probe_pieces};
use visionprep::{Limits, probe_bytes};

fuzz_target!(|data: &[u8]| {
    let Some(&last) = data.last() else {
        return;
    };
    let limits = Limits::with_max_pixels(1 << 24);
    let whole = probe_bytes(data, &limits).map_err(|e| e.to_string());
    let mut pieces = Pieces::new(data.len() as u64);
    // The last byte picks how much of the head is read up front (0 to 255 * 64 bytes), so
    // that seeds stay whole files.
    let head = (usize::from(last) * 64).min(data.len());
    pieces.insert(0, &data[..head]);
    let answer = loop {
        match probe_pieces(&pieces, &limits) {
            Ok(p) => break Ok(p),
            Err(PieceError::Probe(e)) => break Err(e.to_string()),
            Err(PieceError::Need(r)) => {
                let end = r.offset + r.len;
                assert!(r.len > 0 && end <= data.len() as u64, "{r:?}");
                let held = pieces.held();
                pieces.insert(r.offset, &data[r.offset as usize..end as usize]);
                assert!(pieces.held() > held, "no progress at {r:?}");
            }
        }
    };
    assert_eq!(answer, whole);
});
