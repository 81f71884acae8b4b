//! `visionprep count`: the opt-in live cross-check against the count_tokens endpoint.

use crate::args::CountArgs;
use crate::body_cmd::check_options;
use anyhow::{Result, bail};
use std::io::Write;
use visionprep::request::{CountClient, count_files};

/// Counts every request of every file; returns how many could not be counted.
pub(crate) fn run(args: &CountArgs, out: &mut dyn Write) -> Result<u64> {
    let options = check_options(&args.target)?;
    let Some(key) = std::env::var("ANTHROPIC_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
    else {
        bail!(
            "count sends bodies to the API's count_tokens endpoint: set ANTHROPIC_API_KEY (nothing was sent)"
        );
    };
    let base = args
        .base_url
        .clone()
        .or_else(|| std::env::var("ANTHROPIC_BASE_URL").ok())
        .unwrap_or_else(|| "https://api.anthropic.com".to_owned());
    let client = CountClient::new(base, key.trim());
    let rows = count_files(&args.files, &options, &client, |row| match args.json {
        true => Ok(()),
        false => row.write_text(out),
    })?;
    if args.json {
        serde_json::to_writer(&mut *out, &rows)?;
        writeln!(out)?;
    }
    Ok(rows.iter().filter(|r| r.error.is_some()).count() as u64)
}
