//! The cost report (`visionprep cost`): an aligned table for people, JSON and CSV for programs.
//! All three stream: each file is written as it comes, so memory stays flat.

use super::cost_csv::Csv;
use super::cost_table::Table;
use super::{ReportFormat, group, money};
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
pub(super) struct Extra {
    pub(super) budget: Option<u64>,
    pub(super) tiles: bool,
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
