//! Writing outputs safely: into a temporary file beside the target, flushed, then renamed, so
//! an interrupted run never leaves a partial file; never into a folder that overlaps an input.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tempfile::NamedTempFile;

const TEMP_PREFIX: &str = ".visionprep-";
const TEMP_SUFFIX: &str = ".tmp";

/// Why an output folder cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputFolderError {
    /// The output folder is, contains or lies inside an input folder: outputs could land on
    /// inputs, or be read as inputs by the next run.
    #[error(
        "the output folder {} overlaps the input {}: choose a folder outside the inputs",
        .out.display(),
        .input.display()
    )]
    Overlaps {
        /// The output folder as given.
        out: PathBuf,
        /// The input it overlaps.
        input: PathBuf,
    },
    /// The folder could not be created or resolved.
    #[error("cannot create the output folder {}: {source}", .out.display())]
    Create {
        /// The output folder as given.
        out: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl OutputFolderError {
    /// Its stable code: `invalid-options` (a folder that overlaps an input) or `io`.
    pub fn code(&self) -> visionprep_core::ErrorCode {
        match self {
            OutputFolderError::Overlaps { .. } => visionprep_core::ErrorCode::InvalidOptions,
            OutputFolderError::Create { .. } => visionprep_core::ErrorCode::Io,
        }
    }
}

/// Creates the output folder `out` and refuses one that is, contains or lies inside an input
/// folder (or holds an input file): outputs must never land on inputs.
pub fn output_folder(out: &Path, inputs: &[PathBuf]) -> Result<PathBuf, OutputFolderError> {
    let create = |source| OutputFolderError::Create {
        out: out.to_path_buf(),
        source,
    };
    let out_real = resolve(out).map_err(create)?;
    for input in inputs {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        let overlaps = if real.is_dir() {
            out_real.starts_with(&real) || real.starts_with(&out_real)
        } else {
            real.starts_with(&out_real)
        };
        if overlaps {
            return Err(OutputFolderError::Overlaps {
                out: out.to_path_buf(),
                input: input.clone(),
            });
        }
    }
    std::fs::create_dir_all(out).map_err(create)?;
    Ok(out.to_path_buf())
}

/// The absolute, symlink-free form of `path`, which need not exist yet: its nearest existing
/// ancestor canonicalised, then the rest.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut real = existing.canonicalize()?;
    real.extend(rest.iter().rev());
    Ok(real)
}

/// Writes `bytes` to a hidden temporary file (`.visionprep-PID-*.tmp`) in the folder `target`
/// will be in (created if needed), flushed to disk; [`NamedTempFile::persist`] then renames it
/// into place. Outputs are ordinary files (rw-r--r-- less the umask), not a temporary file's
/// 0600.
pub fn write_temp(target: &Path, bytes: &[u8]) -> std::io::Result<NamedTempFile> {
    let dir = target
        .parent()
        .ok_or_else(|| std::io::Error::other("no folder for the output"))?;
    std::fs::create_dir_all(dir)?;
    let mut temp = temp_file(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_data()?;
    Ok(temp)
}

/// Writes `bytes` to `target` atomically ([`write_temp`], then a rename), refusing to write
/// over `input`, the file they were made from (the same file by any path or link).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let input = dir.path().join("a.png");
/// std::fs::write(&input, b"input")?;
/// assert!(visionprep::folder::write_atomic(&input, b"output", Some(&input)).is_err());
/// visionprep::folder::write_atomic(&dir.path().join("b.png"), b"output", Some(&input))?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_atomic(target: &Path, bytes: &[u8], input: Option<&Path>) -> std::io::Result<()> {
    if let Some(input) = input {
        let same = std::fs::canonicalize(input)
            .ok()
            .zip(std::fs::canonicalize(target).ok())
            .is_some_and(|(a, b)| a == b);
        if same {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "refusing to write over the image it was prepared from",
            ));
        }
    }
    write_temp(target, bytes)?
        .persist(target)
        .map(|_| ())
        .map_err(|e| e.error)
}

/// An empty temporary file in `dir` to write an output into (`.visionprep-PID-*.tmp`,
/// rw-r--r-- less the umask), renamed into place with [`NamedTempFile::persist`]; one a
/// killed run leaves is removed by [`remove_stale_temps`].
pub fn temp_file(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    builder.tempfile_in(dir)
}

/// Removes temporary files that a killed run left under `dir` (`.visionprep-PID-*.tmp` whose
/// process is gone; without /proc to ask, those over a day old). A run in progress keeps its
/// own. Returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let procfs = Path::new("/proc/self").exists();
    let stale = |name: &str, path: &Path| -> bool {
        let Some(pid) = name
            .strip_prefix(TEMP_PREFIX)
            .filter(|_| name.ends_with(TEMP_SUFFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            return false;
        };
        if procfs {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            modified(path)
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 24 * 3600)
        }
    };
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name().to_str().is_some_and(|n| stale(n, e.path())))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Whether a write failed for want of space (or quota): every later write would fail too, so
/// a run stops there.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.kind() == std::io::ErrorKind::QuotaExceeded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir_all(&input).unwrap();
        for out in [input.clone(), input.join("out"), dir.path().to_path_buf()] {
            assert!(
                matches!(
                    output_folder(&out, std::slice::from_ref(&input)),
                    Err(OutputFolderError::Overlaps { .. })
                ),
                "{}",
                out.display()
            );
        }
        assert!(output_folder(&dir.path().join("out"), &[input]).is_ok());
    }

    #[test]
    fn temporaries_of_dead_runs_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".visionprep-4294967295-x.tmp");
        let live = dir
            .path()
            .join(format!(".visionprep-{}-x.tmp", std::process::id()));
        let other = dir.path().join("photo.tmp");
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        if Path::new("/proc/self").exists() {
            assert_eq!(remove_stale_temps(dir.path()), 1);
            assert!(!dead.exists());
        }
        assert!(live.exists() && other.exists());
        let temp = write_temp(&dir.path().join("sub/a.png"), b"bytes").unwrap();
        temp.persist(dir.path().join("sub/a.png")).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("sub/a.png")).unwrap(),
            b"bytes"
        );
    }
}
