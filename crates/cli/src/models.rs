//! `visionprep models`: the price table in use.

use crate::args::PriceArgs;
use crate::cost::price_table;
use anyhow::Result;
use std::io::Write;

/// Lists every model with its tier, price and other names.
pub(crate) fn run(args: &PriceArgs, out: &mut dyn Write) -> Result<()> {
    let table = price_table(args)?;
    writeln!(
        out,
        "{:<28} {:<16} {:>10}  OTHER NAMES",
        "MODEL", "TIER", "$/MTOK"
    )?;
    for m in table.models() {
        writeln!(
            out,
            "{:<28} {:<16} {:>10}  {}",
            m.id,
            m.tier.as_str(),
            m.input_per_mtok.to_string(),
            m.aliases.join(", ")
        )?;
    }
    writeln!(out, "prices as of {}", table.as_of())?;
    Ok(())
}
