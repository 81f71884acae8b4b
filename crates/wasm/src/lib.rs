//! visionprep in WebAssembly: the same fit rule, prices, header probe, pipeline, request packer
//! and checker as the CLI and the Python package, for browsers and Node.
//!
//! This crate is a thin binding. Every export converts its JavaScript arguments, calls the
//! library (the pure-Rust build: no C codecs, so it compiles to `wasm32-unknown-unknown`) and
//! converts the answer back; the work is in [`logic`], which the native tests cover. Options
//! are plain objects with the CLI's flags in camelCase (`tokenRule`, `outputFormat`), checked
//! field by field: an unknown field is an error, not ignored. Results are plain objects; the
//! rows of a cost report are the `files` entries of `visionprep cost --format json`, field for
//! field, so the page and the CLI agree to the token and the micro-dollar.
//!
//! Refusals are thrown as `Error`s named `VisionprepError` with the CLI's `code`
//! (`corrupt`, `unknown-model`, `invalid-options`, ...), the `path` of the file when known,
//! and, for `need-bytes`, `need: {offset, length}`: the range of the file to read next when
//! a header continues past the bytes given.
//!
//! `unsafe` stays denied (the workspace lint): wasm-bindgen's macros expand to code the lint
//! does not flag, and this crate writes none of its own.

pub mod logic;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
pub use bindings::*;
