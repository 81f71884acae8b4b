//! An image to prepare as a caller holds it: bytes in memory, or a file.

use super::{PrepareError, PrepareOptions, Prepared, Preparer};
use std::path::PathBuf;

/// An image to prepare: bytes in memory (any owner: a `Vec<u8>`, a Python `bytes`, an
/// `Arc<[u8]>`), or a file the library reads (probed first, so a FIFO is refused unopened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<B = Vec<u8>> {
    /// The image's bytes.
    Bytes(B),
    /// The image's file.
    Path(PathBuf),
}

impl<B: AsRef<[u8]>> Input<B> {
    /// The name errors and rows carry: the path, or `None` for bytes.
    pub fn name(&self) -> Option<String> {
        match self {
            Input::Bytes(_) => None,
            Input::Path(p) => Some(p.display().to_string()),
        }
    }

    /// Reads the image's header ([`probe_bytes`](crate::probe_bytes) or
    /// [`probe_path`](crate::probe_path)).
    pub fn probe(&self, limits: &crate::Limits) -> Result<crate::Probe, crate::ProbeError> {
        match self {
            Input::Bytes(b) => crate::probe_bytes(b.as_ref(), limits),
            Input::Path(p) => crate::probe_path(p, limits),
        }
    }
}

impl Preparer {
    /// Prepares `input` as one image ([`Preparer::prepare`] or [`Preparer::prepare_path`]).
    pub fn prepare_input<B: AsRef<[u8]>>(
        &mut self,
        input: &Input<B>,
        options: &PrepareOptions,
    ) -> Result<Prepared, PrepareError> {
        match input {
            Input::Bytes(b) => self.prepare(b.as_ref(), options),
            Input::Path(p) => self.prepare_path(p, options),
        }
    }

    /// Prepares `input` as one image or tiles ([`Preparer::prepare_parts`]).
    pub fn prepare_input_parts<B: AsRef<[u8]>>(
        &mut self,
        input: &Input<B>,
        options: &PrepareOptions,
    ) -> Result<Vec<Prepared>, PrepareError> {
        match input {
            Input::Bytes(b) => self.prepare_parts(b.as_ref(), options),
            Input::Path(p) => {
                let probe = crate::probe::probe_path(p, &options.limits)?;
                self.prepare_file_parts(p, &probe, options)
            }
        }
    }
}
