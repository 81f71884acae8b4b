//! The benchmark's report as text tables.

use super::{BenchReport, KindResult};
use std::io::{self, Write};

impl BenchReport {
    /// Writes the report as text: the inputs, a table per kind and thread count, with
    /// `stages` a table of each stage's time per image, the comparison and the size sweep.
    pub fn write_text(&self, out: &mut dyn Write, stages: bool) -> io::Result<()> {
        let i = &self.inputs;
        if self.runs.is_empty() {
            writeln!(
                out,
                "visionprep bench: {}, {} CPU{}; no input images, the size sweep only",
                self.model,
                self.cpus,
                plural(self.cpus)
            )?;
            self.write_skipped(out)?;
            return self.write_sweep(out);
        }
        writeln!(
            out,
            "visionprep bench: {}, {} CPU{}; {} image{} ({:.1} MP, {}) read into memory first: disk is not measured",
            self.model,
            self.cpus,
            plural(self.cpus),
            i.images,
            plural(i.images),
            i.megapixels,
            mb(i.bytes),
        )?;
        writeln!(
            out,
            "each set: 1 warm-up pass, then {} timed pass{}; times are medians",
            self.repeat,
            if self.repeat == 1 { "" } else { "es" }
        )?;
        if i.not_loaded > 0 {
            writeln!(
                out,
                "{} more image{} not read: the inputs held in memory reached the cap (--max-input-mb)",
                i.not_loaded,
                plural(i.not_loaded as usize)
            )?;
        }
        self.write_skipped(out)?;
        writeln!(out)?;
        self.write_runs(out)?;
        if stages {
            self.write_stages(out)?;
        }
        if !self.compare.is_empty() || !self.compare_skipped.is_empty() {
            writeln!(out)?;
            self.write_compare(out)?;
        }
        if !self.sweep.is_empty() {
            writeln!(out)?;
            self.write_sweep(out)?;
        }
        Ok(())
    }

    fn write_skipped(&self, out: &mut dyn Write) -> io::Result<()> {
        for s in &self.skipped {
            let code = s.error_code.as_str();
            writeln!(out, "skipped {}: {code}: {}", s.path, s.error)?;
        }
        Ok(())
    }

    fn write_runs(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{:<18} {:>6} {:>7} {:>9} {:>8} {:>17} {:>8} {:>9}",
            "KIND",
            "IMAGES",
            "THREADS",
            "IMAGES/S",
            "MP/S",
            "MS/IMAGE MED/P90",
            "SCALING",
            "PEAK RSS"
        )?;
        let kinds: Vec<&str> = self
            .runs
            .first()
            .map(|r| r.kinds.iter().map(|k| k.kind.as_str()).collect())
            .unwrap_or_default();
        let mut row = |k: &KindResult, threads: usize, rss: Option<u64>, first: bool| {
            writeln!(
                out,
                "{:<18} {:>6} {:>7} {:>9.1} {:>8.1} {:>17} {:>8} {:>9}",
                if first { k.kind.as_str() } else { "" },
                if first {
                    k.images.to_string()
                } else {
                    String::new()
                },
                threads,
                k.images_per_second,
                k.megapixels_per_second,
                format!("{:.1} / {:.1}", k.prepare.median_ms, k.prepare.p90_ms),
                k.scaling_efficiency
                    .map_or_else(|| "-".to_owned(), |e| format!("{:.0}%", e * 100.0)),
                rss.map_or_else(|| "-".to_owned(), mb),
            )
        };
        for kind in kinds.iter().copied().chain(["all"]) {
            for (n, run) in self.runs.iter().enumerate() {
                let k = if kind == "all" {
                    Some(&run.total)
                } else {
                    run.kinds.iter().find(|k| k.kind == kind)
                };
                if let Some(k) = k {
                    let rss = (kind == "all").then_some(run.peak_rss_bytes).flatten();
                    row(k, run.threads, rss, n == 0)?;
                }
            }
        }
        Ok(())
    }

    fn write_stages(&self, out: &mut dyn Write) -> io::Result<()> {
        for run in &self.runs {
            writeln!(out)?;
            writeln!(
                out,
                "stages, {} thread{}: ms per image, median / p90 (- : no image went through it)",
                run.threads,
                plural(run.threads)
            )?;
            let names: Vec<&str> = run.total.stages.iter().map(|s| s.stage).collect();
            write!(out, "{:<18}", "KIND")?;
            for name in &names {
                write!(out, " {:>13}", name.to_uppercase())?;
            }
            writeln!(out, " {:>13}", "WHOLE")?;
            for k in run.kinds.iter().chain([&run.total]) {
                write!(out, "{:<18}", k.kind)?;
                for s in &k.stages {
                    let cell = s.timing.map_or_else(
                        || "-".to_owned(),
                        |t| format!("{} / {}", short(t.median_ms), short(t.p90_ms)),
                    );
                    write!(out, " {cell:>13}")?;
                }
                writeln!(
                    out,
                    " {:>13}",
                    format!(
                        "{} / {}",
                        short(k.prepare.median_ms),
                        short(k.prepare.p90_ms)
                    )
                )?;
            }
            write!(out, "{:<18}", "share of time")?;
            for s in &run.total.stages {
                let cell = s
                    .share
                    .map_or_else(|| "-".to_owned(), |x| format!("{:.0}%", x * 100.0));
                write!(out, " {cell:>13}")?;
            }
            writeln!(out)?;
        }
        Ok(())
    }

    fn write_compare(&self, out: &mut dyn Write) -> io::Result<()> {
        if !self.compare.is_empty() {
            writeln!(
                out,
                "compared in the same run, same images and targets (RATIO: visionprep's images/s over the tool's; above 1, visionprep is faster)"
            )?;
            let names: Vec<String> = self
                .compare
                .iter()
                .map(|r| format!("{} {}", r.tool, r.version))
                .collect();
            let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(4);
            writeln!(
                out,
                "{:<width$} {:<18} {:>7} {:>10} {:>13} {:>7}",
                "TOOL", "KIND", "THREADS", "TOOL IMG/S", "VISIONPREP/S", "RATIO"
            )?;
            for (run, name) in self.compare.iter().zip(&names) {
                for k in run.kinds.iter().chain([&run.total]) {
                    let (rate, ratio) = match (k.images_per_second, k.ratio) {
                        (Some(r), Some(x)) => (format!("{r:.1}"), format!("{x:.2}x")),
                        _ => ("-".to_owned(), "-".to_owned()),
                    };
                    writeln!(
                        out,
                        "{:<width$} {:<18} {:>7} {:>10} {:>13.1} {:>7}{}",
                        name,
                        k.kind,
                        run.threads,
                        rate,
                        k.visionprep_images_per_second,
                        ratio,
                        k.skipped
                            .as_ref()
                            .map(|s| format!("  (not measured: {s})"))
                            .unwrap_or_default()
                    )?;
                }
            }
            let mut hows: Vec<(&str, &str)> = self
                .compare
                .iter()
                .map(|r| (r.tool.as_str(), r.how))
                .collect();
            hows.dedup();
            for (tool, how) in hows {
                writeln!(out, "  {tool}: {how}")?;
            }
        }
        for s in &self.compare_skipped {
            writeln!(out, "not compared: {}: {}", s.tool, s.reason)?;
        }
        Ok(())
    }

    fn write_sweep(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "input size sweep: synthetic photo-like baseline JPEGs, 1 thread, ms per image (medians)"
        )?;
        let mut names: Vec<&str> = Vec::new();
        for row in &self.sweep {
            for (name, _) in &row.stages {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
        write!(out, "{:>6} {:>11} {:>11}", "MP", "INPUT", "OUTPUT")?;
        for name in &names {
            write!(out, " {:>8}", name.to_uppercase())?;
        }
        writeln!(out, " {:>8} {:>7}", "WHOLE", "MP/S")?;
        for row in &self.sweep {
            write!(
                out,
                "{:>6} {:>11} {:>11}",
                row.megapixels,
                format!("{}x{}", row.width, row.height),
                format!("{}x{}", row.output_width, row.output_height)
            )?;
            for name in &names {
                let cell = row
                    .stages
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or_else(|| "-".to_owned(), |(_, ms)| short(*ms));
                write!(out, " {cell:>8}")?;
            }
            writeln!(
                out,
                " {:>8} {:>7.1}",
                short(row.prepare_ms),
                row.megapixels_per_second
            )?;
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Milliseconds in at most four significant places: 0.012, 1.23, 12.3, 123.
fn short(ms: f64) -> String {
    if ms < 0.1 {
        format!("{ms:.3}")
    } else if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}
