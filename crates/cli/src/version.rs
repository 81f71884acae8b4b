//! `visionprep version [--verbose] [--json]`.

use crate::args::VersionArgs;
use std::io::Write;
use visionprep::report::VersionReport;

pub(crate) fn run(args: &VersionArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let report = VersionReport::new(args.verbose);
    if args.json {
        // Through a JSON value: its keys in order, as this command has always printed them.
        let value = serde_json::to_value(&report)?;
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        report.write_text(out)?;
    }
    Ok(())
}
