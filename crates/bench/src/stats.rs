//! Medians and percentiles of timings, and the process's peak resident memory.

use std::time::Duration;

/// The `q`-quantile (0 to 1) of `values` by the nearest-rank rule: a value that was measured,
/// never an interpolation; `None` for no values.
pub(crate) fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

/// The median (the lower middle value of an even count, by nearest rank).
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// Milliseconds of a duration.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Starts a new peak-memory window: on Linux the kernel's high-water mark of resident memory
/// is reset to the current resident size (`/proc/self/clear_refs`, value 5). Elsewhere, or when
/// the kernel refuses, the peak stays the process's whole-life peak.
pub(crate) fn reset_peak_rss() {
    #[cfg(target_os = "linux")]
    {
        // Best effort: a refused reset only widens the window the peak covers.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}

/// The peak resident memory of this process since the last [`reset_peak_rss`], in bytes, where
/// the system says (Linux: `VmHWM` in `/proc/self/status`).
pub(crate) fn peak_rss() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line
            .trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_measured_values_by_nearest_rank() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0]), Some(3.0));
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.0));
        let mut ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&mut ten, 0.9), Some(9.0));
        assert_eq!(quantile(&mut ten, 1.0), Some(10.0));
        assert_eq!(quantile(&mut ten, 0.0), Some(1.0));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peak_covers_what_was_touched_since_the_reset() {
        reset_peak_rss();
        let before = peak_rss().unwrap_or(0);
        let block = vec![1u8; 64 << 20];
        let after = peak_rss().unwrap_or(0);
        assert!(
            std::hint::black_box(&block)
                .iter()
                .step_by(4096)
                .all(|&b| b == 1)
        );
        assert!(after >= before + (48 << 20), "{before} -> {after}");
    }
}
