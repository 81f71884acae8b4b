//! Whole files and folders, as `visionprep cost` and `visionprep prepare` handle them: the
//! library owns the batch, so every front end (the CLI, the Python module) gets the same walk,
//! names, resume and reports from the same calls.
//!
//! - [`walk`]: the files under the paths given, in a stable order, one bad entry never ending
//!   the walk ([`Item`]);
//! - [`Assessor`]: one file's cost row from its header alone;
//! - [`assess_folder`]: the whole cost report, in parallel, rows in input order;
//! - [`prepare_folder`]: preparation into an output folder, in parallel with one
//!   [`Preparer`](crate::prepare::Preparer) per worker, atomic writes, names decided by the
//!   [`Namer`], a [`Manifest`] so that a rerun keeps only what is still right, a full disk
//!   stopping the run with its report;
//! - [`PrepareMany`] and [`prepare_many`]: images that arrive one by one, prepared in
//!   parallel and handed back in order;
//! - [`in_order`] and [`streamed`]: the ordered parallel loops under both, for other work over
//!   walked files (request bodies).
//!
//! ```no_run
//! use visionprep::folder::{Assessor, RunError, RunOptions, Step, prepare_folder};
//! use visionprep::prepare::PrepareOptions;
//! use visionprep::core::{Estimator, PriceTable, TokenRule};
//! use visionprep::Limits;
//!
//! let options = PrepareOptions::default();
//! let table = PriceTable::builtin();
//! let assessor = Assessor {
//!     estimator: Estimator::new(&table, &[options.target.model()], TokenRule::Area750)?,
//!     limits: Limits::default(),
//!     request: options.request,
//! };
//! let paths = vec!["photos".into()];
//! let summary = prepare_folder(&paths, "prepared".as_ref(), &options, &assessor,
//!     &RunOptions::default(), |step| {
//!         if let Step::Row(row) = step {
//!             println!("{} -> {:?} {:?}", row.input.path, row.output_path, row.actions);
//!         }
//!         Ok::<(), RunError>(())
//!     })?;
//! println!("{} prepared, {} up to date", summary.totals.prepared, summary.totals.up_to_date);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod assess;
mod cost_rows;
mod manifest;
mod many;
mod output;
mod parallel;
mod prepare_run;
mod rows;
mod run;
mod tally;
mod walk;

pub use assess::{Assessor, Outcome, error_report};
pub use cost_rows::CostRows;
pub use manifest::{
    Entry, Freshness, MANIFEST_NAME, Manifest, ManifestError, Namer, OutputKey, TileFile,
    input_key, output_names, stamp, tile_name,
};
pub use many::{ManyResult, PrepareMany, prepare_many};
pub use output::{
    OutputFolderError, is_disk_full, output_folder, remove_stale_temps, temp_file, write_atomic,
    write_temp,
};
pub use parallel::{PoolError, WorkerPanicked, in_order, pool, streamed};
pub use prepare_run::prepare_folder;
pub use rows::{Orphan, PrepareRow, PrepareSummary, PrepareTotals, TileRow};
pub use run::{RunError, RunOptions, Step, WINDOW_PER_THREAD, assess_folder, budget_folder};
pub use tally::{CostHeader, CostTally};
pub use walk::{Item, path_text, walk};
