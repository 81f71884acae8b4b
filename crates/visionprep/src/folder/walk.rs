//! Turning the paths a user gives into the files to look at, lazily and in a stable order.
//!
//! One bad entry never ends a walk: an unreadable folder, a symbolic link loop or a FIFO is an
//! [`Item::Broken`] with its reason, reported like any file.

use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// One thing to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A path the user named: always reported, whatever it holds.
    Named(PathBuf),
    /// A regular file found by walking a folder: skipped when it is not an image.
    Found {
        /// The file's path.
        path: PathBuf,
        /// Its path below the folder it was found in.
        rel: PathBuf,
    },
    /// Something in a folder that could not be walked (permissions, a symlink loop), or that
    /// is not a regular file (FIFO, socket, device: never opened).
    Broken {
        /// The entry's path.
        path: PathBuf,
        /// Why it could not be read.
        message: String,
    },
}

impl Item {
    /// The item's path as given or found.
    pub fn path(&self) -> &Path {
        match self {
            Item::Named(path) | Item::Found { path, .. } | Item::Broken { path, .. } => path,
        }
    }

    /// Where the item goes below an output folder: its path below the folder it was found
    /// in, or its file name when named on the command line.
    pub fn relative(&self) -> PathBuf {
        match self {
            Item::Found { rel, .. } => rel.clone(),
            other => other
                .path()
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_default(),
        }
    }
}

/// The items under `roots`, in the order given and, inside folders, sorted by name. Symlinks
/// are followed, with loops reported rather than walked forever; FIFOs, sockets and devices
/// in folders are reported as unreadable without being opened (opening a FIFO blocks).
pub fn walk(roots: &[PathBuf], hidden: bool) -> impl Iterator<Item = Item> + '_ {
    roots
        .iter()
        .flat_map(move |root| -> Box<dyn Iterator<Item = Item>> {
            if !root.is_dir() {
                return Box::new(std::iter::once(Item::Named(root.clone())));
            }
            let walker = WalkDir::new(root)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(move |e| hidden || e.depth() == 0 || !is_hidden(e.file_name()));
            Box::new(walker.filter_map(move |entry| match entry {
                Ok(e) if e.file_type().is_file() => {
                    let rel = e
                        .path()
                        .strip_prefix(root)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    Some(Item::Found {
                        path: e.into_path(),
                        rel,
                    })
                }
                Ok(e) if e.file_type().is_dir() => None,
                Ok(e) => Some(Item::Broken {
                    message: format!(
                        "not a regular file ({}): not opened",
                        crate::probe::file_kind(&e.file_type())
                    ),
                    path: e.into_path(),
                }),
                Err(err) => {
                    let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                    let message = match (err.loop_ancestor(), err.io_error()) {
                        (Some(ancestor), _) => {
                            format!("symbolic link loop back to {}", ancestor.display())
                        }
                        (None, Some(io)) => format!("cannot read: {io}"),
                        (None, None) => err.to_string(),
                    };
                    Some(Item::Broken { path, message })
                }
            }))
        })
}

/// A path as report text: lossless for names that are not UTF-8 (see `PathText`).
pub fn path_text(path: &Path) -> visionprep_core::PathText {
    visionprep_core::PathText::escape(path.as_os_str().as_encoded_bytes())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}
