//! The prepare report (`visionprep prepare`): table, JSON or CSV, streamed file by file.

use super::{ReportFormat, group, human_bytes, money};
use crate::folder::{PrepareRow, PrepareTotals};
use std::io::{Result, Write};

/// The prepare report (`visionprep prepare`) being written, one file at a time, in one of the
/// three formats.
pub struct PrepareReport<'w>(Sink<'w>);

enum Sink<'w> {
    Table(&'w mut dyn Write),
    Json { out: &'w mut dyn Write, first: bool },
    Csv(Box<csv::Writer<&'w mut dyn Write>>),
}

impl<'w> PrepareReport<'w> {
    /// Starts a report in `format` on `out` (headers are written now).
    pub fn new(format: ReportFormat, out: &'w mut dyn Write) -> Result<Self> {
        Ok(PrepareReport(match format {
            ReportFormat::Table => {
                writeln!(
                    out,
                    "{:>10}  {:<5} {:>11}  {:>10}  {:<5} {:>11} {:>7} {:>10}  FILE -> OUTPUT",
                    "BYTES", "TYPE", "SIZE", "OUT BYTES", "TYPE", "SIZE", "TOKENS", "USD"
                )?;
                Sink::Table(out)
            }
            ReportFormat::Json => {
                out.write_all(b"{\"files\":[")?;
                Sink::Json { out, first: true }
            }
            ReportFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record([
                    "path",
                    "media_type",
                    "bytes",
                    "width",
                    "height",
                    "error_code",
                    "error_message",
                    "output_path",
                    "output_media_type",
                    "output_bytes",
                    "output_width",
                    "output_height",
                    "output_tokens",
                    "output_usd",
                    "actions",
                ])?;
                Sink::Csv(Box::new(w))
            }
        }))
    }

    /// Writes one file's line.
    pub fn row(&mut self, r: &PrepareRow) -> Result<()> {
        let f = &r.input;
        let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
        match &mut self.0 {
            Sink::Json { out, first } => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                serde_json::to_writer(&mut **out, r)?;
            }
            Sink::Csv(w) => {
                let error = f.error.as_ref();
                w.write_record([
                    f.path.clone(),
                    f.media_type.unwrap_or_default().to_owned(),
                    f.bytes.to_string(),
                    opt(f.width),
                    opt(f.height),
                    error
                        .map(|e| e.code.as_str().to_owned())
                        .unwrap_or_default(),
                    error.map(|e| e.message.clone()).unwrap_or_default(),
                    r.output_path.clone().unwrap_or_default(),
                    r.output_media_type.unwrap_or_default().to_owned(),
                    r.output_bytes.map(|b| b.to_string()).unwrap_or_default(),
                    opt(r.output_width),
                    opt(r.output_height),
                    r.output_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    r.output_usd.map(|u| u.to_string()).unwrap_or_default(),
                    r.actions.join(" "),
                ])?;
            }
            Sink::Table(out) => {
                let size = |w: Option<u32>, h: Option<u32>| match (w, h) {
                    (Some(w), Some(h)) => format!("{w}x{h}"),
                    _ => "-".to_owned(),
                };
                fn kind(m: Option<&str>) -> &str {
                    m.map_or("?", |m| m.trim_start_matches("image/"))
                }
                write!(
                    out,
                    "{:>10}  {:<5} {:>11}",
                    f.bytes,
                    kind(f.media_type),
                    size(f.width, f.height)
                )?;
                if let Some(e) = &f.error {
                    writeln!(out, "  {}  error {}: {}", f.path, e.code, e.message)?;
                    return Ok(());
                }
                let out_bytes = r.output_bytes.map(|b| b.to_string()).unwrap_or_default();
                write!(
                    out,
                    "  {:>10}  {:<5} {:>11} {:>7} {:>10}",
                    out_bytes,
                    kind(r.output_media_type),
                    size(r.output_width, r.output_height),
                    r.output_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    r.output_usd.map(|u| money(u, 6)).unwrap_or_default(),
                )?;
                let dest = r.output_path.as_deref().unwrap_or("?");
                let tiles = match (r.tiles.len(), r.whole_tokens) {
                    (0, _) => String::new(),
                    (n, Some(whole)) => {
                        format!(" and {} more tiles (sent whole: {whole} tokens)", n - 1)
                    }
                    (n, None) => format!(" and {} more tiles", n - 1),
                };
                writeln!(
                    out,
                    "  {} -> {}{tiles}  [{}]",
                    f.path,
                    dest,
                    r.actions.join(", ")
                )?;
            }
        }
        Ok(())
    }

    /// Writes the totals and flushes.
    pub fn finish(&mut self, t: &PrepareTotals) -> Result<()> {
        match &mut self.0 {
            Sink::Json { out, first } => {
                out.write_all(if *first {
                    b"],\"totals\":"
                } else {
                    b"\n],\"totals\":"
                })?;
                serde_json::to_writer(&mut **out, t)?;
                out.write_all(b"}\n")?;
                out.flush()?;
            }
            Sink::Csv(w) => w.flush()?,
            Sink::Table(out) => {
                writeln!(
                    out,
                    "\n{} files: {} prepared, {} up to date, {} errors{}; {} in, {} out",
                    t.files,
                    t.prepared,
                    t.up_to_date,
                    t.errors,
                    if t.skipped > 0 {
                        format!(", {} non-images skipped", t.skipped)
                    } else {
                        String::new()
                    },
                    human_bytes(t.bytes_in),
                    human_bytes(t.bytes_out),
                )?;
                writeln!(
                    out,
                    "  {}: {} tokens, {} for the prepared images (as sent before: {} tokens, {})",
                    t.model,
                    group(t.tokens),
                    money(t.usd, 6),
                    group(t.tokens_as_is),
                    money(t.usd_as_is, 6)
                )?;
                out.flush()?;
            }
        }
        Ok(())
    }
}
