//! The cost report (`visionprep cost`): an aligned table for people, JSON and CSV for programs.
//! All three stream: each file is written as it comes, so memory stays flat.

use super::{ReportFormat, group, human_bytes, money, short_format, truncate};
use serde::Serialize;
use std::io::{Result, Write};
use visionprep_core::{Estimator, FileReport, ModelMap, ModelStatus, PriceTable, Totals};

/// A cost report being written, one file at a time.
pub trait CostReport {
    /// Writes one file's line.
    fn file(&mut self, f: &FileReport) -> Result<()>;
    /// Writes the totals (and the count of folder entries passed over) and flushes.
    fn finish(&mut self, totals: &Totals, skipped: u64) -> Result<()>;
}

/// The `totals` of a JSON cost report: the run's totals and the files passed over.
#[derive(Debug, Serialize)]
pub struct CostTotals<'a> {
    /// Files, images, errors, bytes and per-model tokens and cost.
    #[serde(flatten)]
    pub totals: &'a Totals,
    /// Files in folders that were not images.
    pub skipped: u64,
}

/// Starts a cost report in `format` on `out` (headers are written now).
pub fn cost_report<'w>(
    format: ReportFormat,
    out: &'w mut dyn Write,
    table: &PriceTable,
    estimator: &Estimator,
) -> Result<Box<dyn CostReport + 'w>> {
    let models: Vec<&str> = estimator.models().iter().map(|m| m.id.as_str()).collect();
    let rule = estimator.rule.as_str();
    Ok(match format {
        ReportFormat::Json => Box::new(Json::start(out, rule, table.as_of(), estimator)?),
        ReportFormat::Csv => Box::new(Csv::start(out, &models)?),
        ReportFormat::Table => Box::new(Table::start(out, &models, rule, table.as_of())?),
    })
}

/// Each estimated model's lifecycle, by id (the `model_status` field of JSON reports).
pub fn model_status(estimator: &Estimator) -> ModelMap<ModelStatus> {
    ModelMap(
        estimator
            .models()
            .iter()
            .map(|m| (m.id.clone(), ModelStatus::of(m)))
            .collect(),
    )
}

struct Json<'w> {
    out: &'w mut dyn Write,
    first: bool,
}

impl<'w> Json<'w> {
    fn start(
        out: &'w mut dyn Write,
        rule: &str,
        as_of: &str,
        estimator: &Estimator,
    ) -> Result<Self> {
        out.write_all(b"{\"token_rule\":")?;
        serde_json::to_writer(&mut *out, rule)?;
        out.write_all(b",\"prices_as_of\":")?;
        serde_json::to_writer(&mut *out, as_of)?;
        out.write_all(b",\"model_status\":")?;
        serde_json::to_writer(&mut *out, &model_status(estimator))?;
        out.write_all(b",\"files\":[")?;
        Ok(Json { out, first: true })
    }
}

impl CostReport for Json<'_> {
    fn file(&mut self, f: &FileReport) -> Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut *self.out, f)?;
        Ok(())
    }

    fn finish(&mut self, totals: &Totals, skipped: u64) -> Result<()> {
        self.out.write_all(if self.first {
            b"],\"totals\":"
        } else {
            b"\n],\"totals\":"
        })?;
        serde_json::to_writer(&mut *self.out, &CostTotals { totals, skipped })?;
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(())
    }
}

struct Csv<'w> {
    w: csv::Writer<&'w mut dyn Write>,
    models: usize,
}

impl<'w> Csv<'w> {
    const COLUMNS: [&'static str; 9] = [
        "path",
        "media_type",
        "format",
        "bytes",
        "width",
        "height",
        "problems",
        "error_code",
        "error_message",
    ];
    const MODEL_COLUMNS: [&'static str; 6] = [
        "tier",
        "resized",
        "target_width",
        "target_height",
        "tokens",
        "usd",
    ];

    fn start(out: &'w mut dyn Write, models: &[&str]) -> Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<String> = Self::COLUMNS.map(String::from).to_vec();
        for m in models {
            header.extend(Self::MODEL_COLUMNS.iter().map(|c| format!("{m}:{c}")));
        }
        w.write_record(&header)?;
        Ok(Csv {
            w,
            models: models.len(),
        })
    }
}

impl CostReport for Csv<'_> {
    fn file(&mut self, f: &FileReport) -> Result<()> {
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
        for i in 0..self.models {
            match f.models.0.get(i) {
                Some((_, e)) => row.extend([
                    e.tier.as_str().to_owned(),
                    e.resized.to_string(),
                    e.target_width.to_string(),
                    e.target_height.to_string(),
                    e.tokens.to_string(),
                    e.usd.to_string(),
                ]),
                None => row.extend(std::iter::repeat_n(
                    String::new(),
                    Self::MODEL_COLUMNS.len(),
                )),
            }
        }
        self.w.write_record(&row)?;
        Ok(())
    }

    fn finish(&mut self, _totals: &Totals, _skipped: u64) -> Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

struct Table<'w> {
    out: &'w mut dyn Write,
    rule: &'static str,
    as_of: String,
}

impl<'w> Table<'w> {
    fn start(
        out: &'w mut dyn Write,
        models: &[&str],
        rule: &'static str,
        as_of: &str,
    ) -> Result<Self> {
        write!(out, "{:>10}  {:<5} {:>11}", "BYTES", "TYPE", "SIZE")?;
        for m in models {
            write!(out, "  {:<32}", truncate(m, 32))?;
        }
        writeln!(out, "  FILE")?;
        write!(out, "{:>10}  {:<5} {:>11}", "", "", "")?;
        for _ in models {
            write!(out, "  {:>11} {:>7} {:>12}", "SEEN AS", "TOKENS", "USD")?;
        }
        writeln!(out)?;
        Ok(Table {
            out,
            rule,
            as_of: as_of.to_owned(),
        })
    }
}

impl CostReport for Table<'_> {
    fn file(&mut self, f: &FileReport) -> Result<()> {
        let size = match (f.width, f.height) {
            (Some(w), Some(h)) => format!("{w}x{h}"),
            _ => "-".to_owned(),
        };
        let kind = f.format.map(short_format).unwrap_or("?");
        write!(self.out, "{:>10}  {:<5} {:>11}", f.bytes, kind, size)?;
        if let Some(err) = &f.error {
            writeln!(
                self.out,
                "  {}  error {}: {}",
                f.path, err.code, err.message
            )?;
            return Ok(());
        }
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
        Ok(())
    }

    fn finish(&mut self, totals: &Totals, skipped: u64) -> Result<()> {
        let skipped = if skipped > 0 {
            format!(", {skipped} non-images skipped")
        } else {
            String::new()
        };
        writeln!(
            self.out,
            "\n{} files, {} images, {} errors{skipped}, {}",
            totals.files,
            totals.images,
            totals.errors,
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
            self.rule, self.as_of
        )?;
        self.out.flush()?;
        Ok(())
    }
}
