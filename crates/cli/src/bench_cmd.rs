//! `visionprep bench`: arguments in, the library's benchmark, its report out.

use crate::args::{BenchArgs, BenchFormat};
use crate::cost::resolve;
use anyhow::Result;
use std::io::{IsTerminal, Write};
use visionprep_bench::{self as bench, BenchOptions, CompareOptions};

pub(crate) fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<()> {
    let mut settings = visionprep::Settings::default();
    settings.models = args.model.iter().cloned().collect();
    args.choice.apply(&mut settings);
    args.image.apply(&mut settings);
    let prepare = resolve(&settings)?.prepare;
    let options = BenchOptions {
        prepare,
        threads: args.threads.0.clone(),
        repeat: usize::try_from(args.repeat)?,
        compare: args.compare.then(|| CompareOptions {
            python: args.python.clone(),
            ..CompareOptions::default()
        }),
        sizes: args.sizes.clone(),
    };
    let loaded = bench::load(
        &args.paths,
        &options.prepare.limits,
        args.max_input_mb.saturating_mul(1_000_000),
    );
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let mut progress = |step: &str| {
        if show {
            eprintln!("visionprep bench: {step}");
        }
    };
    let report = bench::run(&loaded, &options, &mut progress)?;
    match args.format {
        BenchFormat::Table => report.write_text(out, args.stages)?,
        BenchFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
