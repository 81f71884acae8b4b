//! `visionprep models`: the model data in use.

use crate::args::ModelsArgs;
use crate::cost::price_table;
use anyhow::Result;
use std::io::Write;
use visionprep::report::ModelListing;

/// Lists every model with its tier, price, context window, lifecycle and other names.
pub(crate) fn run(args: &ModelsArgs, out: &mut dyn Write) -> Result<()> {
    let table = price_table(&args.prices)?;
    let listing = ModelListing::new(&table);
    if args.json {
        serde_json::to_writer(&mut *out, &listing)?;
        writeln!(out)?;
    } else {
        listing.write_text(out)?;
    }
    Ok(())
}
