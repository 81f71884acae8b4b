//! `visionprep prepare`: arguments in, the library's folder run, the report out.

use crate::args::PrepareArgs;
use crate::cost::{progress_bar, resolve};
use anyhow::Result;
use std::io::Write;
use visionprep::folder::{RunOptions, Step, prepare_folder};
use visionprep::report::PrepareReport;

pub(crate) fn run(args: &PrepareArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let resolved = resolve(&p.settings())?;
    let (options, assessor) = (&resolved.prepare, resolved.prepare_assessor()?);
    let run = RunOptions {
        jobs: p.walk.jobs,
        hidden: p.walk.hidden,
        force: args.force,
        prune: args.prune,
    };
    let progress = progress_bar(p.walk.no_progress);
    let mut sink = PrepareReport::new(args.format.into(), out)?;
    let summary = prepare_folder::<anyhow::Error>(
        &args.paths,
        &args.out,
        options,
        &assessor,
        &run,
        |step| {
            progress.inc(1);
            match step {
                Step::Row(row) => Ok(sink.row(row)?),
                Step::Skipped => Ok(()),
            }
        },
    )?;
    progress.finish_and_clear();
    if let Some(message) = &summary.disk_full {
        eprintln!(
            "visionprep: stopped: the output disk is full ({message}); files after it were not \
             prepared, the report lists what was done"
        );
    }
    for orphan in &summary.orphans {
        let (output, input) = (orphan.output.display(), &orphan.input);
        if orphan.pruned {
            eprintln!("visionprep: pruned {output} (its input {input} is gone)");
        } else {
            eprintln!(
                "visionprep: orphaned: {output} (its input {input} is gone; --prune removes it)"
            );
        }
    }
    if let Some(e) = &summary.manifest_error {
        eprintln!("visionprep: warning: {e}: the next run will prepare everything again");
    }
    sink.finish(&summary.totals)?;
    Ok(summary.totals.errors)
}
