//! Message Batches files: request lines in JSONL files within the batch limits, a map from
//! each `custom_id` back to its images, and the reader that joins the results to both.
//!
//! A batch file is JSON Lines of `{"custom_id": ..., "params": BODY}`, each body a Messages
//! API request built by the [packer](super::pack). [`BatchFiles`] starts a new file before a
//! line would take the current one past [`BatchLimits`] (100,000 requests, 256 MB of JSONL
//! text, measured as written). Custom ids come from a [`CustomIds`] template: by default the
//! first image's file stem and a hash of every path of the request, so they are unique,
//! match `^[a-zA-Z0-9_-]{1,64}$` and are the same on every run. The map
//! (`visionprep-batch-map.jsonl` beside the files) records, per request, its paths, their
//! sizes and times, the options that made it, where its line is, and its estimated image
//! tokens and cost; a rerun copies the lines of requests whose images and options did not
//! change instead of preparing them again ([`batch_folder`]), and [`read_results`] joins a
//! results file to it.
//!
//! ```
//! use visionprep::request::batches::CustomIds;
//! let ids = CustomIds::default(); // "{stem}-{hash}"
//! let id = ids.id(&["photos/IMG 0042.jpg"], 1)?;
//! assert!(id.starts_with("IMG_0042-") && id.len() == "IMG_0042-".len() + 16);
//! assert_eq!(id, ids.id(&["photos/IMG 0042.jpg"], 7)?); // stable: no run-dependent part
//! # Ok::<(), visionprep::request::batches::BatchError>(())
//! ```

use super::{PackError, PackImage, PackOptions, Packer};
use crate::folder::{
    Assessor, Item, Outcome, OutputKey, RunError, RunOptions, WINDOW_PER_THREAD, WorkerPanicked,
    path_text, pool, remove_stale_temps, stamp, streamed, temp_file, walk,
};
use crate::prepare::{PrepareOptions, Prepared, Preparer};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;
use visionprep_core::request::MessagesRequest;
use visionprep_core::{BatchLimits, CostOptions, ModelPrice, PriceTable, Usd};

/// The map's file name, in the folder of the batch files.
pub const MAP_NAME: &str = "visionprep-batch-map.jsonl";

/// Why batch files could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A custom-id template that cannot give valid ids.
    #[error("custom id template {template:?}: {reason}")]
    Template {
        /// The template.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two requests would get the same custom id.
    #[error(
        "custom id {id:?} of {path} is already the id of {other}: put {{hash}} in the template"
    )]
    DuplicateId {
        /// The id.
        id: String,
        /// The request's first path.
        path: String,
        /// The first path of the request that has it.
        other: String,
    },
    /// A request that cannot be written as given: params that are not one JSON object on one
    /// line, a cost that is not an amount.
    #[error("the request {id}: {reason}")]
    InvalidParams {
        /// Its custom id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A line longer than a whole batch may be (a body over 256 MB cannot be built).
    #[error("the request {id} is {bytes} bytes, over the {limit}-byte batch limit")]
    LineTooLarge {
        /// Its custom id.
        id: String,
        /// Its line's size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The request options cannot give a body (the prompt alone breaks a limit).
    #[error(transparent)]
    Pack(#[from] PackError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A results file line that is not a batch result.
    #[error("{path}:{line}: not a Message Batches result: {reason}")]
    Results {
        /// The file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The run could not start or stopped.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl From<WorkerPanicked> for BatchError {
    fn from(e: WorkerPanicked) -> Self {
        BatchError::Run(RunError::Panicked(e))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// How custom ids are made from a request's paths: a template of literal characters
/// (`a-z A-Z 0-9 _ -`) and the placeholders `{stem}` (the first image's file name without
/// its extension), `{parent}` (the name of its folder), `{hash}` (16 hex digits of a hash of
/// every path of the request, in order) and `{n}` (the request's number in this run: not
/// stable when files are added). Characters the API refuses become `_`; `{stem}` and
/// `{parent}` are shortened so that the id fits in 64 characters. Default `{stem}-{hash}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomIds {
    template: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Stem,
    Parent,
    Hash,
    Number,
}

/// The longest custom id the API takes.
const MAX_ID: usize = 64;

impl CustomIds {
    /// The template's ids; an error names what makes it unusable.
    pub fn new(template: &str) -> Result<CustomIds, BatchError> {
        let fail = |reason: &str| BatchError::Template {
            template: template.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after.find('}').ok_or_else(|| fail("a { without its }"))?;
                parts.push(match &after[..end] {
                    "stem" => Part::Stem,
                    "parent" => Part::Parent,
                    "hash" => Part::Hash,
                    "n" => Part::Number,
                    other => {
                        return Err(fail(&format!(
                            "unknown placeholder {{{other}}} (use {{stem}}, {{parent}}, {{hash}} or {{n}})"
                        )));
                    }
                });
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let literal = &rest[..end];
                if !literal.bytes().all(id_byte) {
                    return Err(fail(
                        "custom ids take only letters, digits, _ and - besides placeholders",
                    ));
                }
                parts.push(Part::Literal(literal.to_owned()));
                rest = &rest[end..];
            }
        }
        let fixed: usize = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Hash => 16,
                Part::Number => 8,
                Part::Stem | Part::Parent => 1,
            })
            .sum();
        if fixed > MAX_ID - 3 {
            return Err(fail("too long for the API's 64 characters"));
        }
        if !parts
            .iter()
            .any(|p| matches!(p, Part::Stem | Part::Hash | Part::Number | Part::Parent))
        {
            return Err(fail("every request would get the same id: use {hash}"));
        }
        Ok(CustomIds {
            template: template.to_owned(),
            parts,
        })
    }

    /// The template as given.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The id of the request holding the images at `paths` (as walked or given), the
    /// `number`th request of the run (1-based).
    pub fn id(&self, paths: &[&str], number: u64) -> Result<String, BatchError> {
        let first = paths.first().map(|p| Path::new(*p));
        let stem = first
            .and_then(|p| p.file_stem())
            .map(|s| clean(&s.to_string_lossy()))
            .unwrap_or_default();
        let parent = first
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .map(|s| clean(&s.to_string_lossy()))
            .unwrap_or_default();
        let hash = format!("{:016x}", paths_hash(paths));
        let number = format!("{number:08}");
        let fixed: usize = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Hash => hash.len(),
                Part::Number => number.len(),
                Part::Stem | Part::Parent => 0,
            })
            .sum();
        let names = self
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Stem | Part::Parent))
            .count();
        // The room left, shared by the name placeholders; a trailing `-N` (a request split
        // over several bodies) takes up to 3 more.
        let room = MAX_ID.saturating_sub(fixed + 3) / names.max(1);
        let mut id = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(s) => id.push_str(s),
                Part::Hash => id.push_str(&hash),
                Part::Number => id.push_str(&number),
                Part::Stem => id.push_str(&stem[..stem.len().min(room)]),
                Part::Parent => id.push_str(&parent[..parent.len().min(room)]),
            }
        }
        if id.is_empty() {
            id.push('_');
        }
        if !valid_id(&id) {
            return Err(BatchError::Template {
                template: self.template.clone(),
                reason: format!("gives the invalid id {id:?}"),
            });
        }
        Ok(id)
    }
}

impl Default for CustomIds {
    fn default() -> Self {
        CustomIds {
            template: "{stem}-{hash}".to_owned(),
            parts: vec![Part::Stem, Part::Literal("-".to_owned()), Part::Hash],
        }
    }
}

fn id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether the API takes `id` as a custom id: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len()) && id.bytes().all(id_byte)
}

/// A name with every character the API refuses as `_` (ASCII only, so byte slicing is safe).
fn clean(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii() && id_byte(c as u8) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// FNV-1a 64 over the paths, each followed by a newline: fixed, so ids never change between
/// runs, versions or machines.
fn paths_hash(paths: &[&str]) -> u64 {
    super::fnv1a(
        paths
            .iter()
            .flat_map(|p| p.bytes().chain(std::iter::once(b'\n'))),
    )
}

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
    /// Images that could not be prepared or placed, with the reason (`path: reason`).
    pub failed: Vec<String>,
    /// The map file.
    pub map: PathBuf,
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
    entries: Vec<MapEntry>,
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
    fn add_line(
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
    pub fn failed(&mut self, message: String) {
        self.summary.failed.push(message);
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

/// What every request of a batch run carries, and how ids are made.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The bodies' model, max_tokens, system prompt, prompt and request limits.
    pub pack: PackOptions,
    /// Images per request (at most; a request whose images break a request limit is split
    /// over several, the later ids suffixed `-2`, `-3`, ...). Default 1.
    pub per_request: usize,
    /// How ids are made.
    pub ids: CustomIds,
    /// The limits of one batch file.
    pub limits: BatchLimits,
    /// The price of one input token on the Message Batches API (half the standard price).
    pub token_price: Usd,
}

impl BatchOptions {
    /// Options for requests to `model` asking `prompt` about each image, with the request
    /// limits of `prepare` (its profile for that model) and the built-in batch limits.
    pub fn new(
        table: &PriceTable,
        model: &ModelPrice,
        prompt: &str,
        prepare: &PrepareOptions,
    ) -> Self {
        let batch = CostOptions {
            batch: true,
            ..CostOptions::default()
        };
        BatchOptions {
            pack: PackOptions::new(&model.id, prompt, prepare.request),
            per_request: 1,
            ids: CustomIds::default(),
            limits: BatchLimits::builtin(),
            token_price: model.token_price(table.modifiers(), &batch),
        }
    }

    /// The map key of these options with `prepare`'s: what must not change for a line to
    /// be reused.
    pub fn key(&self, prepare: &PrepareOptions) -> String {
        #[derive(Serialize)]
        struct Key<'a> {
            output: OutputKey,
            model: &'a str,
            max_tokens: u32,
            prompt: &'a str,
            system: Option<String>,
            per_request: usize,
            request_bytes: u64,
        }
        let key = Key {
            output: OutputKey::new(prepare),
            model: &self.pack.model,
            max_tokens: self.pack.max_tokens,
            prompt: &self.pack.prompt,
            system: self
                .pack
                .system
                .as_ref()
                .and_then(|s| serde_json::to_string(s).ok()),
            per_request: self.per_request,
            request_bytes: self.pack.limits.max_request_bytes,
        };
        let text = serde_json::to_string(&key).unwrap_or_default();
        format!("{:016x}", paths_hash(&[&text]))
    }

    /// The request bodies for one request's images: one body, or several when they break a
    /// request limit together.
    pub fn bodies(&self, images: Vec<PackImage>) -> Result<Vec<MessagesRequest>, PackError> {
        let mut options = self.pack.clone();
        options.limits.max_images = options
            .limits
            .max_images
            .min(self.per_request.max(1) as u32);
        let mut packer = Packer::new(&options)?;
        let mut bodies = Vec::new();
        for image in images {
            bodies.extend(packer.push(image)?);
        }
        bodies.extend(packer.finish());
        Ok(bodies)
    }
}

/// The earlier run's map, for reuse: entries by their images' paths.
struct Earlier {
    dir: PathBuf,
    by_paths: HashMap<Vec<String>, Vec<MapEntry>>,
    files: HashMap<String, File>,
}

impl Earlier {
    fn load(dir: &Path) -> Earlier {
        let mut by_paths: HashMap<Vec<String>, Vec<MapEntry>> = HashMap::new();
        if let Ok(file) = File::open(dir.join(MAP_NAME)) {
            for line in BufReader::new(file).lines() {
                // A damaged map costs redoing the requests it described, nothing more.
                let Ok(line) = line else { break };
                if let Ok(entry) = serde_json::from_str::<MapEntry>(&line) {
                    by_paths.entry(entry.paths.clone()).or_default().push(entry);
                }
            }
        }
        Earlier {
            dir: dir.to_path_buf(),
            by_paths,
            files: HashMap::new(),
        }
    }

    /// The earlier lines of a request with these paths, stamps and key, read from the
    /// earlier files and checked to be the lines the map says (their custom id).
    fn lines(
        &mut self,
        paths: &[String],
        stamps: &[(u64, u128)],
        key: &str,
    ) -> Option<Vec<(Vec<u8>, MapEntry)>> {
        let entries = self.by_paths.get(paths)?;
        if entries.iter().any(|e| e.stamps != stamps || e.key != key) {
            return None;
        }
        let mut out = Vec::new();
        for e in entries {
            if e.file.contains(['/', '\\']) || e.length > 64 << 20 {
                return None;
            }
            let file = match self.files.entry(e.file.clone()) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(File::open(self.dir.join(&e.file)).ok()?)
                }
            };
            file.seek(SeekFrom::Start(e.offset)).ok()?;
            let mut line = vec![0; e.length as usize];
            file.read_exact(&mut line).ok()?;
            let head = format!("{{\"custom_id\":\"{}\",\"params\":", e.custom_id);
            if !line.starts_with(head.as_bytes()) || line.last() != Some(&b'\n') {
                return None;
            }
            out.push((line, e.clone()));
        }
        Some(out)
    }
}

/// One walked image on its way into a request.
enum Image {
    /// Ready to pack.
    Prepared(Box<Prepared>),
    /// Unchanged since the earlier run (its line may be reused): prepared only if its
    /// request changed.
    Unchanged,
}

struct Walked {
    /// The path as walked (what ids and the map use; escaped when not UTF-8).
    path: String,
    /// The file itself.
    file: PathBuf,
    stamp: Option<(u64, u128)>,
    image: Image,
}

/// Prepares the images under `paths` (files and folders, walked like `prepare`) and writes
/// their requests into batch files in `out`, with the map beside them. Requests whose images
/// (paths, sizes, times) and options are those of the earlier run in `out` are copied from
/// its files instead of prepared again. `on_request` hears of each request as it is written
/// (its map entry, and whether it was reused); files that fail are in the summary's `failed`.
pub fn batch_folder(
    paths: &[PathBuf],
    out: &Path,
    prepare: &PrepareOptions,
    assessor: &Assessor,
    batch: &BatchOptions,
    run: &RunOptions,
    mut on_request: impl FnMut(&MapEntry, bool),
) -> Result<BatchSummary, BatchError> {
    let key = batch.key(prepare);
    let mut earlier = Earlier::load(out);
    if run.force {
        earlier.by_paths.clear();
    }
    let unchanged: HashSet<(String, (u64, u128))> = earlier
        .by_paths
        .values()
        .flatten()
        .filter(|e| e.key == key)
        .flat_map(|e| e.paths.iter().cloned().zip(e.stamps.iter().copied()))
        .collect();
    let mut files = BatchFiles::new(out, batch.limits)?;
    let pool = pool(run.jobs).map_err(RunError::from)?;
    let work = |preparer: &mut Preparer, item: &Item| -> Option<Result<Walked, String>> {
        let path = path_text(item.path()).text;
        let stamp = stamp(item.path());
        if let Some(s) = stamp
            && unchanged.contains(&(path.clone(), s))
        {
            return Some(Ok(Walked {
                path,
                file: item.path().to_path_buf(),
                stamp,
                image: Image::Unchanged,
            }));
        }
        let probe = match assessor.assess_probed(item) {
            (Outcome::NotAnImage, _) => return None,
            (Outcome::Report(r), Some(probe)) if r.error.is_none() => probe,
            (Outcome::Report(r), _) => {
                let message = r.error.map(|e| e.message).unwrap_or_default();
                return Some(Err(format!("{path}: {message}")));
            }
        };
        Some(
            preparer
                .prepare_file(item.path(), &probe, prepare)
                .map(|p| Walked {
                    path: path.clone(),
                    file: item.path().to_path_buf(),
                    stamp,
                    image: Image::Prepared(Box::new(p)),
                })
                .map_err(|e| format!("{path}: {e}")),
        )
    };
    let mut group: Vec<Walked> = Vec::new();
    let mut number = 0u64;
    let mut flush = |group: &mut Vec<Walked>, files: &mut BatchFiles| -> Result<(), BatchError> {
        if group.is_empty() {
            return Ok(());
        }
        number += 1;
        let taken = std::mem::take(group);
        write_group(
            taken,
            number,
            prepare,
            batch,
            &key,
            &mut earlier,
            files,
            &mut on_request,
        )
    };
    streamed::<_, _, BatchError>(
        walk(paths, run.hidden),
        &pool,
        WINDOW_PER_THREAD * pool.current_num_threads(),
        Preparer::new,
        work,
        |_, done| {
            match done {
                None => {}
                Some(Err(message)) => files.failed(message),
                Some(Ok(walked)) => {
                    group.push(walked);
                    if group.len() >= batch.per_request.max(1) {
                        flush(&mut group, &mut files)?;
                    }
                }
            }
            Ok(ControlFlow::Continue(()))
        },
    )?;
    flush(&mut group, &mut files)?;
    files.finish()
}

/// An image of a request, prepared: its path, stamp and tokens.
struct Kept {
    path: String,
    stamp: Option<(u64, u128)>,
    tokens: u64,
}

/// Writes one request's lines: copied from the earlier run when nothing changed, else
/// prepared (what was not yet) and packed.
#[allow(
    clippy::too_many_arguments,
    reason = "the run's state, passed down once"
)]
fn write_group(
    group: Vec<Walked>,
    number: u64,
    prepare: &PrepareOptions,
    batch: &BatchOptions,
    key: &str,
    earlier: &mut Earlier,
    files: &mut BatchFiles,
    on_request: &mut impl FnMut(&MapEntry, bool),
) -> Result<(), BatchError> {
    let paths: Vec<String> = group.iter().map(|w| w.path.clone()).collect();
    let stamps: Vec<(u64, u128)> = group.iter().filter_map(|w| w.stamp).collect();
    if stamps.len() == group.len()
        && let Some(lines) = earlier.lines(&paths, &stamps, key)
    {
        for (line, entry) in lines {
            files.add_line(&line, entry, true)?;
            if let Some(e) = files.entries.last() {
                on_request(e, true);
            }
        }
        return Ok(());
    }
    // The images that could be prepared, each with its path, stamp and tokens.
    let mut images = Vec::new();
    let mut kept: Vec<Kept> = Vec::new();
    let mut preparer = None;
    for w in group {
        let prepared = match w.image {
            Image::Prepared(p) => *p,
            Image::Unchanged => {
                let preparer = preparer.get_or_insert_with(Preparer::new);
                match preparer.prepare_path(&w.file, prepare) {
                    Ok(p) => p,
                    Err(e) => {
                        files.failed(format!("{}: {e}", w.path));
                        continue;
                    }
                }
            }
        };
        images.push(PackImage::from_prepared(&prepared));
        kept.push(Kept {
            path: w.path,
            stamp: w.stamp,
            tokens: prepared.tokens,
        });
    }
    if images.is_empty() {
        return Ok(());
    }
    let refs: Vec<&str> = kept.iter().map(|k| k.path.as_str()).collect();
    let id = batch.ids.id(&refs, number)?;
    let bodies = match batch.bodies(images) {
        Ok(b) => b,
        Err(PackError::ImageTooLarge { index, reason }) => {
            let path = refs.get(index).copied().unwrap_or_default();
            files.failed(format!("{path}: it cannot be sent: {reason}"));
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    // Each body holds the next images in order (the packer keeps order): its map entry names
    // exactly those, with their own stamps and tokens.
    let mut rest = kept.as_slice();
    for (i, body) in bodies.iter().enumerate() {
        let (part, after) = rest.split_at(body.media_count().min(rest.len()));
        rest = after;
        let tokens: u64 = part.iter().map(|k| k.tokens).sum();
        let stamps: Option<Vec<(u64, u128)>> = part.iter().map(|k| k.stamp).collect();
        let entry = MapEntry {
            custom_id: if i == 0 {
                id.clone()
            } else {
                format!("{id}-{}", i + 1)
            },
            file: String::new(),
            offset: 0,
            length: 0,
            paths: part.iter().map(|k| k.path.clone()).collect(),
            stamps: stamps.unwrap_or_default(),
            key: key.to_owned(),
            model: batch.pack.model.clone(),
            image_tokens: tokens,
            usd: batch.token_price.times(tokens).to_string(),
        };
        files.add(body, entry)?;
        if let Some(e) = files.entries.last() {
            on_request(e, false);
        }
    }
    Ok(())
}

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
pub fn read_results(
    results: &Path,
    map: &Path,
    table: &PriceTable,
) -> Result<BatchResults, BatchError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_stable_and_fit() {
        let ids = CustomIds::default();
        let long = format!("dir/{}.png", "ü".repeat(80));
        let id = ids.id(&[&long], 1).unwrap();
        assert!(valid_id(&id) && id.len() <= MAX_ID - 3, "{id}");
        assert_eq!(id, ids.id(&[&long], 2).unwrap());
        assert_ne!(
            ids.id(&["a/x.png"], 1).unwrap(),
            ids.id(&["b/x.png"], 1).unwrap()
        );
        let numbered = CustomIds::new("req_{n}").unwrap();
        assert_eq!(numbered.id(&["x.png"], 42).unwrap(), "req_00000042");
        let both = CustomIds::new("{parent}-{stem}").unwrap();
        assert_eq!(both.id(&["scans/page 1.tif"], 1).unwrap(), "scans-page_1");
    }

    #[test]
    fn bad_templates_are_refused() {
        for t in [
            "",
            "fixed",
            "{nope}",
            "a b {hash}",
            "{hash",
            &"x".repeat(60),
        ] {
            assert!(CustomIds::new(t).is_err(), "{t}");
        }
    }

    #[test]
    fn files_roll_over_at_the_limits() {
        let dir = tempfile::tempdir().unwrap();
        let limits = BatchLimits {
            max_requests: 3,
            max_bytes: 200,
        };
        let mut files = BatchFiles::new(dir.path(), limits).unwrap();
        let entry = |id: &str| MapEntry {
            custom_id: id.into(),
            file: String::new(),
            offset: 0,
            length: 0,
            paths: vec![format!("{id}.png")],
            stamps: Vec::new(),
            key: String::new(),
            model: "claude-sonnet-4-6".into(),
            image_tokens: 10,
            usd: "0.000015".into(),
        };
        for i in 0..7 {
            files
                .add_params("{\"a\":1}", entry(&format!("r{i}")))
                .unwrap();
        }
        assert!(matches!(
            files.add_params("{\n\"a\": 1}", entry("pretty")),
            Err(BatchError::InvalidParams { .. })
        ));
        assert!(matches!(
            files.add_params("[1]", entry("array")),
            Err(BatchError::InvalidParams { .. })
        ));
        assert!(matches!(
            files.add_params("{\"a\":", entry("cut")),
            Err(BatchError::InvalidParams { .. })
        ));
        // 40-byte lines: three to a file by count.
        files
            .add_params(&format!("{{\"p\":\"{}\"}}", "x".repeat(150)), entry("big"))
            .unwrap();
        assert!(matches!(
            files.add_params("{}", entry("r0")),
            Err(BatchError::DuplicateId { .. })
        ));
        assert!(matches!(
            files.add_params(&format!("{{\"p\":\"{}\"}}", "1".repeat(300)), entry("huge")),
            Err(BatchError::LineTooLarge { .. })
        ));
        let summary = files.finish().unwrap();
        let counts: Vec<u64> = summary.files.iter().map(|f| f.requests).collect();
        assert_eq!(counts, [3, 3, 1, 1]);
        for f in &summary.files {
            let text = std::fs::read_to_string(&f.path).unwrap();
            assert_eq!(text.len() as u64, f.bytes);
            assert!(f.bytes <= limits.max_bytes);
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(valid_id(v["custom_id"].as_str().unwrap()));
            }
        }
        assert_eq!(summary.usd, "0.00012".parse().unwrap());
        let map = std::fs::read_to_string(&summary.map).unwrap();
        assert_eq!(map.lines().count(), 8);
    }
}
