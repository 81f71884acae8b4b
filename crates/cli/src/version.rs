//! `visionprep version [--verbose] [--json]`.

use crate::args::VersionArgs;
use std::io::Write;

pub(crate) fn run(args: &VersionArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let codecs = visionprep::prepare::codecs();
    if args.json {
        let value = serde_json::json!({
            "version": version,
            "codecs": if args.verbose { serde_json::to_value(&codecs)? } else { serde_json::Value::Null },
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    writeln!(out, "visionprep {version}")?;
    if !args.verbose {
        return Ok(());
    }
    for c in &codecs {
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
