//! Message Batches files: request lines in JSONL files within the batch limits, a map from
//! each `custom_id` back to its images, and the reader that joins the results to both.
//!
//! A batch file is JSON Lines of `{"custom_id": ..., "params": BODY}`, each body a Messages
//! API request built by the [packer](super::pack). [`BatchFiles`] starts a new file before a
//! line would take the current one past [`BatchLimits`](visionprep_core::BatchLimits) (100,000 requests, 256 MB of JSONL
//! text, measured as written). Custom ids come from a [`CustomIds`] template: by default the
//! first image's file stem and a hash of every path of the request, so they are unique,
//! match `^[a-zA-Z0-9_-]{1,64}$` and are the same on every run. The map
//! (`visionprep-batch-map.jsonl` beside the files) records, per request, its paths, their
//! sizes and times, the options that made it, where its line is, and its estimated image
//! tokens and cost; a rerun copies the lines of requests whose images and options did not
//! change instead of preparing them again ([`batch_folder`]), and [`read_results`] joins a
//! results file to it.
//!
//! ```
//! use visionprep::request::batches::CustomIds;
//! let ids = CustomIds::default(); // "{stem}-{hash}"
//! let id = ids.id(&["photos/IMG 0042.jpg"], 1)?;
//! assert!(id.starts_with("IMG_0042-") && id.len() == "IMG_0042-".len() + 16);
//! assert_eq!(id, ids.id(&["photos/IMG 0042.jpg"], 7)?); // stable: no run-dependent part
//! # Ok::<(), visionprep::request::batches::BatchError>(())
//! ```

mod ids;
mod options;
mod results;
mod run;
mod writer;

pub use ids::{CustomIds, valid_id};
pub use options::{BatchOptions, BatchRequest};
pub use results::{BatchResults, ResultRow, read_results};
pub use run::batch_folder;
pub use writer::{BatchFileSummary, BatchFiles, BatchSummary, FailedImage, MapEntry};

use crate::folder::{RunError, WorkerPanicked};
use crate::request::PackError;
use std::path::Path;
use visionprep_core::ErrorCode;

/// The map's file name, in the folder of the batch files.
pub const MAP_NAME: &str = "visionprep-batch-map.jsonl";

/// Why batch files could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A custom-id template that cannot give valid ids.
    #[error("custom id template {template:?}: {reason}")]
    Template {
        /// The template.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two requests would get the same custom id.
    #[error(
        "custom id {id:?} of {path} is already the id of {other}: put {{hash}} in the template"
    )]
    DuplicateId {
        /// The id.
        id: String,
        /// The request's first path.
        path: String,
        /// The first path of the request that has it.
        other: String,
    },
    /// A request that cannot be written as given: params that are not one JSON object on one
    /// line, a cost that is not an amount.
    #[error("the request {id}: {reason}")]
    InvalidParams {
        /// Its custom id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A line longer than a whole batch may be (a body over 256 MB cannot be built).
    #[error("the request {id} is {bytes} bytes, over the {limit}-byte batch limit")]
    LineTooLarge {
        /// Its custom id.
        id: String,
        /// Its line's size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The request options cannot give a body (the prompt alone breaks a limit).
    #[error(transparent)]
    Pack(#[from] PackError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A results file line that is not a batch result.
    #[error("{path}:{line}: not a Message Batches result: {reason}")]
    Results {
        /// The file.
        path: String,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The run could not start or stopped.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl BatchError {
    /// Its stable code: `invalid-options` (a custom id template, a request's params),
    /// `duplicate-custom-id`, `request-too-large` (a line), `image-too-large` (an image no
    /// request can hold), the packer's own,
    /// `io`, `not-batch-results`, or the run's own.
    pub fn code(&self) -> ErrorCode {
        match self {
            BatchError::Template { .. } | BatchError::InvalidParams { .. } => {
                ErrorCode::InvalidOptions
            }
            BatchError::DuplicateId { .. } => ErrorCode::DuplicateCustomId,
            BatchError::LineTooLarge { .. } => ErrorCode::RequestTooLarge,
            BatchError::Pack(e) => e.code(),
            BatchError::Io { .. } => ErrorCode::Io,
            BatchError::Results { .. } => ErrorCode::NotBatchResults,
            BatchError::Run(e) => e.code(),
        }
    }

    /// The file the error is about, when it is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            BatchError::Results { path, .. } | BatchError::Io { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl From<WorkerPanicked> for BatchError {
    fn from(e: WorkerPanicked) -> Self {
        BatchError::Run(RunError::Panicked(e))
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::ids::MAX_ID;
    use super::*;
    use visionprep_core::BatchLimits;

    #[test]
    fn ids_are_valid_stable_and_fit() {
        let ids = CustomIds::default();
        let long = format!("dir/{}.png", "ü".repeat(80));
        let id = ids.id(&[&long], 1).unwrap();
        assert!(valid_id(&id) && id.len() <= MAX_ID - 3, "{id}");
        assert_eq!(id, ids.id(&[&long], 2).unwrap());
        assert_ne!(
            ids.id(&["a/x.png"], 1).unwrap(),
            ids.id(&["b/x.png"], 1).unwrap()
        );
        let numbered = CustomIds::new("req_{n}").unwrap();
        assert_eq!(numbered.id(&["x.png"], 42).unwrap(), "req_00000042");
        let both = CustomIds::new("{parent}-{stem}").unwrap();
        assert_eq!(both.id(&["scans/page 1.tif"], 1).unwrap(), "scans-page_1");
    }

    #[test]
    fn bad_templates_are_refused() {
        for t in [
            "",
            "fixed",
            "{nope}",
            "a b {hash}",
            "{hash",
            &"x".repeat(60),
        ] {
            assert!(CustomIds::new(t).is_err(), "{t}");
        }
    }

    #[test]
    fn files_roll_over_at_the_limits() {
        let dir = tempfile::tempdir().unwrap();
        let limits = BatchLimits {
            max_requests: 3,
            max_bytes: 200,
        };
        let mut files = BatchFiles::new(dir.path(), limits).unwrap();
        let entry = |id: &str| MapEntry {
            custom_id: id.into(),
            file: String::new(),
            offset: 0,
            length: 0,
            paths: vec![format!("{id}.png")],
            stamps: Vec::new(),
            key: String::new(),
            model: "claude-sonnet-4-6".into(),
            image_tokens: 10,
            usd: "0.000015".into(),
        };
        for i in 0..7 {
            files
                .add_params("{\"a\":1}", entry(&format!("r{i}")))
                .unwrap();
        }
        assert!(matches!(
            files.add_params("{\n\"a\": 1}", entry("pretty")),
            Err(BatchError::InvalidParams { .. })
        ));
        assert!(matches!(
            files.add_params("[1]", entry("array")),
            Err(BatchError::InvalidParams { .. })
        ));
        assert!(matches!(
            files.add_params("{\"a\":", entry("cut")),
            Err(BatchError::InvalidParams { .. })
        ));
        // 40-byte lines: three to a file by count.
        files
            .add_params(&format!("{{\"p\":\"{}\"}}", "x".repeat(150)), entry("big"))
            .unwrap();
        assert!(matches!(
            files.add_params("{}", entry("r0")),
            Err(BatchError::DuplicateId { .. })
        ));
        assert!(matches!(
            files.add_params(&format!("{{\"p\":\"{}\"}}", "1".repeat(300)), entry("huge")),
            Err(BatchError::LineTooLarge { .. })
        ));
        let summary = files.finish().unwrap();
        let counts: Vec<u64> = summary.files.iter().map(|f| f.requests).collect();
        assert_eq!(counts, [3, 3, 1, 1]);
        for f in &summary.files {
            let text = std::fs::read_to_string(&f.path).unwrap();
            assert_eq!(text.len() as u64, f.bytes);
            assert!(f.bytes <= limits.max_bytes);
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(valid_id(v["custom_id"].as_str().unwrap()));
            }
        }
        assert_eq!(summary.usd, "0.00012".parse().unwrap());
        let map = std::fs::read_to_string(&summary.map).unwrap();
        assert_eq!(map.lines().count(), 8);
    }
}
