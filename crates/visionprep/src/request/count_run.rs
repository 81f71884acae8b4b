//! `visionprep count` as a run: every request of every file sent to the count_tokens
//! endpoint, a row per request with the API's image tokens beside the estimate.

use super::count::{CountClient, count_bodies};
use super::finding::CheckOptions;
use super::read::Document;
use crate::report::group;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;

/// One request's counts, or why it was not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CountRow {
    /// The file.
    pub file: String,
    /// The line, for a JSON Lines file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The model counted for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The API's input tokens for the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_input_tokens: Option<u64>,
    /// The API's input tokens for the body without its images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_without_images: Option<u64>,
    /// Their difference: the images' tokens by the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_image_tokens: Option<i64>,
    /// The images' tokens by the estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_image_tokens: Option<u64>,
    /// The API's image tokens less the estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<i64>,
    /// Images in the body.
    pub images: usize,
    /// Blocks left out because count_tokens does not take them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stripped: Vec<String>,
    /// Why the request was not counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl CountRow {
    /// The row as `visionprep count` prints it: the counts and the difference from the
    /// estimate, or why it was not counted.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let at = match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        };
        let (Some(total), None) = (self.api_input_tokens, &self.error) else {
            if let Some(e) = &self.error {
                writeln!(out, "{at}: not counted: {e}")?;
            }
            return Ok(());
        };
        let model = self.model.as_deref().unwrap_or("");
        let estimate = self.estimated_image_tokens.unwrap_or(0);
        let diff = self.difference.unwrap_or(0);
        let pct = if estimate > 0 {
            format!(" ({:+.1}%)", diff as f64 * 100.0 / estimate as f64)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{at}: {model}: the API counts {} input tokens, {} without its {} images: images {} by the API, {} estimated, difference {diff:+}{pct}",
            group(total),
            group(self.api_without_images.unwrap_or(total)),
            self.images,
            self.api_image_tokens.unwrap_or(0),
            group(estimate),
        )?;
        if !self.stripped.is_empty() {
            writeln!(
                out,
                "{at}:   left out (count_tokens does not take them): {}",
                self.stripped.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Counts every request of every file with `client`, handing each row to `on_row` as it is
/// counted; returns every row. A file that cannot be read, a request that cannot be counted
/// and an API refusal are rows with their `error`; a refused API key stops the run (every
/// later request would be refused too).
pub fn count_files<E>(
    files: &[PathBuf],
    options: &CheckOptions,
    client: &CountClient,
    mut on_row: impl FnMut(&CountRow) -> Result<(), E>,
) -> Result<Vec<CountRow>, E> {
    let mut rows = Vec::new();
    let mut emit = |row: CountRow| -> Result<(), E> {
        on_row(&row)?;
        rows.push(row);
        Ok(())
    };
    'files: for file in files {
        let name = file.display().to_string();
        let row = |error: Option<String>| CountRow {
            file: name.clone(),
            error,
            ..CountRow::default()
        };
        let doc = match std::fs::read(file)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|b| Document::read(b).map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(e) => {
                emit(row(Some(e)))?;
                continue;
            }
        };
        for body in count_bodies(&doc, options) {
            let body = match body {
                Ok(b) => b,
                Err(refusal) => {
                    emit(row(Some(refusal.to_string())))?;
                    continue;
                }
            };
            let mut r = CountRow {
                line: body.line,
                model: Some(body.model.clone()),
                images: body.images,
                stripped: body.stripped.clone(),
                estimated_image_tokens: Some(body.estimate),
                ..row(None)
            };
            let mut fatal = false;
            match client.count_body(&body) {
                Ok(c) => {
                    r.api_input_tokens = Some(c.api_input_tokens);
                    r.api_without_images = Some(c.api_without_images);
                    r.api_image_tokens = Some(c.api_image_tokens);
                    r.difference = Some(c.difference);
                }
                Err(e) if e.is_auth() => {
                    r.error = Some(format!("{e} (check ANTHROPIC_API_KEY)"));
                    fatal = true;
                }
                Err(e) => r.error = Some(e.to_string()),
            }
            emit(r)?;
            if fatal {
                break 'files;
            }
        }
    }
    Ok(rows)
}
