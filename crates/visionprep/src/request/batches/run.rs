//! A folder made into batch files: walked, prepared in parallel and in order, packed, written;
//! a rerun reuses the lines of requests whose images and options did not change.

use super::BatchOptions;
use super::writer::{BatchFiles, BatchSummary, FailedImage, MapEntry};
use super::{BatchError, MAP_NAME};
use crate::folder::{
    Assessor, Item, RunError, RunOptions, WINDOW_PER_THREAD, path_text, pool, stamp, streamed, walk,
};
use crate::prepare::{PrepareOptions, Prepared, Preparer};
use crate::request::{PackError, PackImage};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use visionprep_core::ErrorCode;

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
    let work = |preparer: &mut Preparer, item: &Item| -> Option<Result<Walked, FailedImage>> {
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
        let probe = match FailedImage::probe(assessor, item, &path)? {
            Ok(probe) => probe,
            Err(failed) => return Some(Err(failed)),
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
                .map_err(|e| FailedImage::prepare(&path, &e)),
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
                Some(Err(image)) => files.failed(image),
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
                        files.failed(FailedImage {
                            code: e.code(),
                            message: e.to_string(),
                            path: w.path,
                        });
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
            files.failed(FailedImage {
                path: path.to_owned(),
                code: ErrorCode::ImageTooLarge,
                message: format!("it cannot be sent: {reason}"),
            });
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
