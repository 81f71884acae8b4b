//! The cost report as an aligned table for people: a line per file as it comes, then the totals
//! per model, the folder budget and what was passed over.

use super::cost::{CostReport, Extra, FolderBudgetReport};
use crate::report::{group, human_bytes, money, short_format, truncate};
use std::io::{Result, Write};
use visionprep_core::{FileReport, Totals};

pub(crate) struct Table<'w> {
    out: &'w mut dyn Write,
    rule: &'static str,
    as_of: String,
    extra: Extra,
    budget: Option<FolderBudgetReport>,
}

impl<'w> Table<'w> {
    pub(super) fn start(
        out: &'w mut dyn Write,
        models: &[&str],
        rule: &'static str,
        as_of: &str,
        extra: Extra,
    ) -> Result<Self> {
        let wide =
            32 + if extra.budget.is_some() { 8 } else { 0 } + if extra.tiles { 14 } else { 0 };
        write!(out, "{:>10}  {:<5} {:>11}", "BYTES", "TYPE", "SIZE")?;
        for m in models {
            write!(out, "  {:<wide$}", truncate(m, wide))?;
        }
        writeln!(out, "  FILE")?;
        write!(out, "{:>10}  {:<5} {:>11}", "", "", "")?;
        let seen = if extra.budget.is_some() {
            "AT BUDGET"
        } else {
            "SEEN AS"
        };
        for _ in models {
            write!(out, "  {:>11} {:>7} {:>12}", seen, "TOKENS", "USD")?;
            if extra.budget.is_some() {
                write!(out, " {:>7}", "AS SENT")?;
            }
            if extra.tiles {
                write!(out, " {:>5} {:>8}", "TILES", "TILE TOK")?;
            }
        }
        writeln!(out)?;
        Ok(Table {
            out,
            rule,
            as_of: as_of.to_owned(),
            extra,
            budget: None,
        })
    }
}

impl CostReport for Table<'_> {
    fn budget(&mut self, budget: FolderBudgetReport) {
        self.budget = Some(budget);
    }

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
            let (seen, tokens, usd) = match &e.budget {
                Some(b) if (b.width, b.height) != (e.target_width, e.target_height) => {
                    (format!("{}x{}", b.width, b.height), b.tokens, b.usd)
                }
                Some(b) => (
                    if e.resized {
                        format!("{}x{}", e.target_width, e.target_height)
                    } else {
                        "kept".to_owned()
                    },
                    b.tokens,
                    b.usd,
                ),
                None if e.resized => (
                    format!("{}x{}", e.target_width, e.target_height),
                    e.tokens,
                    e.usd,
                ),
                None => ("kept".to_owned(), e.tokens, e.usd),
            };
            write!(
                self.out,
                "  {:>11} {:>7} {:>12}",
                seen,
                tokens,
                money(usd, 6)
            )?;
            if self.extra.budget.is_some() {
                write!(self.out, " {:>7}", e.tokens)?;
            }
            if self.extra.tiles {
                match &e.tiles {
                    Some(t) if t.count > 1 => write!(self.out, " {:>5} {:>8}", t.count, t.tokens)?,
                    _ => write!(self.out, " {:>5} {:>8}", "-", "-")?,
                }
            }
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
                "  {:<28} {:>12} tokens  {:>14}  ({} per 1,000 images){}",
                id,
                group(m.tokens),
                money(m.usd, 6),
                money(totals.per_1000_images(m), 2),
                if m.budget.is_some() || m.tiles.is_some() {
                    " as sent"
                } else {
                    ""
                }
            )?;
            if let (Some(b), Some(n)) = (m.budget, self.extra.budget) {
                writeln!(
                    self.out,
                    "  {:<28} {:>12} tokens  {:>14}  ({} per 1,000 images) at {} tokens per image",
                    "",
                    group(b.tokens),
                    money(b.usd, 6),
                    money(b.usd.times(1000).divided_by(totals.images), 2),
                    group(n)
                )?;
            }
            if let Some(t) = m.tiles {
                writeln!(
                    self.out,
                    "  {:<28} {:>12} tokens  {:>14}  ({} per 1,000 images) with tiles",
                    "",
                    group(t.tokens),
                    money(t.usd, 6),
                    money(t.usd.times(1000).divided_by(totals.images), 2),
                )?;
            }
        }
        let seen = if self.extra.budget.is_some() {
            "AT BUDGET is the size within the token budget, AS SENT the tokens without it"
        } else {
            "SEEN AS is the size the API resizes to (kept: sent as is)"
        };
        writeln!(
            self.out,
            "token rule {}, prices as of {}; {seen}",
            self.rule, self.as_of
        )?;
        if let Some(b) = &self.budget {
            b.write_text(&mut *self.out)?;
        }
        self.out.flush()?;
        Ok(())
    }
}
