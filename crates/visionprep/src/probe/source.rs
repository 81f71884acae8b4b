//! Positioned reads for the header parsers: slices in memory, files through a small window.

use std::fs::File;
use std::io;

/// The largest single read a parser may ask for. Parsers ask only for structures whose size
/// the format itself bounds (a JPEG segment is at most 64 KiB); anything larger is refused
/// before allocation.
pub(crate) const MAX_READ: usize = 4 << 20;

/// What went wrong inside a parser; the caller adds the format.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The data ends before the structure does.
    Truncated,
    /// The structure is invalid.
    Corrupt(String),
    /// The format is recognised but this variant cannot be read.
    Unsupported(String),
    /// Reading failed.
    Io(io::Error),
}

pub(crate) type Parse<T> = Result<T, Fault>;

pub(crate) fn corrupt<T>(why: impl Into<String>) -> Parse<T> {
    Err(Fault::Corrupt(why.into()))
}

/// Random access to the bytes of one file.
pub(crate) trait Source {
    /// The total length in bytes.
    fn len(&self) -> u64;

    /// Up to `n` bytes at `off`: fewer only where the source ends.
    fn bytes_upto(&mut self, off: u64, n: usize) -> Parse<&[u8]>;

    /// Exactly `n` bytes at `off`, or [`Fault::Truncated`].
    fn bytes(&mut self, off: u64, n: usize) -> Parse<&[u8]> {
        let len = self.len();
        if off.checked_add(n as u64).is_none_or(|end| end > len) {
            return Err(Fault::Truncated);
        }
        self.bytes_upto(off, n)
    }

    /// Sets how much a miss reads ahead (only files read ahead).
    fn set_chunk(&mut self, _chunk: usize) {}

    fn u8_at(&mut self, off: u64) -> Parse<u8> {
        Ok(self.bytes(off, 1)?[0])
    }

    fn be16(&mut self, off: u64) -> Parse<u16> {
        let b = self.bytes(off, 2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn be32(&mut self, off: u64) -> Parse<u32> {
        let b = self.bytes(off, 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn le32(&mut self, off: u64) -> Parse<u32> {
        let b = self.bytes(off, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn bytes_upto(&mut self, off: u64, n: usize) -> Parse<&[u8]> {
        if n > MAX_READ {
            return corrupt(format!(
                "a {n}-byte structure is larger than any valid header"
            ));
        }
        let start = usize::try_from(off).map_or(<[u8]>::len(self), |o| o.min(<[u8]>::len(self)));
        let end = start.saturating_add(n).min(<[u8]>::len(self));
        Ok(&self[start..end])
    }
}

/// A file read through one reusable window: the first read takes [`FileSource::FIRST`] bytes,
/// later misses take at least `chunk`, so walking a header costs one or two system calls.
pub(crate) struct FileSource<'f> {
    file: &'f File,
    len: u64,
    buf: Vec<u8>,
    start: u64,
    filled: usize,
    chunk: usize,
}

impl<'f> FileSource<'f> {
    /// Bytes taken by the first read: enough for every header but JPEGs with large Exif blocks.
    pub(crate) const FIRST: usize = 4096;

    pub(crate) fn new(file: &'f File, len: u64) -> Self {
        Self {
            file,
            len,
            buf: Vec::new(),
            start: 0,
            filled: 0,
            chunk: Self::FIRST,
        }
    }

    fn fill(&mut self, off: u64, n: usize) -> Parse<()> {
        let want = n
            .max(self.chunk)
            .min(usize::try_from(self.len - off).unwrap_or(usize::MAX));
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let mut got = 0;
        while got < want {
            match read_at(self.file, &mut self.buf[got..want], off + got as u64) {
                Ok(0) => break, // the file shrank while we read it
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Fault::Io(e)),
            }
        }
        self.start = off;
        self.filled = got;
        Ok(())
    }
}

impl Source for FileSource<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn set_chunk(&mut self, chunk: usize) {
        self.chunk = chunk.clamp(1, MAX_READ);
    }

    fn bytes_upto(&mut self, off: u64, n: usize) -> Parse<&[u8]> {
        if n > MAX_READ {
            return corrupt(format!(
                "a {n}-byte structure is larger than any valid header"
            ));
        }
        if off >= self.len {
            return Ok(&[]);
        }
        let n = n.min(usize::try_from(self.len - off).unwrap_or(usize::MAX));
        let end = off + n as u64;
        if off < self.start || end > self.start + self.filled as u64 {
            self.fill(off, n)?;
        }
        let from = (off - self.start) as usize;
        let to = (from + n).min(self.filled);
        if to - from < n {
            // The file is shorter than its length said: it changed under us.
            return Err(Fault::Truncated);
        }
        Ok(&self.buf[from..to])
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, off)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, off)
}

#[cfg(not(any(unix, windows)))]
fn read_at(mut file: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(off))?;
    file.read(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn slices_and_files_agree() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(&data).unwrap();
        let file = tmp.reopen().unwrap();
        let mut fs = FileSource::new(&file, data.len() as u64);
        let mut ss: &[u8] = &data;
        for (off, n) in [
            (0u64, 4usize),
            (4090, 10),
            (19_990, 10),
            (100, 5000),
            (12, 1),
            (19_999, 1),
        ] {
            let a = fs.bytes(off, n).unwrap().to_vec();
            let b = ss.bytes(off, n).unwrap().to_vec();
            assert_eq!(a, b, "{off}+{n}");
            assert_eq!(a, data[off as usize..off as usize + n]);
        }
        assert!(matches!(fs.bytes(19_995, 10), Err(Fault::Truncated)));
        assert!(matches!(ss.bytes(19_995, 10), Err(Fault::Truncated)));
        assert!(matches!(ss.bytes(u64::MAX, 10), Err(Fault::Truncated)));
        assert_eq!(fs.bytes_upto(19_995, 10).unwrap().len(), 5);
        assert_eq!(ss.bytes_upto(u64::MAX, 10).unwrap().len(), 0);
        assert!(matches!(
            ss.bytes_upto(0, MAX_READ + 1),
            Err(Fault::Corrupt(_))
        ));
        // A file that is shorter than the length we were told is truncated, not a panic.
        let mut liar = FileSource::new(&file, 50_000);
        assert!(matches!(liar.bytes(30_000, 10), Err(Fault::Truncated)));
    }
}
