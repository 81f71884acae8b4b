//! `visionprep plan`: the fit rule and prices for one size, no file needed.

use crate::args::PlanArgs;
use crate::cost::resolve;
use anyhow::Result;
use std::io::Write;

pub(crate) fn run(args: &PlanArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = resolve(&args.estimate.settings())?;
    let report = resolved.plan(args.width, args.height)?;
    if args.json {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        report.write_text(out)?;
    }
    Ok(())
}
