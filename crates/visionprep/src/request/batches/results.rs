//! Reading a Message Batches results file and joining it to the map.

use super::writer::MapEntry;
use super::{BatchError, io};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use visionprep_core::{CostOptions, PriceTable, Usd};

/// One request's outcome in a results file, joined to the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultRow {
    /// The custom id.
    pub custom_id: String,
    /// `succeeded`, `errored`, `canceled` or `expired`.
    pub status: String,
    /// The images' paths, from the map (empty when the map does not know the id).
    pub paths: Vec<String>,
    /// Input tokens billed (prompt-cache tokens included), for a succeeded request.
    pub input_tokens: u64,
    /// Output tokens billed.
    pub output_tokens: u64,
    /// The images' tokens as estimated when the request was written.
    pub estimated_image_tokens: u64,
    /// The error message of an errored request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A results file joined to its map: rows and totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BatchResults {
    /// Every result, in the results file's order.
    pub rows: Vec<ResultRow>,
    /// Requests by status.
    pub statuses: std::collections::BTreeMap<String, u64>,
    /// Input tokens billed over the succeeded requests.
    pub input_tokens: u64,
    /// Output tokens billed.
    pub output_tokens: u64,
    /// The estimated image tokens of the succeeded requests.
    pub estimated_image_tokens: u64,
    /// What the billed input tokens cost at the batch price of each request's model
    /// (where the model data knows it).
    pub input_usd: Usd,
    /// The estimate's cost at the same price.
    pub estimated_usd: Usd,
    /// Ids in the results the map does not know.
    pub unknown_ids: Vec<String>,
    /// Ids of the map with no result.
    pub missing_ids: Vec<String>,
}

impl BatchResults {
    /// Requests that did not succeed (errored, canceled, expired) or have no result: what a
    /// rerun must send again.
    pub fn unfinished(&self) -> u64 {
        let succeeded = self.statuses.get("succeeded").copied().unwrap_or(0);
        (self.rows.len() as u64 - succeeded) + self.missing_ids.len() as u64
    }

    /// Billed input tokens less the estimated image tokens, per succeeded request: the
    /// prompt's text and the framing, which the estimate leaves out.
    pub fn text_tokens_per_request(&self) -> i128 {
        let succeeded = self.statuses.get("succeeded").copied().unwrap_or(0);
        let difference = self.input_tokens as i128 - self.estimated_image_tokens as i128;
        if succeeded > 0 {
            difference / succeeded as i128
        } else {
            0
        }
    }
}

/// Reads a Message Batches results file (JSONL, as the API returns it) and joins it to the
/// map written with the batch files. Billed input tokens include the prompt's text; the
/// estimate counts only images, so their difference is the text and framing of each request.
/// `map` is the map file, or the folder the batch files were written to.
pub fn read_results(
    results: &Path,
    map: &Path,
    table: &PriceTable,
) -> Result<BatchResults, BatchError> {
    let in_folder;
    let map = if map.is_dir() {
        in_folder = map.join(super::MAP_NAME);
        &in_folder
    } else {
        map
    };
    let mut known: HashMap<String, MapEntry> = HashMap::new();
    let mut order = Vec::new();
    let map_file = File::open(map).map_err(io(map))?;
    for (n, line) in BufReader::new(map_file).lines().enumerate() {
        let line = line.map_err(io(map))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: MapEntry = serde_json::from_str(&line).map_err(|e| BatchError::Results {
            path: map.display().to_string(),
            line: n + 1,
            reason: format!("not a visionprep batch map line: {e}"),
        })?;
        order.push(entry.custom_id.clone());
        known.insert(entry.custom_id.clone(), entry);
    }
    let batch = CostOptions {
        batch: true,
        ..CostOptions::default()
    };
    let mut out = BatchResults::default();
    let mut seen = HashSet::new();
    let file = File::open(results).map_err(io(results))?;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(results))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: &str| BatchError::Results {
            path: results.display().to_string(),
            line: n + 1,
            reason: reason.to_owned(),
        };
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| bad(&e.to_string()))?;
        let id = value
            .get("custom_id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("no custom_id"))?
            .to_owned();
        let result = value.get("result").ok_or_else(|| bad("no result"))?;
        let status = result
            .get("type")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("no result type"))?
            .to_owned();
        let usage = result.pointer("/message/usage");
        let count = |field: &str| {
            usage
                .and_then(|u| u.get(field))
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        };
        let input = count("input_tokens")
            + count("cache_creation_input_tokens")
            + count("cache_read_input_tokens");
        let output = count("output_tokens");
        let error = result
            .pointer("/error/error/message")
            .or_else(|| result.pointer("/error/message"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let entry = known.get(&id);
        if entry.is_none() {
            out.unknown_ids.push(id.clone());
        }
        seen.insert(id.clone());
        *out.statuses.entry(status.clone()).or_default() += 1;
        let estimated = entry.map_or(0, |e| e.image_tokens);
        if status == "succeeded" {
            out.input_tokens += input;
            out.output_tokens += output;
            out.estimated_image_tokens += estimated;
            let model = result
                .pointer("/message/model")
                .and_then(|v| v.as_str())
                .or(entry.map(|e| e.model.as_str()));
            if let Some(m) = model.and_then(|m| table.get(m).ok()) {
                out.input_usd += table.cost(m, input, &batch);
                out.estimated_usd += table.cost(m, estimated, &batch);
            }
        }
        out.rows.push(ResultRow {
            custom_id: id,
            status,
            paths: entry.map(|e| e.paths.clone()).unwrap_or_default(),
            input_tokens: input,
            output_tokens: output,
            estimated_image_tokens: estimated,
            error,
        });
    }
    out.missing_ids = order.into_iter().filter(|id| !seen.contains(id)).collect();
    Ok(out)
}
