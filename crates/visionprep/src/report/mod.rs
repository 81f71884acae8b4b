//! Report writers shared by every front end: the cost report and the prepare report, each as
//! an aligned table, JSON or CSV (the JSON contracts are in README.md), and the number
//! formatting they use.

mod batches;
mod body;
mod cost;
mod cost_csv;
mod cost_table;
mod models;
mod plan;
mod prepare;
mod requests;
mod version;

pub use body::{CheckedFile, RepairJson, write_check_text, write_repair_text};
pub use cost::{CostReport, CostTotals, FolderBudgetReport, cost_report, model_status};
pub use models::{ListedModel, ModelListing};
pub use plan::{PlanLine, PlanReport};
pub use prepare::PrepareReport;
pub use requests::{write_body_line, write_request_summary};
pub use version::VersionReport;

use visionprep_core::Usd;

/// The three report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// Aligned text, one line per file, totals at the end. Default.
    #[default]
    Table,
    /// One JSON object with `files` and `totals`.
    Json,
    /// One row per file (no totals).
    Csv,
}

pub(crate) fn short_format(name: &'static str) -> &'static str {
    match name {
        "JPEG XL" => "JXL",
        other => other,
    }
}

pub(crate) fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `$0.004839`: dollars with a fixed number of decimals.
pub fn money(usd: Usd, decimals: u32) -> String {
    format!("${}", usd.format_fixed(decimals))
}

/// `1,234,567`: digits grouped by thousands.
pub fn group(n: u64) -> String {
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

/// `1.5 KiB`: a size for people.
pub fn human_bytes(n: u64) -> String {
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
