//! `visionprep count`: the opt-in live cross-check against the count_tokens endpoint.

use crate::args::CountArgs;
use crate::body_cmd::check_options;
use anyhow::{Result, bail};
use std::io::Write;
use visionprep::report::group;
use visionprep::request::{CountClient, Document, count_bodies};

/// One request's counts.
#[derive(serde::Serialize)]
struct Row {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_without_images: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_image_tokens: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimated_image_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    difference: Option<i64>,
    images: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stripped: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

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
    let mut failed = 0u64;
    let mut rows = Vec::new();
    'files: for file in &args.files {
        let name = file.display().to_string();
        let row = |error: Option<String>| Row {
            file: name.clone(),
            line: None,
            model: None,
            api_input_tokens: None,
            api_without_images: None,
            api_image_tokens: None,
            estimated_image_tokens: None,
            difference: None,
            images: 0,
            stripped: Vec::new(),
            error,
        };
        let doc = match std::fs::read(file)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|b| Document::read(b).map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(e) => {
                failed += 1;
                emit(out, args.json, &mut rows, row(Some(e)))?;
                continue;
            }
        };
        for body in count_bodies(&doc, &options) {
            let mut r = row(None);
            let body = match body {
                Ok(b) => b,
                Err(refusal) => {
                    failed += 1;
                    r.error = Some(refusal.to_string());
                    emit(out, args.json, &mut rows, r)?;
                    continue;
                }
            };
            r.line = body.line;
            r.model = Some(body.model.clone());
            r.images = body.images;
            r.stripped = body.stripped.clone();
            r.estimated_image_tokens = Some(body.estimate);
            let fatal = match client.count_body(&body) {
                Ok(c) => {
                    r.api_input_tokens = Some(c.api_input_tokens);
                    r.api_without_images = Some(c.api_without_images);
                    r.api_image_tokens = Some(c.api_image_tokens);
                    r.difference = Some(c.difference);
                    false
                }
                Err(e) => {
                    failed += 1;
                    r.error = Some(if e.is_auth() {
                        format!("{e} (check ANTHROPIC_API_KEY)")
                    } else {
                        e.to_string()
                    });
                    e.is_auth()
                }
            };
            emit(out, args.json, &mut rows, r)?;
            if fatal {
                break 'files;
            }
        }
    }
    if args.json {
        serde_json::to_writer(&mut *out, &rows)?;
        writeln!(out)?;
    }
    Ok(failed)
}

fn emit(out: &mut dyn Write, json: bool, rows: &mut Vec<Row>, row: Row) -> Result<()> {
    if !json {
        let at = match row.line {
            Some(l) => format!("{}:{l}", row.file),
            None => row.file.clone(),
        };
        match (&row.error, row.api_input_tokens) {
            (Some(e), _) => writeln!(out, "{at}: not counted: {e}")?,
            (None, Some(total)) => {
                let model = row.model.as_deref().unwrap_or("");
                let api_images = row.api_image_tokens.unwrap_or(0);
                let estimate = row.estimated_image_tokens.unwrap_or(0);
                let diff = row.difference.unwrap_or(0);
                let pct = if estimate > 0 {
                    format!(" ({:+.1}%)", diff as f64 * 100.0 / estimate as f64)
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{at}: {model}: the API counts {} input tokens, {} without its {} images: images {} by the API, {} estimated, difference {diff:+}{pct}",
                    group(total),
                    group(row.api_without_images.unwrap_or(total)),
                    row.images,
                    api_images,
                    group(estimate),
                )?;
                if !row.stripped.is_empty() {
                    writeln!(
                        out,
                        "{at}:   left out (count_tokens does not take them): {}",
                        row.stripped.join(", ")
                    )?;
                }
            }
            (None, None) => {}
        }
    }
    rows.push(row);
    Ok(())
}
