//! Repairing a file on disk: written to a temporary file and renamed into place, in place with
//! a backup kept, or a dry run.

use crate::request::check::check_lines;
use crate::request::finding::{CheckReport, Finding};
use crate::request::format::{InputFormat, LinesError, LinesInput, resolve_format};
use crate::request::repair::repair_lines;
use crate::request::rewrite::RepairOptions;
use crate::request::session::LinesRepair;
use std::io::{self, Write};
use std::path::Path;

/// Where a repaired file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairTarget {
    /// A new file (never the input).
    File(std::path::PathBuf),
    /// Over the input, which is kept next to it as `FILE.bak` (`FILE.bak.2`, ... when that
    /// exists): the agent's own file, repaired where it reads it.
    InPlace,
    /// Nowhere: say what would change.
    DryRun,
}

/// What [`repair_file`] did.
#[derive(Debug)]
pub struct FileRepair {
    /// What changed, and the check of the input.
    pub repair: LinesRepair,
    /// The check of the output.
    pub after: CheckReport,
    /// Where the output was written (`None` for a dry run, or in place with nothing to change).
    pub written: Option<std::path::PathBuf>,
    /// The original, kept when repairing in place.
    pub backup: Option<std::path::PathBuf>,
}

impl FileRepair {
    /// The errors left in the output (the API would still refuse it).
    pub fn remaining(&self) -> impl Iterator<Item = &Finding> {
        self.after.errors()
    }
}

/// Repairs a file (a session, a transcript or a body, told by `format`) with
/// [`repair_lines`], then checks what it wrote. The output is written to a temporary file
/// beside its destination and renamed into place only once whole, with the input's
/// permissions (a session file is often private); in place, the original is first kept as a
/// backup (a hard link where the file system allows, else a copy). If the input changes while
/// it is repaired (an agent still appending to it), nothing is written.
pub fn repair_file(
    input: &Path,
    target: &RepairTarget,
    format: InputFormat,
    options: &RepairOptions,
) -> Result<FileRepair, LinesError> {
    if let RepairTarget::File(out) = target {
        let same = match (std::fs::canonicalize(out), std::fs::canonicalize(input)) {
            (Ok(a), Ok(b)) => a == b,
            _ => out == input,
        };
        if same {
            return Err(LinesError::OverInput(out.display().to_string()));
        }
    }
    let format = resolve_format(LinesInput::Path(input), format)?;
    let before = std::fs::metadata(input)?;
    let destination = match target {
        RepairTarget::File(out) => out.clone(),
        RepairTarget::InPlace => input.to_path_buf(),
        RepairTarget::DryRun => std::env::temp_dir().join("visionprep-dry-run"),
    };
    let write_error = |source: io::Error| LinesError::Write {
        path: destination.display().to_string(),
        source,
    };
    let mut temp = crate::folder::write_temp(&destination, b"").map_err(write_error)?;
    let repair = {
        let mut writer = io::BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        let repair = repair_lines(LinesInput::Path(input), format, options, &mut writer)?;
        writer.flush().map_err(write_error)?;
        repair
    };
    temp.as_file().sync_data().map_err(write_error)?;
    let now = std::fs::metadata(input)?;
    if now.len() != before.len() || now.modified().ok() != before.modified().ok() {
        return Err(LinesError::Changed);
    }
    let after = check_lines(LinesInput::Path(temp.path()), format, &options.check)?;
    let (written, backup) = match target {
        RepairTarget::DryRun => (None, None),
        RepairTarget::InPlace if !repair.changed() => (None, None),
        RepairTarget::InPlace => {
            let backup = backup_path(input);
            if std::fs::hard_link(input, &backup).is_err() {
                std::fs::copy(input, &backup).map_err(|source| LinesError::Write {
                    path: backup.display().to_string(),
                    source,
                })?;
            }
            temp.as_file()
                .set_permissions(before.permissions())
                .map_err(write_error)?;
            temp.persist(input).map_err(|e| write_error(e.error))?;
            (Some(input.to_path_buf()), Some(backup))
        }
        RepairTarget::File(out) => {
            temp.as_file()
                .set_permissions(before.permissions())
                .map_err(write_error)?;
            temp.persist(out).map_err(|e| write_error(e.error))?;
            (Some(out.clone()), None)
        }
    };
    Ok(FileRepair {
        repair,
        after,
        written,
        backup,
    })
}

/// `FILE.bak`, or `FILE.bak.2`, `.bak.3`, ... when that exists: a backup is never overwritten.
fn backup_path(input: &Path) -> std::path::PathBuf {
    let base = format!("{}.bak", input.display());
    let mut path = std::path::PathBuf::from(&base);
    let mut n = 2;
    while path.exists() {
        path = std::path::PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    path
}
