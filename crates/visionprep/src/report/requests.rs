//! The text of `visionprep request`: a line per body as it closes, then the totals.

use super::{group, money};
use crate::request::{RequestRunSummary, WrittenBody};
use std::io::{self, Write};

/// One body's line: its name, images, bytes, image tokens and their cost.
pub fn write_body_line(out: &mut dyn Write, body: &WrittenBody) -> io::Result<()> {
    writeln!(
        out,
        "{}  {:>3} images  {:>12} bytes  {:>9} image tokens  {}",
        body.name,
        body.images,
        group(body.bytes),
        group(body.tokens),
        money(body.usd, 6)
    )
}

/// The closing line: bodies, new images, tokens and cost on `model`, whether they were
/// written, and what the figures leave out (text, the history's images, images by reference).
pub fn write_request_summary(
    out: &mut dyn Write,
    summary: &RequestRunSummary,
    model: &str,
) -> io::Result<()> {
    let mut uncounted = vec!["text tokens".to_owned()];
    if summary.held > 0 {
        uncounted.push(format!("the {} images of earlier turns", summary.held));
    }
    if summary.by_reference > 0 {
        uncounted.push(format!("{} images by URL or file id", summary.by_reference));
    }
    let n = summary.bodies;
    writeln!(
        out,
        "{n} bod{}, {} new images, {} image tokens, {} on {model} ({}); not counted: {}",
        if n == 1 { "y" } else { "ies" },
        summary.images,
        group(summary.tokens),
        money(summary.usd, 6),
        if summary.written {
            "written"
        } else {
            "dry run: nothing written"
        },
        uncounted.join(", "),
    )
}
