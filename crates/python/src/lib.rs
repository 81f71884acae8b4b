//! The `visionprep` Python package's native module, `visionprep._visionprep`.
//!
//! A thin binding: every function here turns Python arguments into the library's options,
//! calls the library with the GIL released, and turns the result into Python objects. There
//! is no image, pricing or packing logic here that the Rust library lacks; the CLI calls the
//! same functions, so the same arguments give the same bytes, tokens and dollars.
//!
//! `unsafe` stays denied (the workspace lint): PyO3's macros expand to code that the
//! `unsafe_code` lint does not flag, and this crate writes no `unsafe` of its own.

mod batches;
mod cost;
mod errors;
mod options;
mod prepare;
mod report;
mod requests;
mod source;

use pyo3::prelude::*;

/// The native module. Its public face is the `visionprep` package (`python/visionprep`),
/// which re-exports everything here with docs and type hints (`_visionprep.pyi`).
#[pymodule]
fn _visionprep(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The parity table: each setting's name, CLI flag, Python keyword, JS option, note.
    let settings: Vec<_> = visionprep::settings::SPELLINGS
        .iter()
        .map(|s| (s.name, s.cli, s.python, s.js, s.note))
        .collect();
    m.add("SETTINGS", settings)?;
    errors::register(m)?;
    report::register(m)?;
    cost::register(m)?;
    prepare::register(m)?;
    requests::register(m)?;
    batches::register(m)?;
    Ok(())
}
