//! `visionprep models`: the model data in use.

use crate::args::ModelsArgs;
use crate::cost::price_table;
use anyhow::Result;
use std::io::Write;
use visionprep::core::{ModelPrice, PriceTable};
use visionprep::report::ModelListing;

/// Lists every model with its tier, price, context window, lifecycle and other names.
pub(crate) fn run(args: &ModelsArgs, out: &mut dyn Write) -> Result<()> {
    let table = price_table(&args.prices)?;
    let default = table.default_model().ok().map(|m| m.id.clone());
    if args.json {
        return json(&table, out);
    }
    writeln!(
        out,
        "{:<24} {:<16} {:>7} {:>8}  {:<54} OTHER NAMES",
        "MODEL", "TIER", "$/MTOK", "CONTEXT", "STATUS"
    )?;
    for m in table.models() {
        let mut status = m.lifecycle.to_string();
        if let Some(s) = &m.successor {
            status.push_str(&format!(" (use {s})"));
        }
        if default.as_deref() == Some(m.id.as_str()) {
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
        table.as_of(),
        default.as_deref().unwrap_or("none (name one with -m)")
    )?;
    Ok(())
}

fn json(table: &PriceTable, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer(&mut *out, &ModelListing::new(table))?;
    writeln!(out)?;
    Ok(())
}

/// `1M`, `200k`, or the exact count when it is neither a round thousand nor million.
fn context(tokens: u64) -> String {
    match tokens {
        t if t % 1_000_000 == 0 => format!("{}M", t / 1_000_000),
        t if t % 1_000 == 0 => format!("{}k", t / 1_000),
        t => t.to_string(),
    }
}

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
