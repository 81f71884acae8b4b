//! The cost report as CSV for programs: a row per file and model, streamed.

use super::cost::{CostReport, Extra, FolderBudgetReport};
use std::io::{Result, Write};
use visionprep_core::{FileReport, Totals};

pub(crate) struct Csv<'w> {
    w: csv::Writer<&'w mut dyn Write>,
    models: usize,
    /// Columns per model (the header's).
    per_model: usize,
    extra: Extra,
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

    const BUDGET_COLUMNS: [&'static str; 4] = [
        "budget_width",
        "budget_height",
        "budget_tokens",
        "budget_usd",
    ];
    const TILE_COLUMNS: [&'static str; 5] = [
        "tiles",
        "tile_width",
        "tile_height",
        "tiles_tokens",
        "tiles_usd",
    ];

    pub(super) fn start(out: &'w mut dyn Write, models: &[&str], extra: Extra) -> Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<String> = Self::COLUMNS.map(String::from).to_vec();
        for m in models {
            header.extend(Self::MODEL_COLUMNS.iter().map(|c| format!("{m}:{c}")));
            if extra.budget.is_some() {
                header.extend(Self::BUDGET_COLUMNS.iter().map(|c| format!("{m}:{c}")));
            }
            if extra.tiles {
                header.extend(Self::TILE_COLUMNS.iter().map(|c| format!("{m}:{c}")));
            }
        }
        w.write_record(&header)?;
        Ok(Csv {
            w,
            models: models.len(),
            per_model: (header.len() - Self::COLUMNS.len()) / models.len().max(1),
            extra,
        })
    }
}

impl CostReport for Csv<'_> {
    fn budget(&mut self, _budget: FolderBudgetReport) {}

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
        let width = self.per_model;
        for i in 0..self.models {
            let Some((_, e)) = f.models.0.get(i) else {
                row.extend(std::iter::repeat_n(String::new(), width));
                continue;
            };
            row.extend([
                e.tier.as_str().to_owned(),
                e.resized.to_string(),
                e.target_width.to_string(),
                e.target_height.to_string(),
                e.tokens.to_string(),
                e.usd.to_string(),
            ]);
            if self.extra.budget.is_some() {
                match &e.budget {
                    Some(b) => row.extend([
                        b.width.to_string(),
                        b.height.to_string(),
                        b.tokens.to_string(),
                        b.usd.to_string(),
                    ]),
                    None => row.extend(std::iter::repeat_n(
                        String::new(),
                        Self::BUDGET_COLUMNS.len(),
                    )),
                }
            }
            if self.extra.tiles {
                match &e.tiles {
                    Some(t) => row.extend([
                        t.count.to_string(),
                        t.tile_width.to_string(),
                        t.tile_height.to_string(),
                        t.tokens.to_string(),
                        t.usd.to_string(),
                    ]),
                    None => {
                        row.extend(std::iter::repeat_n(String::new(), Self::TILE_COLUMNS.len()))
                    }
                }
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
