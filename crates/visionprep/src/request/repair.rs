//! Repairing bodies, transcripts and session files: the entry points, which send streams of
//! session or message lines to [`super::session`] and the rest to the whole-document repair.

use crate::request::format::{
    InputFormat, LinesError, LinesInput, lines_format, read_whole, resolve_format,
};
use crate::request::read::Document;
use crate::request::rewrite::{RepairOptions, RepairReport, repair_body};
use crate::request::session;
use crate::request::session::LinesRepair;
use std::io::Write;

/// Repairs a document: every image the API would refuse (over the byte cap, over 8000 px or
/// 2000 px past 20 images, a media type that does not match the bytes, a `data:` prefix, a
/// format it does not take) is rewritten for the request's model; with
/// [`RepairOptions::shrink`], also those it would shrink. Nothing else changes, byte for byte.
pub fn repair_document(doc: &Document, options: &RepairOptions) -> RepairReport {
    let text = doc.text();
    if let Some(format) = lines_format(doc) {
        let input = LinesInput::Bytes(text.as_bytes());
        let mut out = Vec::new();
        if let Ok(r) = session::repair_stream(input, format, options, &mut out)
            && let Ok(repaired) = String::from_utf8(out)
        {
            let after = session::check_stream(
                LinesInput::Bytes(repaired.as_bytes()),
                format,
                &options.check,
            )
            .unwrap_or_else(|_| r.before.clone());
            return RepairReport {
                text: repaired,
                changes: r.changes,
                before: r.before,
                after,
            };
        }
    }
    repair_body(doc, options)
}

/// Repairs a session file or a JSON Lines transcript as a stream, writing it to `out`: each
/// line whose images the API would refuse (or, with [`RepairOptions::shrink`], shrink) is
/// written with those images prepared for the session's model; every other line is copied
/// byte for byte. `uuid` and `parentUuid` are never touched. A [`InputFormat::Body`] document
/// is repaired whole.
pub fn repair_lines(
    input: LinesInput<'_>,
    format: InputFormat,
    options: &RepairOptions,
    out: &mut dyn Write,
) -> Result<LinesRepair, LinesError> {
    let format = resolve_format(input, format)?;
    if format == InputFormat::Body {
        let report = repair_document(&read_whole(input)?, options);
        out.write_all(report.text.as_bytes())?;
        let lines_changed = if report.changed() {
            vec![1]
        } else {
            Vec::new()
        };
        return Ok(LinesRepair {
            changes: report.changes,
            before: report.before,
            lines_changed,
        });
    }
    session::repair_stream(input, format, options, out)
}
