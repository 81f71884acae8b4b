//! Probing a file from the pieces of it that the caller has read: a web page reads
//! `file.slice(…)` ranges, an object store serves byte ranges. The probe asks for the range
//! it lacks instead of failing, so the caller reads exactly what the header parsers need (the
//! first 64 KiB and the last 64 KiB answer almost every file) and gets the same answer as a
//! probe of the whole file.

use super::source::{Fault, MAX_READ, Parse, Source, corrupt};
use super::{Probe, ProbeError, probe_source};
use crate::limits::Limits;

/// The byte ranges of one file that have been read, with the file's length.
///
/// ```
/// use visionprep::probe::{Pieces, PieceError, probe_pieces};
/// use visionprep::Limits;
///
/// let file = std::fs::read("../../examples/images/chart-1092x1092.png")?;
/// let mut pieces = Pieces::new(file.len() as u64);
/// pieces.insert(0, &file[..64]);
/// let probe = loop {
///     match probe_pieces(&pieces, &Limits::default()) {
///         Ok(probe) => break probe,
///         Err(PieceError::Need(range)) => {
///             let (start, end) = (range.offset as usize, (range.offset + range.len) as usize);
///             pieces.insert(range.offset, &file[start..end]);
///         }
///         Err(PieceError::Probe(e)) => return Err(e.into()),
///     }
/// };
/// assert_eq!((probe.stored.width, probe.stored.height), (1092, 1092));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pieces {
    len: u64,
    /// Disjoint, sorted, non-adjacent ranges: (offset, bytes).
    parts: Vec<(u64, Vec<u8>)>,
}

/// A byte range of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Where it starts.
    pub offset: u64,
    /// How many bytes (never past the end of the file).
    pub len: u64,
}

/// Why [`probe_pieces`] gave no probe.
#[derive(Debug, thiserror::Error)]
pub enum PieceError {
    /// The header parsers need this range, which has not been read: read it (or more: a
    /// larger read saves a round trip), [`Pieces::insert`] it and probe again.
    #[error("the probe needs bytes {}..{} of the file", .0.offset, .0.offset + .0.len)]
    Need(ByteRange),
    /// The probe's answer: the file is not a readable image.
    #[error(transparent)]
    Probe(#[from] ProbeError),
}

impl PieceError {
    /// Its stable code: `need-bytes`, or the probe's own.
    pub fn code(&self) -> visionprep_core::ErrorCode {
        match self {
            PieceError::Need(_) => visionprep_core::ErrorCode::NeedBytes,
            PieceError::Probe(e) => e.code(),
        }
    }
}

impl Pieces {
    /// No bytes yet of a file of `len` bytes.
    pub fn new(len: u64) -> Self {
        Pieces {
            len,
            parts: Vec::new(),
        }
    }

    /// The length of the whole file.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many bytes have been read.
    pub fn held(&self) -> u64 {
        self.parts.iter().map(|(_, b)| b.len() as u64).sum()
    }

    /// Adds the bytes read at `offset`. Bytes past the file's length are dropped; ranges that
    /// overlap or touch are merged.
    pub fn insert(&mut self, offset: u64, bytes: &[u8]) {
        if offset >= self.len || bytes.is_empty() {
            return;
        }
        let keep = usize::try_from(self.len - offset).map_or(bytes.len(), |k| k.min(bytes.len()));
        let (new_start, new_end) = (offset, offset + keep as u64);
        let mut merged: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut start = new_start;
        let mut end = new_end;
        let mut pending: Vec<(u64, Vec<u8>)> = Vec::new();
        for part in std::mem::take(&mut self.parts) {
            let (s, e) = (part.0, part.0 + part.1.len() as u64);
            if e < start || s > end {
                merged.push(part);
            } else {
                start = start.min(s);
                end = end.max(e);
                pending.push(part);
            }
        }
        let mut joined = vec![0u8; (end - start) as usize];
        for (s, b) in &pending {
            let at = (s - start) as usize;
            joined[at..at + b.len()].copy_from_slice(b);
        }
        let at = (new_start - start) as usize;
        joined[at..at + keep].copy_from_slice(&bytes[..keep]);
        merged.push((start, joined));
        merged.sort_by_key(|(s, _)| *s);
        self.parts = merged;
    }

    /// The held bytes `off..end`, when one piece covers them.
    fn covered(&self, off: u64, end: u64) -> Option<&[u8]> {
        let i = self
            .parts
            .partition_point(|(s, _)| *s <= off)
            .checked_sub(1)?;
        let (s, b) = &self.parts[i];
        let stop = s + b.len() as u64;
        (end <= stop).then(|| &b[(off - s) as usize..(end - s) as usize])
    }
}

/// A [`Source`] over pieces that notes the first range it lacked.
struct PieceSource<'p> {
    pieces: &'p Pieces,
    missing: Option<ByteRange>,
}

impl Source for PieceSource<'_> {
    fn len(&self) -> u64 {
        self.pieces.len
    }

    fn bytes_upto(&mut self, off: u64, n: usize) -> Parse<&[u8]> {
        if n > MAX_READ {
            return corrupt(format!(
                "a {n}-byte structure is larger than any valid header"
            ));
        }
        let off = off.min(self.pieces.len);
        let end = off.saturating_add(n as u64).min(self.pieces.len);
        if end == off {
            return Ok(&[]);
        }
        match self.pieces.covered(off, end) {
            Some(b) => Ok(b),
            None => {
                self.missing.get_or_insert(ByteRange {
                    offset: off,
                    len: end - off,
                });
                Err(Fault::Truncated)
            }
        }
    }
}

/// Probes a file from the pieces read so far: the same answer as [`probe_bytes`] on the whole
/// file, or [`PieceError::Need`] naming the range to read next.
///
/// [`probe_bytes`]: crate::probe_bytes
pub fn probe_pieces(pieces: &Pieces, limits: &Limits) -> Result<Probe, PieceError> {
    let mut src = PieceSource {
        pieces,
        missing: None,
    };
    let result = probe_source(&mut src, limits);
    // A parser that met a missing range may have recovered from it (a GIF walk that stops
    // early): whatever it answered, the answer is only the whole file's once that range is in.
    if let Some(range) = src.missing {
        return Err(PieceError::Need(range));
    }
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe_bytes;

    /// Probes `file` starting from `first` bytes of head and tail, reading exactly what is
    /// asked; returns the probe's answer and the number of round trips.
    fn by_pieces(file: &[u8], first: usize) -> (Result<Probe, String>, usize) {
        let len = file.len();
        let mut pieces = Pieces::new(len as u64);
        pieces.insert(0, &file[..first.min(len)]);
        let tail = len.saturating_sub(first);
        pieces.insert(tail as u64, &file[tail..]);
        for round in 0..10_000 {
            match probe_pieces(&pieces, &Limits::default()) {
                Ok(p) => return (Ok(p), round),
                Err(PieceError::Probe(e)) => return (Err(e.to_string()), round),
                Err(PieceError::Need(r)) => {
                    assert!(r.len > 0 && r.offset + r.len <= len as u64, "{r:?}");
                    let before = pieces.held();
                    pieces.insert(
                        r.offset,
                        &file[r.offset as usize..(r.offset + r.len) as usize],
                    );
                    assert!(pieces.held() > before, "no progress at {r:?}");
                }
            }
        }
        panic!("no answer after 10,000 round trips");
    }

    fn examples() -> Vec<(String, Vec<u8>)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/images");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn pieces_give_the_whole_file_answer() {
        let files = examples();
        assert!(files.len() >= 5);
        for (name, file) in &files {
            let whole = probe_bytes(file, &Limits::default()).map_err(|e| e.to_string());
            for first in [0, 1, 16, 4096, 64 * 1024] {
                let (got, _) = by_pieces(file, first);
                assert_eq!(got, whole, "{name} from {first} bytes");
            }
            // Head and tail of 64 KiB answer in one go.
            assert_eq!(by_pieces(file, 64 * 1024).1, 0, "{name}");
        }
    }

    #[test]
    fn cut_files_and_junk_get_the_whole_file_answer() {
        let files = examples();
        assert!(files.len() >= 5 && files.iter().all(|(_, f)| f.len() > 100));
        for (name, file) in files {
            for cut in [1, 2, 7, 30, 100, 1000, file.len() / 2, file.len() - 1] {
                let part = &file[..cut.min(file.len())];
                let whole = probe_bytes(part, &Limits::default()).map_err(|e| e.to_string());
                assert_eq!(by_pieces(part, 16).0, whole, "{name} cut at {cut}");
            }
        }
        let junk = b"hello, this is text".repeat(100);
        let whole = probe_bytes(&junk, &Limits::default()).map_err(|e| e.to_string());
        assert_eq!(by_pieces(&junk, 64).0, whole);
        assert!(matches!(
            probe_pieces(&Pieces::new(0), &Limits::default()),
            Err(PieceError::Probe(ProbeError::Empty))
        ));
    }

    #[test]
    fn insert_merges_and_clips() {
        let mut p = Pieces::new(10);
        p.insert(6, b"6789XYZ");
        p.insert(0, b"012");
        p.insert(2, b"2345");
        assert_eq!(p.held(), 10);
        assert_eq!(p.parts.len(), 1);
        assert_eq!(p.parts[0].1, b"0123456789");
        p.insert(20, b"far");
        assert_eq!(p.held(), 10);
        let mut q = Pieces::new(10);
        q.insert(0, b"01");
        q.insert(5, b"56");
        assert_eq!(q.parts.len(), 2);
        assert_eq!(q.covered(5, 7), Some(&b"56"[..]));
        assert_eq!(q.covered(1, 3), None);
    }
}
