//! The proxy's accounting: one JSON line per request in the log file (never a key, never a
//! body), running totals for `GET /visionprep/status`, a summary line at shutdown.

use crate::ProxyError;
use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use visionprep::request::GateStats;

/// Totals since the proxy started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Requests answered (any path).
    pub requests: u64,
    /// Bodies the gate read (Messages, count_tokens, batch creates).
    pub checked: u64,
    /// Bodies sent with images rewritten.
    pub rewritten_bodies: u64,
    /// Images in the bodies read.
    pub images: u64,
    /// Images rewritten.
    pub images_rewritten: u64,
    /// Image tokens of the bodies read, before.
    pub image_tokens_before: u64,
    /// Image tokens after.
    pub image_tokens_after: u64,
    /// Bytes of the bodies read, before.
    pub bytes_before: u64,
    /// Bytes after.
    pub bytes_after: u64,
    /// Requests the upstream could not be reached for (answered 502).
    pub upstream_errors: u64,
    /// Bodies over the size limit (answered 413).
    pub too_large: u64,
}

impl Totals {
    pub(crate) fn add(&mut self, stats: Option<&GateStats>, status: u16) {
        self.requests += 1;
        match status {
            502 => self.upstream_errors += 1,
            413 => self.too_large += 1,
            _ => {}
        }
        let Some(s) = stats else { return };
        self.checked += 1;
        self.rewritten_bodies += u64::from(s.rewritten > 0);
        self.images += s.images as u64;
        self.images_rewritten += s.rewritten as u64;
        self.image_tokens_before += s.image_tokens_before;
        self.image_tokens_after += s.image_tokens_after;
        self.bytes_before += s.bytes_before;
        self.bytes_after += s.bytes_after;
    }
}

/// One request's log line.
#[derive(Debug, Serialize)]
pub(crate) struct Line<'a> {
    /// Seconds since the Unix epoch, with milliseconds.
    pub(crate) time: f64,
    pub(crate) method: &'a str,
    /// The path, without the query (which may carry anything).
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) gate: Option<&'a GateStats>,
    /// Milliseconds the proxy added before the request went upstream (reading and checking).
    pub(crate) added_ms: f64,
    /// What went wrong on the way, when something did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<&'a str>,
}

/// The log file, when there is one.
pub(crate) struct Log(Option<Mutex<File>>);

impl Log {
    pub(crate) fn open(path: Option<&Path>) -> Result<Log, ProxyError> {
        let Some(path) = path else {
            return Ok(Log(None));
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| ProxyError::Io {
                what: format!("cannot open the log {}", path.display()),
                source,
            })?;
        Ok(Log(Some(Mutex::new(file))))
    }

    fn write(&self, value: &impl Serialize) {
        let Some(file) = &self.0 else { return };
        let Ok(mut text) = serde_json::to_vec(value) else {
            return;
        };
        text.push(b'\n');
        // A log that cannot be written must not stop the traffic.
        if let Ok(mut f) = file.lock() {
            let _ = f.write_all(&text);
        }
    }

    pub(crate) fn line(&self, line: &Line<'_>) {
        self.write(line);
    }

    pub(crate) fn summary(&self, totals: &Totals) {
        #[derive(Serialize)]
        struct Summary<'a> {
            time: f64,
            summary: &'a Totals,
        }
        self.write(&Summary {
            time: now(),
            summary: totals,
        });
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}
