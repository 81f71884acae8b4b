//! The text of `visionprep batch` (the files written, then the totals) and of
//! `visionprep batch-results` (the requests that did not succeed, then the totals).

use super::{group, human_bytes, money};
use crate::request::batches::{BatchResults, BatchSummary};
use std::io::{self, Write};

impl BatchSummary {
    /// The summary as `visionprep batch` prints it: a line per batch file, then requests,
    /// images, tokens and their cost on `model` at the batch price, failures and the map.
    pub fn write_text(&self, out: &mut dyn Write, model: &str) -> io::Result<()> {
        for f in &self.files {
            writeln!(
                out,
                "{}  {:>7} requests  {:>10}",
                f.path.display(),
                group(f.requests),
                human_bytes(f.bytes)
            )?;
        }
        let reused = if self.reused > 0 {
            format!(" ({} copied from the earlier run)", group(self.reused))
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} requests{reused}, {} images, {} image tokens, {} on {model} at the batch price; \
             {} failed; map: {}",
            group(self.requests),
            group(self.images),
            group(self.image_tokens),
            money(self.usd, 6),
            self.failed.len(),
            self.map.display()
        )
    }
}

impl BatchResults {
    /// The report as `visionprep batch-results` prints it: each request that did not
    /// succeed, the requests by status, billed against estimated tokens, output tokens, and
    /// warnings for ids the map and the results do not share.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        for r in self.rows.iter().filter(|r| r.status != "succeeded") {
            let why = r.error.as_deref().unwrap_or("");
            writeln!(
                out,
                "{}  {}  {}  {why}",
                r.custom_id,
                r.status,
                r.paths.join(", ")
            )?;
        }
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{} {s}", group(*n)))
            .collect();
        writeln!(out, "requests: {}", statuses.join(", "))?;
        let difference = self.input_tokens as i128 - self.estimated_image_tokens as i128;
        writeln!(
            out,
            "billed input tokens {} ({} at the batch price); estimated image tokens {} ({}); \
             the difference, {} tokens ({} a request), is the prompt text and framing",
            group(self.input_tokens),
            money(self.input_usd, 6),
            group(self.estimated_image_tokens),
            money(self.estimated_usd, 6),
            difference,
            self.text_tokens_per_request(),
        )?;
        writeln!(out, "output tokens {}", group(self.output_tokens))?;
        if !self.unknown_ids.is_empty() {
            writeln!(
                out,
                "warning: {} results have ids the map does not know (another batch's results?)",
                self.unknown_ids.len()
            )?;
        }
        if !self.missing_ids.is_empty() {
            writeln!(
                out,
                "warning: {} requests of the map have no result (another file of the batch?)",
                self.missing_ids.len()
            )?;
        }
        Ok(())
    }
}
