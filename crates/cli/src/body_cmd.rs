//! `visionprep check` and `visionprep repair`: bodies and transcripts as they are.

use crate::args::{BodyTargetArgs, CheckArgs, RepairArgs, ReportFormat};
use crate::cost::price_table;
use anyhow::Result;
use std::io::Write;
use visionprep::report::{CheckedFile, RepairJson, write_repair_text};
use visionprep::request::{
    CheckOptions, LinesInput, RepairOptions, RepairTarget, check_lines, repair_file,
};

/// The check options of the command line; an unknown --model is a usage error.
pub(crate) fn check_options(args: &BodyTargetArgs) -> Result<CheckOptions> {
    let mut options =
        CheckOptions::for_model(args.profile, args.model.clone(), price_table(&args.prices)?)?;
    options.force_model = args.override_model;
    options.token_rule = args.token_rule;
    Ok(options)
}

/// `visionprep check`: returns how many files the API would refuse (or could not be read).
pub(crate) fn check(args: &CheckArgs, out: &mut dyn Write) -> Result<u64> {
    let options = check_options(&args.target)?;
    let json = args.json || args.format == ReportFormat::Json;
    let mut bad = 0u64;
    let mut reports = Vec::new();
    for file in &args.files {
        let checked = check_lines(LinesInput::Path(file), args.input_format, &options);
        let report = CheckedFile::new(file.display().to_string(), checked);
        bad += u64::from(!report.passes);
        if !json {
            report.write_text(out)?;
        }
        reports.push(report);
    }
    if json {
        serde_json::to_writer(&mut *out, &reports)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(bad)
}

/// `visionprep repair`: returns 1 when the output would still be refused, 0 otherwise.
pub(crate) fn repair(args: &RepairArgs, out: &mut dyn Write) -> Result<u64> {
    let options = RepairOptions {
        check: check_options(&args.target)?,
        shrink: args.shrink,
        drop_unreadable: args.drop_unreadable,
        quality: args.quality,
        output: args.output_format,
    };
    let target = match (&args.out, args.in_place, args.dry_run) {
        (_, _, true) => RepairTarget::DryRun,
        (_, true, _) => RepairTarget::InPlace,
        (Some(out), _, _) => RepairTarget::File(out.clone()),
        (None, false, false) => anyhow::bail!("give --out FILE, --in-place or --dry-run"),
    };
    let name = args.input.display().to_string();
    let report = repair_file(&args.input, &target, args.input_format, &options)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if args.json || args.format == ReportFormat::Json {
        serde_json::to_writer(&mut *out, &RepairJson::new(&name, &report))?;
        writeln!(out)?;
    } else {
        write_repair_text(out, &name, &report, &target)?;
    }
    Ok(u64::from(report.remaining().next().is_some()))
}
