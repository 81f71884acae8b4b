//! visionprep: make images Claude-ready, and know what they cost before sending them.
//!
//! This is the library users link before uploads. It builds on [`visionprep_core`] (the pure
//! fit rule, tokens, prices and limits, re-exported here as [`core`]) and adds what needs the
//! bytes of an image:
//!
//! - [`probe_path`], [`probe_bytes`]: read a header (a few KiB) to learn the format, the stored
//!   and displayed size, the EXIF orientation and whether it is animated, without decoding.
//!
//! ```no_run
//! use visionprep::{probe_path, Limits};
//! use visionprep::core::{Estimator, PriceTable, TokenRule};
//!
//! let probe = probe_path("photo.jpg", &Limits::default())?;
//! let table = PriceTable::builtin();
//! let estimator = Estimator::new(&table, &["claude-sonnet-4-6"], TokenRule::Area750)?;
//! let estimate = estimator.estimate(probe.displayed())[0];
//! println!("{} tokens, ${}", estimate.tokens, estimate.usd);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The pure-Rust build (no native codec features) has no unsafe code at all; with libjpeg or
// libwebp, only their FFI modules (prepare::libjpeg, prepare::libwebp) allow it.
#![cfg_attr(
    not(any(feature = "libjpeg", feature = "libwebp")),
    forbid(unsafe_code)
)]
#![cfg_attr(any(feature = "libjpeg", feature = "libwebp"), deny(unsafe_code))]
#![deny(missing_docs)]

pub use visionprep_core as core;

pub mod folder;
mod limits;
pub mod prepare;
pub mod probe;
pub mod report;
pub mod request;
pub mod settings;

pub use limits::Limits;
pub use prepare::{
    OutputPolicy, PrepareError, PrepareOptions, Prepared, Preparer, Target, prepare, prepare_path,
};
pub use probe::{Error, Metadata, Probe, ProbeError, probe_bytes, probe_file, probe_path};
pub use settings::{BodyText, Resolved, Settings, SettingsError};

/// The Rust examples of the README and the guides, run as doctests so they stay true (the
/// other languages' examples run in their own tests: docs/development.md says where).
#[cfg(doctest)]
mod doc_examples {
    #[doc = include_str!("../../../README.md")]
    struct Readme;
    #[doc = include_str!("../README.md")]
    struct CrateReadme;
    #[doc = include_str!("../../../docs/library.md")]
    struct Library;
    #[doc = include_str!("../../../docs/settings.md")]
    struct Settings;
}
