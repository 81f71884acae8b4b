//! Writing batch files: request lines rolled over into a new file at the batch limits, and the
//! map from each `custom_id` back to its images.

use super::ids::valid_id;
use super::{BatchError, MAP_NAME, io};
use crate::folder::{remove_stale_temps, temp_file};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;
use visionprep_core::ErrorCode;
use visionprep_core::request::MessagesRequest;
use visionprep_core::{BatchLimits, Usd};

/// One request of the map: where its line is, what made it, and its estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapEntry {
    /// The request's custom id.
    pub custom_id: String,
    /// The batch file holding its line (a name in the map's folder).
    pub file: String,
    /// Where the line starts in that file, in bytes.
    pub offset: u64,
    /// The line's length in bytes, its newline included.
    pub length: u64,
    /// The images' paths, as walked or given, in the request's order.
    pub paths: Vec<String>,
    /// Each image's size and modification time (ns) when it was prepared; empty for images
    /// that were not files.
    #[serde(default)]
    pub stamps: Vec<(u64, u128)>,
    /// What the options that made it were (the prepare options and the request text): a
    /// rerun with other options makes the request anew.
    #[serde(default)]
    pub key: String,
    /// The model the request is for.
    pub model: String,
    /// The images' tokens, estimated.
    pub image_tokens: u64,
    /// Their cost at the batch price, exact (a decimal string).
    pub usd: String,
}

/// What a finished [`BatchFiles`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BatchSummary {
    /// The batch files, in order, with their request count and bytes.
    pub files: Vec<BatchFileSummary>,
    /// Requests written.
    pub requests: u64,
    /// Of those, copied from an earlier run's files.
    pub reused: u64,
    /// Images in them.
    pub images: u64,
    /// The images' estimated tokens.
    pub image_tokens: u64,
    /// Their cost at the batch price.
    pub usd: Usd,
    /// Images that could not be prepared or placed, with their code and reason (written
    /// `path: reason` in JSON).
    pub failed: Vec<FailedImage>,
    /// The map file.
    pub map: PathBuf,
}

/// An image that went into no request: its path, the code and the reason. Written as
/// `path: reason`, as a report line would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedImage {
    /// The image's path, as reports write it.
    pub path: String,
    /// Why, as a stable code.
    pub code: ErrorCode,
    /// Why, in words.
    pub message: String,
}

impl FailedImage {
    /// `item`'s probe for preparing it, from the assessor's row: `None` for a file that is
    /// not an image (passed over), the row's failure for one that cannot be read.
    pub(crate) fn probe(
        assessor: &crate::folder::Assessor,
        item: &crate::folder::Item,
        path: &str,
    ) -> Option<Result<crate::Probe, FailedImage>> {
        use crate::folder::Outcome;
        match assessor.assess_probed(item) {
            (Outcome::NotAnImage, _) => None,
            (Outcome::Report(r), Some(probe)) if r.error.is_none() => Some(Ok(probe)),
            (Outcome::Report(r), _) => {
                let (code, message) = r.error.map_or((ErrorCode::Unreadable, String::new()), |e| {
                    (e.code, e.message)
                });
                Some(Err(FailedImage {
                    path: path.to_owned(),
                    code,
                    message,
                }))
            }
        }
    }

    /// The failure of preparing the image at `path`.
    pub(crate) fn prepare(path: &str, e: &crate::Error) -> FailedImage {
        FailedImage {
            path: path.to_owned(),
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl std::fmt::Display for FailedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Serialize for FailedImage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One batch file of a [`BatchSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchFileSummary {
    /// Its path.
    pub path: PathBuf,
    /// Its requests.
    pub requests: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The batch file being written: a temporary file renamed into place by
/// [`BatchFiles::finish`].
struct OpenFile {
    name: String,
    out: BufWriter<NamedTempFile>,
    requests: u64,
    bytes: u64,
}

/// Writes request lines into `batch-001.jsonl`, `batch-002.jsonl`, ... in a folder, each
/// within the [`BatchLimits`], and the map beside them. Nothing replaces the folder's
/// earlier files until [`BatchFiles::finish`]: a run stopped half way leaves the last
/// complete set as it was.
pub struct BatchFiles {
    dir: PathBuf,
    limits: BatchLimits,
    open: Option<OpenFile>,
    /// Closed files: name, requests, bytes, and the temporary file holding them.
    done: Vec<(String, u64, u64, NamedTempFile)>,
    pub(super) entries: Vec<MapEntry>,
    ids: HashMap<String, String>,
    summary: BatchSummary,
}

impl std::fmt::Debug for BatchFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchFiles")
            .field("dir", &self.dir)
            .field("requests", &self.summary.requests)
            .finish()
    }
}

impl BatchFiles {
    /// Batch files in `dir` (created if missing), within `limits`.
    pub fn new(dir: &Path, limits: BatchLimits) -> Result<BatchFiles, BatchError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        remove_stale_temps(dir);
        Ok(BatchFiles {
            dir: dir.to_path_buf(),
            limits,
            open: None,
            done: Vec::new(),
            entries: Vec::new(),
            ids: HashMap::new(),
            summary: BatchSummary::default(),
        })
    }

    /// Requests added so far.
    pub fn requests(&self) -> u64 {
        self.summary.requests
    }

    /// Adds one request: `body` under `entry.custom_id`. The entry's file, offset and length
    /// are filled in here.
    pub fn add(&mut self, body: &MessagesRequest, entry: MapEntry) -> Result<(), BatchError> {
        let params = serde_json::to_string(body).map_err(|e| BatchError::Io {
            path: self.dir.display().to_string(),
            source: e.into(),
        })?;
        self.add_params(&params, entry)
    }

    /// Adds one request whose body is already JSON text (a line built elsewhere: another
    /// process, a Ray worker). The text is written as given, once checked to be one JSON
    /// object with no line break (a pretty-printed body would break the JSON Lines file).
    pub fn add_params(&mut self, params: &str, entry: MapEntry) -> Result<(), BatchError> {
        let invalid = |why: String| BatchError::InvalidParams {
            id: entry.custom_id.clone(),
            reason: format!("its params are not one JSON object on one line: {why}"),
        };
        if params.contains(['\n', '\r']) {
            return Err(invalid("it holds a line break".into()));
        }
        if !params.trim_start().starts_with('{') {
            return Err(invalid("it is not an object".into()));
        }
        serde_json::from_str::<serde::de::IgnoredAny>(params)
            .map_err(|e| invalid(e.to_string()))?;
        let mut line = String::from("{\"custom_id\":");
        line.push_str(&serde_json::Value::from(entry.custom_id.as_str()).to_string());
        line.push_str(",\"params\":");
        line.push_str(params);
        line.push_str("}\n");
        self.add_line(line.as_bytes(), entry, false)
    }

    /// Adds a whole line (`{"custom_id": ..., "params": ...}` and its newline).
    pub(super) fn add_line(
        &mut self,
        line: &[u8],
        mut entry: MapEntry,
        reused: bool,
    ) -> Result<(), BatchError> {
        if !valid_id(&entry.custom_id) {
            return Err(BatchError::Template {
                template: entry.custom_id.clone(),
                reason: "not a valid custom id (^[a-zA-Z0-9_-]{1,64}$)".into(),
            });
        }
        let first = entry.paths.first().cloned().unwrap_or_default();
        if let Some(other) = self.ids.get(&entry.custom_id) {
            return Err(BatchError::DuplicateId {
                id: entry.custom_id.clone(),
                path: first,
                other: other.clone(),
            });
        }
        let usd: Usd = entry.usd.parse().map_err(|_| BatchError::InvalidParams {
            id: entry.custom_id.clone(),
            reason: format!("its cost {:?} is not an amount in dollars", entry.usd),
        })?;
        let len = line.len() as u64;
        if len > self.limits.max_bytes {
            return Err(BatchError::LineTooLarge {
                id: entry.custom_id,
                bytes: len,
                limit: self.limits.max_bytes,
            });
        }
        let full = self.open.as_ref().is_some_and(|f| {
            f.requests + 1 > self.limits.max_requests || f.bytes + len > self.limits.max_bytes
        });
        if full {
            self.close_file()?;
        }
        if self.open.is_none() {
            let name = format!("batch-{:03}.jsonl", self.done.len() + 1);
            let temp = temp_file(&self.dir).map_err(io(&self.dir))?;
            self.open = Some(OpenFile {
                name,
                out: BufWriter::with_capacity(1 << 20, temp),
                requests: 0,
                bytes: 0,
            });
        }
        let Some(file) = self.open.as_mut() else {
            return Ok(());
        };
        let path = self.dir.join(&file.name);
        file.out.write_all(line).map_err(io(&path))?;
        entry.file = file.name.clone();
        entry.offset = file.bytes;
        entry.length = len;
        file.requests += 1;
        file.bytes += len;
        self.ids.insert(entry.custom_id.clone(), first);
        self.summary.requests += 1;
        self.summary.reused += u64::from(reused);
        self.summary.images += entry.paths.len() as u64;
        self.summary.image_tokens += entry.image_tokens;
        self.summary.usd += usd;
        self.entries.push(entry);
        Ok(())
    }

    /// Notes an image that could not go in any request.
    pub fn failed(&mut self, image: FailedImage) {
        self.summary.failed.push(image);
    }

    fn close_file(&mut self) -> Result<(), BatchError> {
        if let Some(file) = self.open.take() {
            let path = self.dir.join(&file.name);
            let temp = file
                .out
                .into_inner()
                .map_err(|e| io(&path)(e.into_error()))?;
            temp.as_file().sync_all().map_err(io(&path))?;
            self.done.push((file.name, file.requests, file.bytes, temp));
        }
        Ok(())
    }

    /// Renames every file into place, removes the earlier run's files that are not
    /// written again, and writes the map.
    pub fn finish(mut self) -> Result<BatchSummary, BatchError> {
        self.close_file()?;
        let mut names = HashSet::new();
        for (name, requests, bytes, temp) in self.done.drain(..) {
            let path = self.dir.join(&name);
            temp.persist(&path).map_err(|e| io(&path)(e.error))?;
            names.insert(name);
            self.summary.files.push(BatchFileSummary {
                path,
                requests,
                bytes,
            });
        }
        // Files of an earlier, larger run: batch-NNN.jsonl not written this time.
        if let Ok(listing) = std::fs::read_dir(&self.dir) {
            for e in listing.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let ours = name.starts_with("batch-")
                    && name.ends_with(".jsonl")
                    && name[6..name.len() - 6].bytes().all(|b| b.is_ascii_digit());
                if ours && !names.contains(&name) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let map = self.dir.join(MAP_NAME);
        let mut text = Vec::new();
        for entry in &self.entries {
            serde_json::to_writer(&mut text, entry).map_err(|e| io(&map)(e.into()))?;
            text.push(b'\n');
        }
        crate::folder::write_temp(&map, &text)
            .and_then(|t| t.persist(&map).map(|_| ()).map_err(|e| e.error))
            .map_err(io(&map))?;
        self.summary.map = map;
        Ok(self.summary)
    }
}
