//! The `visionprep` command. Glue only: parse arguments, run, map the outcome to an exit code.

#![forbid(unsafe_code)]

mod allocator;
mod args;
mod batch_cmd;
mod bench_cmd;
mod body_cmd;
mod cost;
#[cfg(feature = "count")]
mod count_cmd;
mod docs_cmd;
mod flags;
mod models;
mod plan;
mod prepare_cmd;
#[cfg(feature = "proxy")]
mod proxy_cmd;
mod request_cmd;
mod version;

use args::{Cli, Command};
use clap::Parser;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Prepare(_) | Command::Request(_) | Command::Batch(_)
    ) {
        allocator::restart_with(allocator::IMAGES);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = match &cli.command {
        Command::Plan(a) => plan::run(a, &mut out).map(|()| ExitCode::SUCCESS),
        Command::Cost(a) => cost::run(a, &mut out).map(|totals| failures(totals.errors)),
        Command::Prepare(a) => prepare_cmd::run(a, &mut out).map(failures),
        Command::Request(a) => request_cmd::run(a, &mut out).map(failures),
        Command::Check(a) => body_cmd::check(a, &mut out).map(failures),
        Command::Repair(a) => body_cmd::repair(a, &mut out).map(failures),
        #[cfg(feature = "count")]
        Command::Count(a) => count_cmd::run(a, &mut out).map(failures),
        Command::Batch(a) => batch_cmd::run(a, &mut out).map(failures),
        Command::BatchResults(a) => batch_cmd::results(a, &mut out).map(failures),
        #[cfg(feature = "proxy")]
        Command::Proxy(a) => proxy_cmd::run(a, &mut out).map(|()| ExitCode::SUCCESS),
        Command::Bench(a) => bench_cmd::run(a, &mut out).map(|()| ExitCode::SUCCESS),
        Command::Models(a) => models::run(a, &mut out).map(|()| ExitCode::SUCCESS),
        Command::Version(a) => version::run(a, &mut out).map(|()| ExitCode::SUCCESS),
        Command::Completions(a) => docs_cmd::completions(a, &mut out).map(|()| ExitCode::SUCCESS),
        Command::Man(a) => docs_cmd::man(a, &mut out).map(|()| ExitCode::SUCCESS),
    };
    let flushed = out.flush();
    match result.and_then(|code| flushed.map(|()| code).map_err(Into::into)) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("visionprep: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Exit status 1 when any file failed, 0 otherwise.
fn failures(failed: u64) -> ExitCode {
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
