//! What preparing a folder reports: a row per input (and per tile), the totals, and the
//! outputs of earlier runs whose inputs are gone.

use super::walk::path_text;
use crate::prepare::Prepared;
use std::path::{Path, PathBuf};
use visionprep_core::{FileReport, ModelStatus, Rect, Usd};

/// One line of a prepare report: the cost fields of the input and what was written. Its JSON
/// form is the `files` entries of `visionprep prepare --format json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct PrepareRow {
    /// The input's cost report (with its error when it failed).
    #[serde(flatten)]
    pub input: FileReport,
    /// The output's path (escaped when not UTF-8, see `output_path_escaped`).
    pub output_path: Option<String>,
    /// Whether `output_path` is escaped (a name that is not UTF-8, see `PathText`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub output_path_escaped: bool,
    /// The output's size in bytes.
    pub output_bytes: Option<u64>,
    /// The output's media type (unknown for an output kept from an earlier run).
    pub output_media_type: Option<&'static str>,
    /// The output's width.
    pub output_width: Option<u32>,
    /// The output's height.
    pub output_height: Option<u32>,
    /// Tokens the output costs.
    pub output_tokens: Option<u64>,
    /// What those tokens cost.
    pub output_usd: Option<Usd>,
    /// What was done (`resized`, `reencoded`, ...; `up-to-date`; `stale: tier changed`).
    pub actions: Vec<&'static str>,
    /// The tiles written, in order, when the input was cut into tiles: `output_bytes`,
    /// `output_tokens` and `output_usd` are then their sums, `output_width` and
    /// `output_height` one tile's size, `output_path` the first tile's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiles: Vec<TileRow>,
    /// Tokens of the input sent whole instead, when it was cut into tiles: the price of
    /// legibility is `output_tokens` less this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whole_tokens: Option<u64>,
    /// What `whole_tokens` cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whole_usd: Option<Usd>,
}

/// One tile of a [`PrepareRow`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct TileRow {
    /// The tile's path (escaped when not UTF-8).
    pub output_path: String,
    /// Whether `output_path` is escaped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub output_path_escaped: bool,
    /// Its size in bytes.
    pub output_bytes: u64,
    /// Its media type.
    pub output_media_type: &'static str,
    /// Its width.
    pub output_width: u32,
    /// Its height.
    pub output_height: u32,
    /// Its tokens.
    pub output_tokens: u64,
    /// What those cost.
    pub output_usd: Usd,
    /// The part of the input it shows.
    pub region: Rect,
}

impl PrepareRow {
    pub(super) fn plain(input: FileReport) -> PrepareRow {
        PrepareRow {
            input,
            output_path: None,
            output_path_escaped: false,
            output_bytes: None,
            output_media_type: None,
            output_width: None,
            output_height: None,
            output_tokens: None,
            output_usd: None,
            actions: Vec::new(),
            tiles: Vec::new(),
            whole_tokens: None,
            whole_usd: None,
        }
    }

    pub(super) fn tiled(
        input: FileReport,
        parts: &[(Prepared, PathBuf)],
        whole: (u64, Usd),
    ) -> PrepareRow {
        let tiles: Vec<TileRow> = parts
            .iter()
            .map(|(p, target)| {
                let text = path_text(target);
                TileRow {
                    output_path: text.text,
                    output_path_escaped: text.escaped,
                    output_bytes: p.bytes.len() as u64,
                    output_media_type: p.media_type.as_str(),
                    output_width: p.output_size.width,
                    output_height: p.output_size.height,
                    output_tokens: p.tokens,
                    output_usd: p.usd,
                    region: p.tile.map_or(Rect::whole(p.input_size), |t| t.region),
                }
            })
            .collect();
        let Some((first, target)) = parts.first() else {
            return PrepareRow::plain(input);
        };
        let mut row = PrepareRow::written(input, first, target);
        row.output_bytes = Some(tiles.iter().map(|t| t.output_bytes).sum());
        row.output_tokens = Some(tiles.iter().map(|t| t.output_tokens).sum());
        row.output_usd = Some(tiles.iter().map(|t| t.output_usd).sum());
        row.tiles = tiles;
        row.whole_tokens = Some(whole.0);
        row.whole_usd = Some(whole.1);
        row
    }

    pub(super) fn written(input: FileReport, p: &Prepared, target: &Path) -> PrepareRow {
        let text = path_text(target);
        PrepareRow {
            output_path: Some(text.text),
            output_path_escaped: text.escaped,
            output_bytes: Some(p.bytes.len() as u64),
            output_media_type: Some(p.media_type.as_str()),
            output_width: Some(p.output_size.width),
            output_height: Some(p.output_size.height),
            output_tokens: Some(p.tokens),
            output_usd: Some(p.usd),
            actions: p.actions.names(),
            ..PrepareRow::plain(input)
        }
    }
}

/// The totals of a prepare run: the `totals` of `visionprep prepare --format json`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct PrepareTotals {
    /// Files reported (skipped non-images not counted).
    pub files: u64,
    /// Outputs written.
    pub prepared: u64,
    /// Outputs kept from an earlier run.
    pub up_to_date: u64,
    /// Files that failed.
    pub errors: u64,
    /// Non-images passed over in folders.
    pub skipped: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes of the outputs (written or kept).
    pub bytes_out: u64,
    /// The model the outputs are for.
    pub model: String,
    /// Its lifecycle.
    pub model_status: Option<ModelStatus>,
    /// Outputs whose input is gone (kept unless pruned).
    pub orphaned: u64,
    /// Tokens of the inputs as they were.
    pub tokens_as_is: u64,
    /// What those would cost.
    pub usd_as_is: Usd,
    /// Tokens of the outputs.
    pub tokens: u64,
    /// What those cost.
    pub usd: Usd,
}

/// An output whose input is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The input, as the manifest recorded it.
    pub input: String,
    /// The output's path.
    pub output: PathBuf,
    /// Whether it was deleted (`prune`).
    pub pruned: bool,
}

/// What a prepare run did, beyond its rows.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PrepareSummary {
    /// The totals.
    pub totals: PrepareTotals,
    /// Outputs whose input is gone, pruned or not.
    pub orphans: Vec<Orphan>,
    /// Set when the run stopped because the output disk is full: the failed write's message.
    pub disk_full: Option<String>,
    /// Set when the manifest could not be saved (the next run prepares everything again).
    pub manifest_error: Option<String>,
}
