//! Writing reports: an aligned table for people, JSON and CSV for programs. All three stream:
//! each file is written as soon as its batch is done, so memory stays flat.

use crate::args::OutputFormat;
use anyhow::Result;
use std::io::Write;
use visionprep::core::{Estimator, FileReport, PriceTable, Totals, Usd};

pub(crate) struct Renderer<'w> {
    format: OutputFormat,
    out: &'w mut dyn Write,
    csv: Option<csv::Writer<Vec<u8>>>,
    csv_buf_rows: usize,
    first: bool,
    token_rule: &'static str,
    as_of: String,
    models: Vec<String>,
}

impl<'w> Renderer<'w> {
    pub(crate) fn new(
        format: OutputFormat,
        out: &'w mut dyn Write,
        table: &PriceTable,
        estimator: &Estimator,
    ) -> Result<Self> {
        let models: Vec<String> = estimator.models().iter().map(|m| m.id.clone()).collect();
        let mut r = Renderer {
            format,
            out,
            csv: None,
            csv_buf_rows: 0,
            first: true,
            token_rule: estimator.rule.as_str(),
            as_of: table.as_of().to_owned(),
            models,
        };
        match format {
            OutputFormat::Json => {
                write!(
                    r.out,
                    "{{\"token_rule\":{},\"prices_as_of\":{},\"files\":[",
                    serde_json::to_string(r.token_rule)?,
                    serde_json::to_string(&r.as_of)?
                )?;
            }
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                let mut header: Vec<String> = [
                    "path",
                    "media_type",
                    "format",
                    "bytes",
                    "width",
                    "height",
                    "problems",
                    "error_code",
                    "error_message",
                ]
                .map(String::from)
                .to_vec();
                for m in &r.models {
                    for col in [
                        "tier",
                        "resized",
                        "target_width",
                        "target_height",
                        "tokens",
                        "usd",
                    ] {
                        header.push(format!("{m}:{col}"));
                    }
                }
                w.write_record(&header)?;
                r.csv = Some(w);
                r.flush_csv()?;
            }
            OutputFormat::Table => {
                write!(r.out, "{:>10}  {:<5} {:>11}", "BYTES", "TYPE", "SIZE")?;
                for m in &r.models {
                    write!(r.out, "  {:<32}", truncate(m, 32))?;
                }
                writeln!(r.out, "  FILE")?;
                write!(r.out, "{:>10}  {:<5} {:>11}", "", "", "")?;
                for _ in &r.models {
                    write!(r.out, "  {:>11} {:>7} {:>12}", "SEEN AS", "TOKENS", "USD")?;
                }
                writeln!(r.out)?;
            }
        }
        Ok(r)
    }

    /// Moves the rows the CSV writer holds to the output.
    fn flush_csv(&mut self) -> Result<()> {
        if let Some(w) = self.csv.take() {
            let buf = w
                .into_inner()
                .map_err(|e| anyhow::anyhow!("csv: {}", e.error()))?;
            self.out.write_all(&buf)?;
            let mut next = buf;
            next.clear();
            self.csv = Some(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(next),
            );
            self.csv_buf_rows = 0;
        }
        Ok(())
    }

    pub(crate) fn file(&mut self, f: &FileReport) -> Result<()> {
        match self.format {
            OutputFormat::Json => {
                self.out
                    .write_all(if self.first { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *self.out, f)?;
            }
            OutputFormat::Csv => {
                let problems: Vec<&str> = f.problems.iter().map(|p| p.as_str()).collect();
                let mut row: Vec<String> = vec![
                    f.path.clone(),
                    f.media_type.unwrap_or_default().to_owned(),
                    f.format.unwrap_or_default().to_owned(),
                    f.bytes.to_string(),
                    f.width.map(|w| w.to_string()).unwrap_or_default(),
                    f.height.map(|h| h.to_string()).unwrap_or_default(),
                    problems.join(" "),
                    f.error
                        .as_ref()
                        .map(|e| e.code.as_str().to_owned())
                        .unwrap_or_default(),
                    f.error
                        .as_ref()
                        .map(|e| e.message.clone())
                        .unwrap_or_default(),
                ];
                for i in 0..self.models.len() {
                    match f.models.0.get(i) {
                        Some((_, e)) => row.extend([
                            e.tier.as_str().to_owned(),
                            e.resized.to_string(),
                            e.target_width.to_string(),
                            e.target_height.to_string(),
                            e.tokens.to_string(),
                            e.usd.to_string(),
                        ]),
                        None => row.extend(std::iter::repeat_n(String::new(), 6)),
                    }
                }
                if let Some(w) = &mut self.csv {
                    w.write_record(&row)?;
                }
                self.csv_buf_rows += 1;
                if self.csv_buf_rows >= 256 {
                    self.flush_csv()?;
                }
            }
            OutputFormat::Table => {
                let size = match (f.width, f.height) {
                    (Some(w), Some(h)) => format!("{w}x{h}"),
                    _ => "-".to_owned(),
                };
                write!(
                    self.out,
                    "{:>10}  {:<5} {:>11}",
                    f.bytes,
                    f.format.map(short_format).unwrap_or("?"),
                    size
                )?;
                if let Some(err) = &f.error {
                    writeln!(
                        self.out,
                        "  {}  error {}: {}",
                        f.path, err.code, err.message
                    )?;
                } else {
                    for (_, e) in &f.models.0 {
                        let seen = if e.resized {
                            format!("{}x{}", e.target_width, e.target_height)
                        } else {
                            "kept".to_owned()
                        };
                        write!(
                            self.out,
                            "  {:>11} {:>7} {:>12}",
                            seen,
                            e.tokens,
                            money(e.usd, 6)
                        )?;
                    }
                    write!(self.out, "  {}", f.path)?;
                    if !f.problems.is_empty() {
                        let p: Vec<&str> = f.problems.iter().map(|p| p.as_str()).collect();
                        write!(self.out, "  [{}]", p.join(", "))?;
                    }
                    writeln!(self.out)?;
                }
            }
        }
        self.first = false;
        Ok(())
    }

    pub(crate) fn finish(&mut self, totals: &Totals, skipped: u64) -> Result<()> {
        match self.format {
            OutputFormat::Json => {
                let mut t = serde_json::to_value(totals)?;
                if let Some(obj) = t.as_object_mut() {
                    obj.insert("skipped".into(), skipped.into());
                }
                write!(
                    self.out,
                    "{}],\"totals\":",
                    if self.first { "" } else { "\n" }
                )?;
                serde_json::to_writer(&mut *self.out, &t)?;
                writeln!(self.out, "}}")?;
            }
            OutputFormat::Csv => self.flush_csv()?,
            OutputFormat::Table => {
                writeln!(
                    self.out,
                    "\n{} files, {} images, {} errors{}, {}",
                    totals.files,
                    totals.images,
                    totals.errors,
                    if skipped > 0 {
                        format!(", {skipped} non-images skipped")
                    } else {
                        String::new()
                    },
                    human_bytes(totals.bytes)
                )?;
                for (id, m) in &totals.models.0 {
                    writeln!(
                        self.out,
                        "  {:<28} {:>12} tokens  {:>14}  ({} per 1,000 images)",
                        id,
                        group(m.tokens),
                        money(m.usd, 6),
                        money(totals.per_1000_images(m), 2)
                    )?;
                }
                writeln!(
                    self.out,
                    "token rule {}, prices as of {}; SEEN AS is the size the API resizes to (kept: sent as is)",
                    self.token_rule, self.as_of
                )?;
            }
        }
        self.out.flush()?;
        Ok(())
    }
}

fn short_format(name: &'static str) -> &'static str {
    match name {
        "JPEG XL" => "JXL",
        other => other,
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `$0.004839`
pub(crate) fn money(usd: Usd, decimals: u32) -> String {
    format!("${}", usd.format_fixed(decimals))
}

/// `1,234,567`
pub(crate) fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_and_money() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(money(Usd::from_micros(4839), 6), "$0.004839");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(truncate("abcdef", 3), "abc");
    }
}
