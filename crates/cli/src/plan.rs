//! `visionprep plan`: the fit rule and prices for one size, no file needed.

use crate::args::PlanArgs;
use crate::cost::resolve;
use anyhow::Result;
use std::io::Write;
use visionprep::core::Size;
use visionprep::report::PlanReport;

pub(crate) fn run(args: &PlanArgs, out: &mut dyn Write) -> Result<()> {
    let resolved = resolve(&args.estimate.settings())?;
    let size = Size::new(args.width, args.height);
    let report = PlanReport::new(&resolved.estimator, size, resolved.table.as_of());
    if args.json {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        report.write_text(out)?;
    }
    Ok(())
}
