//! The model data as a listing: `visionprep models --json` and the Python `models()`.

use serde::Serialize;
use std::io::{self, Write};
use visionprep_core::{ModelPrice, PriceTable};

/// One model of a [`ModelListing`]: its entry in the data and the images a request to it
/// may hold.
#[derive(Debug, Serialize)]
pub struct ListedModel<'a> {
    /// The model's entry (id, aliases, tier, price, context window, lifecycle, ...).
    #[serde(flatten)]
    pub model: &'a ModelPrice,
    /// Images (and documents) a request to it may hold.
    pub images_per_request: u32,
}

/// The whole model data in use, with its date and the default model.
#[derive(Debug, Serialize)]
pub struct ModelListing<'a> {
    /// The date the data describes.
    pub as_of: &'a str,
    /// Where the figures come from.
    pub source: Option<&'a str>,
    /// The model used when none is named ([`PriceTable::default_model`]).
    pub default_model: Option<&'a str>,
    /// Every model, in the data's order.
    pub models: Vec<ListedModel<'a>>,
}

impl<'a> ModelListing<'a> {
    /// The listing of `table`.
    pub fn new(table: &'a PriceTable) -> Self {
        ModelListing {
            as_of: table.as_of(),
            source: table.source(),
            default_model: table.default_model().ok().map(|m| m.id.as_str()),
            models: table
                .models()
                .iter()
                .map(|model| ListedModel {
                    model,
                    images_per_request: model.images_per_request(),
                })
                .collect(),
        }
    }
}

impl ModelListing<'_> {
    /// The listing as `visionprep models` prints it: a row per model (tier, price per million
    /// input tokens, context window, lifecycle with successor and default, other names), then
    /// the data's date and the default model.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{:<24} {:<16} {:>7} {:>8}  {:<54} OTHER NAMES",
            "MODEL", "TIER", "$/MTOK", "CONTEXT", "STATUS"
        )?;
        for listed in &self.models {
            let m = listed.model;
            let mut status = m.lifecycle.to_string();
            if let Some(s) = &m.successor {
                status.push_str(&format!(" (use {s})"));
            }
            if self.default_model == Some(m.id.as_str()) {
                status.push_str(" (default)");
            }
            writeln!(
                out,
                "{:<24} {:<16} {:>7} {:>8}  {:<54} {}",
                m.id,
                m.tier.as_str(),
                m.input_per_mtok.to_string(),
                context(m.context()),
                status,
                other_names(m)
            )?;
        }
        writeln!(
            out,
            "model data as of {}; default model {}",
            self.as_of,
            self.default_model.unwrap_or("none (name one with -m)")
        )
    }
}

/// `1M`, `200k`, or the exact count when it is neither a round thousand nor million.
fn context(tokens: u64) -> String {
    match tokens {
        t if t % 1_000_000 == 0 => format!("{}M", t / 1_000_000),
        t if t % 1_000 == 0 => format!("{}k", t / 1_000),
        t => t.to_string(),
    }
}

/// Aliases, then the id on each cloud platform that has one.
fn other_names(m: &ModelPrice) -> String {
    let platforms = [
        ("bedrock", &m.platform_ids.bedrock),
        ("vertex", &m.platform_ids.vertex),
        ("foundry", &m.platform_ids.foundry),
    ];
    m.aliases
        .iter()
        .cloned()
        .chain(
            platforms
                .into_iter()
                .filter_map(|(p, id)| id.as_ref().map(|id| format!("{p}: {id}"))),
        )
        .collect::<Vec<_>>()
        .join(", ")
}
