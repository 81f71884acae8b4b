//! The version and the codecs built in: `visionprep version [--verbose] [--json]`.

use crate::prepare::{CodecInfo, codecs};
use serde::Serialize;
use std::io::{self, Write};

/// visionprep's version and, when asked, each codec with its version and SIMD (so that a
/// build that lost its SIMD says so).
#[derive(Debug, Serialize)]
pub struct VersionReport {
    /// The version of visionprep.
    pub version: &'static str,
    /// The codecs and the resizer, when asked for (`null` in JSON otherwise).
    pub codecs: Option<Vec<CodecInfo>>,
}

impl VersionReport {
    /// The version, with the codecs when `verbose`.
    pub fn new(verbose: bool) -> Self {
        VersionReport {
            version: env!("CARGO_PKG_VERSION"),
            codecs: verbose.then(codecs),
        }
    }

    /// The report as `visionprep version` prints it: the version, then for each codec its
    /// kind (C or Rust), formats and roles, version and SIMD.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "visionprep {}", self.version)?;
        for c in self.codecs.iter().flatten() {
            writeln!(
                out,
                "  {:<24} {:<8} {:<22} {}",
                c.name,
                if c.native { "C" } else { "Rust" },
                c.formats.join(", "),
                c.roles.join(", ")
            )?;
            writeln!(out, "  {:<24} version: {}", "", c.version)?;
            writeln!(out, "  {:<24} SIMD: {}", "", c.simd)?;
        }
        Ok(())
    }
}
