//! The cost report (`visionprep cost`): an aligned table for people, JSON and CSV for programs.
//! All three stream: each file is written as it comes, so memory stays flat.

use super::{ReportFormat, group, human_bytes, money, short_format, truncate};
use serde::Serialize;
use std::io::{Result, Write};
use visionprep_core::{
    Allowance, Estimator, FileReport, ModelBudget, ModelMap, ModelStatus, PriceTable, SizeSet,
    Totals, Usd,
};

/// A cost report being written, one file at a time.
pub trait CostReport {
    /// Writes one file's line.
    fn file(&mut self, f: &FileReport) -> Result<()>;
    /// Adds a folder budget's answer, written with the totals (JSON: the `budget` field; the
    /// table: after the totals; CSV, which has rows only: nothing).
    fn budget(&mut self, budget: FolderBudgetReport);
    /// Writes the totals (and the count of folder entries passed over) and flushes.
    fn finish(&mut self, totals: &Totals, skipped: u64) -> Result<()>;
}

/// The answer of `cost --budget-usd` / `--total-token-budget`: the allowance and, per model,
/// the largest per-image token cap within it ([`Estimator::folder_budget`]).
#[derive(Debug, Clone, Serialize)]
pub struct FolderBudgetReport {
    /// The allowance in US dollars, when given in dollars.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd: Option<Usd>,
    /// The allowance in image tokens, when given in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Images the budget was found over (files that could not be read are left out).
    pub images: u64,
    /// Per model.
    pub models: ModelMap<ModelBudget>,
}

impl FolderBudgetReport {
    /// The report of `allowance` over `set` for the estimator's models.
    pub fn new(estimator: &Estimator, set: &SizeSet, allowance: Allowance) -> Self {
        let ids = estimator.models().iter().map(|m| m.id.clone());
        let (usd, tokens) = match allowance {
            Allowance::Usd(u) => (Some(u), None),
            Allowance::Tokens(t) => (None, Some(t)),
        };
        FolderBudgetReport {
            usd,
            tokens,
            images: set.images(),
            models: ModelMap(ids.zip(estimator.folder_budget(set, allowance)).collect()),
        }
    }

    /// The report for people: the cap per model, the totals, the sizes, and what to run.
    pub fn write_text(&self, out: &mut dyn Write) -> Result<()> {
        let allowance = match (self.usd, self.tokens) {
            (Some(u), _) => money(u, 2),
            (_, Some(t)) => format!("{} tokens", group(t)),
            _ => String::new(),
        };
        writeln!(
            out,
            "\nbudget {allowance} over {} images:",
            group(self.images)
        )?;
        for (id, m) in &self.models.0 {
            let b = &m.budget;
            let Some(cap) = b.cap.filter(|_| m.met) else {
                writeln!(
                    out,
                    "  {id}: cannot be met: even 1 token per image (thumbnails of about 30 px) \
                     is {} tokens, {}",
                    group(b.floor_tokens),
                    money(m.floor_usd, 6)
                )?;
                continue;
            };
            if b.uncapped() {
                writeln!(
                    out,
                    "  {id}: met with no cap: every image as the API keeps it is {} tokens, {}",
                    group(b.uncapped_tokens),
                    money(m.uncapped_usd, 6)
                )?;
            } else {
                writeln!(
                    out,
                    "  {id}: --token-budget {cap} -> {} tokens, {} (with no cap: {} tokens, {})",
                    group(b.tokens),
                    money(m.usd, 6),
                    group(b.uncapped_tokens),
                    money(m.uncapped_usd, 6)
                )?;
            }
            let d = &m.distribution;
            let [min, p10, p50, p90, max] = d.long_edge;
            writeln!(
                out,
                "    long edge {min} / {p10} / {p50} / {p90} / {max} px (smallest, 10%, median, 90%, largest); \
                 {} images made smaller by the cap, {} of them under 200 px",
                group(d.shrunk_by_budget),
                group(d.under_200px)
            )?;
            if !m.sensible {
                writeln!(
                    out,
                    "    warning: keeping every image at least 200 px on its short edge takes \
                     --token-budget {} and costs {} ({} tokens): the budget cannot meet that",
                    b.sensible_cap,
                    money(m.sensible_usd, 6),
                    group(b.sensible_tokens)
                )?;
            }
        }
        Ok(())
    }
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
    let extra = Extra {
        budget: estimator.budget,
        tiles: estimator.tiles.is_some(),
    };
    Ok(match format {
        ReportFormat::Json => Box::new(Json::start(out, rule, table.as_of(), estimator)?),
        ReportFormat::Csv => Box::new(Csv::start(out, &models, extra)?),
        ReportFormat::Table => Box::new(Table::start(out, &models, rule, table.as_of(), extra)?),
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

/// The columns beyond the size the API keeps: the budget's, the tiles'.
#[derive(Debug, Clone, Copy)]
struct Extra {
    budget: Option<u64>,
    tiles: bool,
}

struct Json<'w> {
    out: &'w mut dyn Write,
    first: bool,
    budget: Option<FolderBudgetReport>,
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
        Ok(Json {
            out,
            first: true,
            budget: None,
        })
    }
}

impl CostReport for Json<'_> {
    fn budget(&mut self, budget: FolderBudgetReport) {
        self.budget = Some(budget);
    }

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
        if let Some(b) = &self.budget {
            self.out.write_all(b",\"budget\":")?;
            serde_json::to_writer(&mut *self.out, b)?;
        }
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(())
    }
}

struct Csv<'w> {
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

    fn start(out: &'w mut dyn Write, models: &[&str], extra: Extra) -> Result<Self> {
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

struct Table<'w> {
    out: &'w mut dyn Write,
    rule: &'static str,
    as_of: String,
    extra: Extra,
    budget: Option<FolderBudgetReport>,
}

impl<'w> Table<'w> {
    fn start(
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
