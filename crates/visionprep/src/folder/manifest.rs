//! What made each output, and which name each input gets: the output folder's manifest.
//!
//! A rerun of `prepare` into the same output folder must neither lie nor lose work: an output is
//! kept only when its input and every option that shapes it are unchanged, and each input keeps
//! the name it was given before, even when inputs share a stem (`a.gif` and `a.png` both want
//! `a.png`). Both rest on the [`Manifest`], a small JSON file in the output folder
//! (`.visionprep-manifest.json`) that records, per input, its size and modification time, the
//! [`OutputKey`] of the options it was prepared with and the output it became. [`Namer`] gives
//! names in input order, the previous run's first.
//!
//! ```
//! use visionprep::folder::{Manifest, Namer};
//! use std::path::Path;
//!
//! let mut namer = Namer::new(&Manifest::default());
//! let gif = namer.name("/in/a.gif", Path::new("a.gif"), "png");
//! let png = namer.name("/in/a.png", Path::new("a.png"), "png");
//! assert_eq!((gif.as_path(), png.as_path()), (Path::new("a.png"), Path::new("a-png.png")));
//! ```

use crate::prepare::PrepareOptions;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use visionprep_core::TileMode;

/// The manifest's file name inside an output folder.
pub const MANIFEST_NAME: &str = ".visionprep-manifest.json";

/// Everything about the options that changes the bytes of an output, as named fields so that
/// a rerun can say which one changed (`stale: tier changed`). The model's name is not in it:
/// two models on the same tier give the same outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputKey {
    /// The fit rule's numbers (`1568/1568/28`).
    pub tier: String,
    /// The per-image byte cap on base64 text.
    pub byte_limit: u64,
    /// The output format policy (`auto`, `jpeg`, ...).
    pub output_format: String,
    /// JPEG quality and the lowest quality the cap may push to (`85/40`).
    pub quality: String,
    /// The resampling filter.
    pub filter: String,
    /// The background colour for flattened transparency (`#ffffff`).
    pub background: String,
    /// Whether cut-off files are read.
    pub lenient: bool,
    /// The visionprep version that made the output: a new release may encode differently.
    pub version: String,
    /// The per-image token budget, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_budget: Option<u64>,
    /// Tiling: `never`, or the mode, minimum scale and overlap (`auto 0.5 40px`).
    #[serde(default = "never")]
    pub tiles: String,
}

fn never() -> String {
    "never".to_owned()
}

impl OutputKey {
    /// The key of `options`.
    pub fn new(options: &PrepareOptions) -> OutputKey {
        let [r, g, b] = options.background;
        OutputKey {
            tier: format!(
                "{}/{}/{}",
                options.target.tier().max_edge(),
                options.target.tier().max_patches(),
                options.target.tier().patch_size()
            ),
            byte_limit: options.request.max_image_base64_bytes,
            output_format: format!("{:?}", options.output).to_lowercase(),
            quality: format!("{}/{}", options.quality, options.min_quality),
            filter: options.filter.to_string(),
            background: format!("#{r:02x}{g:02x}{b:02x}"),
            lenient: options.limits.lenient,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            token_budget: options.token_budget,
            tiles: match options.tiles.mode {
                TileMode::Never => never(),
                mode => format!(
                    "{mode} {} {}px",
                    options.tiles.min_scale, options.tiles.overlap
                ),
            },
        }
    }

    /// The first option that differs from `earlier`, named as a reason (`stale: tier changed`).
    pub fn change_from(&self, earlier: &OutputKey) -> Option<&'static str> {
        let checks: [(bool, &'static str); 10] = [
            (self.tier != earlier.tier, "stale: tier changed"),
            (
                self.token_budget != earlier.token_budget,
                "stale: token budget changed",
            ),
            (self.tiles != earlier.tiles, "stale: tiling changed"),
            (
                self.byte_limit != earlier.byte_limit,
                "stale: byte limit changed",
            ),
            (
                self.output_format != earlier.output_format,
                "stale: output format changed",
            ),
            (self.quality != earlier.quality, "stale: quality changed"),
            (self.filter != earlier.filter, "stale: filter changed"),
            (
                self.background != earlier.background,
                "stale: background changed",
            ),
            (
                self.lenient != earlier.lenient,
                "stale: lenient reading changed",
            ),
            (
                self.version != earlier.version,
                "stale: visionprep version changed",
            ),
        ];
        checks
            .into_iter()
            .find(|(changed, _)| *changed)
            .map(|c| c.1)
    }
}

/// What one output was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The output's path below the output folder.
    pub output: PathBuf,
    /// The output's size in bytes when it was written.
    pub output_bytes: u64,
    /// The input's size in bytes.
    pub input_bytes: u64,
    /// The input's modification time, in nanoseconds since the Unix epoch.
    pub input_mtime_ns: u128,
    /// The options it was prepared with.
    pub key: OutputKey,
    /// The tiles the input was cut into, in order, when it was (`output` is then the name
    /// they derive from, not a file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiles: Vec<TileFile>,
}

/// One tile's output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileFile {
    /// Its path below the output folder.
    pub output: PathBuf,
    /// Its size in bytes when it was written.
    pub bytes: u64,
}

impl Entry {
    /// The files the entry's outputs are: its tiles, or its one output.
    pub fn files(&self) -> Vec<(&Path, u64)> {
        if self.tiles.is_empty() {
            vec![(self.output.as_path(), self.output_bytes)]
        } else {
            self.tiles
                .iter()
                .map(|t| (t.output.as_path(), t.bytes))
                .collect()
        }
    }
}

/// The name of tile `index` (from 0) of `count` cut from the output named `base`:
/// `page.png` -> `page.tile-02-of-06.png`.
///
/// ```
/// use visionprep::folder::tile_name;
/// use std::path::Path;
/// assert_eq!(tile_name(Path::new("a/page.png"), 1, 6), Path::new("a/page.tile-02-of-06.png"));
/// ```
pub fn tile_name(base: &Path, index: u32, count: u32) -> PathBuf {
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());
    let name = match base.extension() {
        Some(ext) => format!(
            "{stem}.tile-{:02}-of-{count:02}.{}",
            index + 1,
            ext.to_string_lossy()
        ),
        None => format!("{stem}.tile-{:02}-of-{count:02}", index + 1),
    };
    base.with_file_name(name)
}

/// Why an input must be prepared again although an output for it may exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Input and options unchanged and the output in place: keep it.
    UpToDate,
    /// Nothing records what made an output for this input (first run, or a run killed before
    /// it saved its manifest).
    New,
    /// The input's size or modification time differs from the record.
    InputChanged,
    /// An option that shapes the output differs (the reason names it: `stale: tier changed`).
    OptionChanged(&'static str),
    /// The recorded output is gone or no longer has the recorded size.
    OutputChanged,
}

impl Freshness {
    /// `up-to-date`, or the reason to redo: `new`, `stale: input changed`, ....
    pub fn describe(self) -> &'static str {
        match self {
            Freshness::UpToDate => "up-to-date",
            Freshness::New => "new",
            Freshness::InputChanged => "stale: input changed",
            Freshness::OptionChanged(reason) => reason,
            Freshness::OutputChanged => "stale: output changed",
        }
    }
}

/// The record of an output folder: input (its absolute path, as text) to [`Entry`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest's format version.
    pub version: u32,
    /// One entry per input, by the input's absolute path.
    pub entries: BTreeMap<String, Entry>,
}

/// Why a manifest could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("cannot save {path}: {source}")]
pub struct ManifestError {
    /// The manifest's path.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

impl ManifestError {
    /// Its stable code: `io`.
    pub fn code(&self) -> visionprep_core::ErrorCode {
        visionprep_core::ErrorCode::Io
    }
}

/// The size and modification time of a file, as the manifest records them.
pub fn stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos()))
}

/// The key an input is recorded under: its absolute path (lossless escape for names that are
/// not UTF-8).
pub fn input_key(input: &Path) -> String {
    let absolute = std::path::absolute(input).unwrap_or_else(|_| input.to_path_buf());
    visionprep_core::PathText::escape(absolute.as_os_str().as_encoded_bytes()).text
}

impl Manifest {
    const VERSION: u32 = 1;

    /// The manifest of `out_dir`, or an empty one when there is none or it cannot be read (a
    /// damaged manifest only costs redoing the outputs it described). Entries whose output is
    /// not a plain relative path below the folder (`..`, absolute, empty) are dropped: outputs
    /// are replaced and pruned by these names, so a tampered manifest must never reach a file
    /// outside the output folder.
    pub fn load(out_dir: &Path) -> Manifest {
        let mut manifest = std::fs::read(out_dir.join(MANIFEST_NAME))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
            .filter(|m| m.version == Self::VERSION)
            .unwrap_or_default();
        manifest
            .entries
            .retain(|_, e| inside(&e.output) && e.tiles.iter().all(|t| inside(&t.output)));
        manifest
    }

    /// Whether the output recorded for `input` can be kept under `key`, and its entry.
    pub fn freshness(
        &self,
        input: &Path,
        key: &OutputKey,
        out_dir: &Path,
    ) -> (Freshness, Option<&Entry>) {
        let Some(entry) = self.entries.get(&input_key(input)) else {
            return (Freshness::New, None);
        };
        let fresh = if stamp(input) != Some((entry.input_bytes, entry.input_mtime_ns)) {
            Freshness::InputChanged
        } else if let Some(reason) = key.change_from(&entry.key) {
            Freshness::OptionChanged(reason)
        } else if entry.files().iter().any(|(file, bytes)| {
            std::fs::metadata(out_dir.join(file)).map(|m| m.len()).ok() != Some(*bytes)
        }) {
            Freshness::OutputChanged
        } else {
            Freshness::UpToDate
        };
        (fresh, Some(entry))
    }

    /// The entry recorded for `input`, if any.
    pub fn entry(&self, input: &Path) -> Option<&Entry> {
        self.entries.get(&input_key(input))
    }

    /// Records that `input` became `entry`.
    pub fn record(&mut self, input: &Path, entry: Entry) {
        self.entries.insert(input_key(input), entry);
    }

    /// Entries whose input no longer exists: their outputs are orphans.
    pub fn orphans(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries
            .iter()
            .filter(|(input, _)| {
                let bytes = visionprep_core::PathText::unescape(input).unwrap_or_default();
                !Path::new(os_str_from_bytes(&bytes)).exists()
            })
            .map(|(k, e)| (k.as_str(), e))
    }

    /// Drops the entry of `input`.
    pub fn forget(&mut self, input: &str) -> Option<Entry> {
        self.entries.remove(input)
    }

    /// Writes the manifest into `out_dir` atomically (a temporary file renamed over it).
    pub fn save(&self, out_dir: &Path) -> Result<(), ManifestError> {
        let path = out_dir.join(MANIFEST_NAME);
        let err = |source| ManifestError {
            path: path.clone(),
            source,
        };
        let mut copy = self.clone();
        copy.version = Self::VERSION;
        let bytes = serde_json::to_vec_pretty(&copy).map_err(|e| err(e.into()))?;
        let mut temp = tempfile_in(out_dir).map_err(err)?;
        temp.1.write_all(&bytes).map_err(err)?;
        temp.1.sync_data().map_err(err)?;
        std::fs::rename(&temp.0, &path).map_err(|e| {
            let _ = std::fs::remove_file(&temp.0);
            err(e)
        })
    }
}

/// Whether `output` names a file below a folder: relative, only plain components.
fn inside(output: &Path) -> bool {
    output.file_name().is_some()
        && output
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// `bytes` as an OS string (Unix: any bytes; elsewhere the UTF-8 text, lossily).
fn os_str_from_bytes(bytes: &[u8]) -> &std::ffi::OsStr {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStrExt::from_bytes(bytes)
    }
    #[cfg(not(unix))]
    {
        std::ffi::OsStr::new(std::str::from_utf8(bytes).unwrap_or(""))
    }
}

/// A new file beside the manifest, named for this process (stale ones are cleaned like every
/// other temporary file of a killed run).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".visionprep-{}-manifest.tmp", std::process::id()));
    let file = std::fs::File::create(&path)?;
    Ok((path, file))
}

/// Gives each input its output name, in input order: the name the manifest records for it
/// when that is still free and has the right extension, else `<stem>.<ext>`, else (taken by an
/// earlier input, or recorded for another input: `a.gif` and `a.png`) `<stem>-<input ext>.<ext>`,
/// then `-2`, `-3`, .... Names are compared without case, so outputs never collide on a
/// case-insensitive file system either.
#[derive(Debug)]
pub struct Namer {
    taken: HashSet<String>,
    recorded: BTreeMap<String, PathBuf>,
    reserved: HashSet<String>,
}

impl Namer {
    /// A namer that keeps the names `manifest` recorded, for the inputs that recorded them.
    pub fn new(manifest: &Manifest) -> Namer {
        let recorded: BTreeMap<String, PathBuf> = manifest
            .entries
            .iter()
            .map(|(input, e)| (input.clone(), e.output.clone()))
            .collect();
        let reserved = recorded.values().map(|p| fold(p)).collect();
        Namer {
            taken: HashSet::new(),
            recorded,
            reserved,
        }
    }

    /// The output path (below the output folder) for `input`, found at `rel` below its input
    /// folder, written as `ext`.
    pub fn name(&mut self, input: impl AsRef<Path>, rel: &Path, ext: &str) -> PathBuf {
        let key = input_key(input.as_ref());
        if let Some(previous) = self.recorded.get(&key)
            && previous.extension().and_then(|e| e.to_str()) == Some(ext)
            && !self.taken.contains(&fold(previous))
        {
            let previous = previous.clone();
            self.taken.insert(fold(&previous));
            return previous;
        }
        let own = self.recorded.get(&key).map(|p| fold(p));
        let free = |namer: &Namer, candidate: &Path| {
            let f = fold(candidate);
            !namer.taken.contains(&f) && (!namer.reserved.contains(&f) || own.as_ref() == Some(&f))
        };
        let plain = rel.with_extension(ext);
        let chosen = if free(self, &plain) {
            plain
        } else {
            let stem = rel
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "image".into());
            let from = rel
                .extension()
                .map(|s| s.to_string_lossy().to_lowercase())
                .unwrap_or_else(|| "input".into());
            (1..)
                .map(|n| {
                    let suffix = if n == 1 {
                        String::new()
                    } else {
                        format!("-{n}")
                    };
                    rel.with_file_name(format!("{stem}-{from}{suffix}.{ext}"))
                })
                .find(|c| free(self, c))
                .unwrap_or_else(|| rel.with_extension(ext))
        };
        self.taken.insert(fold(&chosen));
        chosen
    }

    /// Marks a name as used by an input whose output was kept.
    pub fn keep(&mut self, output: &Path) {
        self.taken.insert(fold(output));
    }
}

/// The output names of files prepared together, in order, as `visionprep prepare` names them
/// below its output folder: each file's relative path with its output's extension, and where
/// two would collide (`a.gif` and `a.png` both becoming PNG, or `a.png` and `A.PNG` on a
/// case-insensitive file system) the later one is `<stem>-<input ext>.<ext>`, then `-2`, ....
/// Front ends that write several outputs at once (a zip of a page's results) name them here.
///
/// ```
/// use visionprep::core::MediaType;
/// use visionprep::folder::output_names;
/// use std::path::{Path, PathBuf};
///
/// let names = output_names([
///     (Path::new("a.gif"), MediaType::Png),
///     (Path::new("a.png"), MediaType::Png),
///     (Path::new("A.PNG"), MediaType::Png),
/// ]);
/// assert_eq!(names, [PathBuf::from("a.png"), "a-png.png".into(), "A-png-2.png".into()]);
/// ```
pub fn output_names<'a>(
    files: impl IntoIterator<Item = (&'a Path, visionprep_core::MediaType)>,
) -> Vec<PathBuf> {
    let mut namer = Namer::new(&Manifest::default());
    files
        .into_iter()
        .map(|(rel, media_type)| namer.name(rel, rel, media_type.extension()))
        .collect()
}

/// The case-folded text of a path, for collision checks.
fn fold(path: &Path) -> String {
    path.to_string_lossy().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_shared_out_in_order_and_kept_across_runs() {
        let mut namer = Namer::new(&Manifest::default());
        let names: Vec<PathBuf> = [
            ("a.gif", "png"),
            ("a.png", "png"),
            ("A.PNG", "png"),
            ("a.webp", "jpg"),
        ]
        .iter()
        .map(|(f, ext)| namer.name(Path::new("/in").join(f), Path::new(f), ext))
        .collect();
        let names: Vec<&str> = names.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(names, ["a.png", "a-png.png", "A-png-2.png", "a.jpg"]);
    }

    #[test]
    fn the_manifest_round_trips_and_judges_freshness() {
        let dir = std::env::temp_dir().join(format!("visionprep-folder-{}", std::process::id()));
        let (inputs, out) = (dir.join("in"), dir.join("out"));
        std::fs::create_dir_all(&inputs).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let input = inputs.join("a.png");
        std::fs::write(&input, b"input").unwrap();
        std::fs::write(out.join("a.png"), b"output!").unwrap();
        let key = OutputKey::new(&PrepareOptions::default());
        let mut m = Manifest::default();
        assert_eq!(m.freshness(&input, &key, &out).0, Freshness::New);
        let (input_bytes, input_mtime_ns) = stamp(&input).unwrap();
        m.record(
            &input,
            Entry {
                output: "a.png".into(),
                output_bytes: 7,
                input_bytes,
                input_mtime_ns,
                key: key.clone(),
                tiles: Vec::new(),
            },
        );
        m.save(&out).unwrap();
        let loaded = Manifest::load(&out);
        assert_eq!(loaded.entries, m.entries);
        assert_eq!(loaded.freshness(&input, &key, &out).0, Freshness::UpToDate);
        let mut other = key.clone();
        other.quality = "70/40".into();
        assert_eq!(
            loaded.freshness(&input, &other, &out).0,
            Freshness::OptionChanged("stale: quality changed")
        );
        std::fs::write(out.join("a.png"), b"edited by hand").unwrap();
        assert_eq!(
            loaded.freshness(&input, &key, &out).0,
            Freshness::OutputChanged
        );
        std::fs::write(&input, b"a new input").unwrap();
        assert_eq!(
            loaded.freshness(&input, &key, &out).0,
            Freshness::InputChanged
        );
        assert_eq!(loaded.orphans().count(), 0);
        std::fs::remove_file(&input).unwrap();
        assert_eq!(loaded.orphans().count(), 1);
        // Outputs named outside the folder are never trusted.
        let mut tampered = m.clone();
        for (i, bad) in ["../escape.png", "/etc/passwd", "", "a/../../b.png"]
            .iter()
            .enumerate()
        {
            let mut e = tampered.entries.values().next().unwrap().clone();
            e.output = PathBuf::from(bad);
            tampered.entries.insert(format!("/gone/{i}"), e);
        }
        tampered.save(&out).unwrap();
        assert_eq!(Manifest::load(&out).entries, m.entries);
        // A damaged manifest is no manifest: its outputs are redone.
        std::fs::write(out.join(MANIFEST_NAME), b"{not json").unwrap();
        assert_eq!(Manifest::load(&out), Manifest::default());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn option_changes_are_named() {
        let a = OutputKey::new(&PrepareOptions::default());
        let mut b = a.clone();
        assert_eq!(b.change_from(&a), None);
        b.tier = "2576/4784/28".into();
        assert_eq!(b.change_from(&a), Some("stale: tier changed"));
        let mut c = a.clone();
        c.output_format = "jpeg".into();
        assert_eq!(c.change_from(&a), Some("stale: output format changed"));
    }
}
