//! The per-file assessment of a cost report: probe the header, estimate every model, list the
//! problems; or say why the file could not be read.

use super::walk::{Item, path_text};
use crate::limits::Limits;
use crate::probe::{Probe, ProbeError, probe_file, probe_path};
use std::fs::File;
use visionprep_core::{
    ErrorCode, Estimator, FileReport, Format, ModelMap, PathText, PriceError, PriceTable,
    ReportError, RequestLimits,
};

/// Everything a worker needs to assess one file: the models to estimate, the decode limits and
/// the request limits problems are judged against.
#[derive(Debug, Clone)]
pub struct Assessor {
    /// The models and token rule.
    pub estimator: Estimator,
    /// Header limits (and lenient reading).
    pub limits: Limits,
    /// The request limits (byte cap, sides) problems are judged against.
    pub request: RequestLimits,
}

/// The outcome for one walked item.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A report line (with its error when the file could not be assessed).
    Report(FileReport),
    /// A file found in a folder that is not an image (no image extension, no image bytes):
    /// passed over and counted as skipped.
    NotAnImage,
}

impl Assessor {
    /// The assessor of a run that prepares with `options`: its model and token rule, its
    /// decode limits and its request limits.
    pub fn for_prepare(
        table: &PriceTable,
        options: &crate::prepare::PrepareOptions,
    ) -> Result<Assessor, PriceError> {
        Ok(Assessor {
            estimator: Estimator::new(table, &[options.target.model()], options.token_rule)?,
            limits: options.limits,
            request: options.request,
        })
    }

    /// Assesses one item from its header alone.
    pub fn assess(&self, item: &Item) -> Outcome {
        self.assess_probed(item).0
    }

    /// Assesses one item and hands on its probe, so that preparing it does not read the
    /// header again ([`Preparer::prepare_file`](crate::prepare::Preparer::prepare_file)).
    pub fn assess_probed(&self, item: &Item) -> (Outcome, Option<Probe>) {
        let path = item.path();
        let display = path_text(path);
        let probed = match item {
            Item::Broken { message, .. } => {
                let report = error_report(display, 0, None, ErrorCode::Unreadable, message.clone());
                return (Outcome::Report(report), None);
            }
            // A regular file found by the walk: open and read without another stat.
            Item::Found { path: p, .. } => File::open(p)
                .map_err(ProbeError::from)
                .and_then(|f| probe_file(&f, &self.limits)),
            Item::Named(p) => probe_path(p, &self.limits),
        };
        let extension = path.extension().and_then(|e| e.to_str());
        match probed {
            Ok(probe) => {
                let report = self.report(display, &probe, extension);
                (Outcome::Report(report), Some(probe))
            }
            Err(ProbeError::NotAnImage(_) | ProbeError::Empty)
                if matches!(item, Item::Found { .. })
                    && !extension.is_some_and(Format::is_image_extension) =>
            {
                (Outcome::NotAnImage, None)
            }
            Err(e) => {
                let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                let report = error_report(display, bytes, e.format(), e.code(), e.to_string());
                (Outcome::Report(report), None)
            }
        }
    }
}

impl Assessor {
    /// Assesses an image held in memory, as [`Assessor::assess`] does a file: `name` is the
    /// row's path (a file name, a URL, a key in a store); its extension is read as a file's.
    /// An error is the row's, never a failure.
    pub fn assess_bytes(&self, name: &str, bytes: &[u8]) -> FileReport {
        let (display, extension) = named(name);
        match crate::probe::probe_bytes(bytes, &self.limits) {
            Ok(probe) => self.report(display, &probe, extension),
            Err(e) => error_report(
                display,
                bytes.len() as u64,
                e.format(),
                e.code(),
                e.to_string(),
            ),
        }
    }

    /// [`Assessor::assess_bytes`] for bytes found by a walk of some store (a folder listing,
    /// an object-store prefix): [`Outcome::NotAnImage`] where a folder walk passes the file
    /// over (no image bytes, no image extension), as [`Assessor::assess`] does.
    pub fn assess_found_bytes(&self, name: &str, bytes: &[u8]) -> Outcome {
        let report = self.assess_bytes(name, bytes);
        let extension = std::path::Path::new(name)
            .extension()
            .and_then(|e| e.to_str());
        let passed_over = report.error.as_ref().is_some_and(|e| {
            matches!(e.code, ErrorCode::NotAnImage | ErrorCode::Empty)
                && !extension.is_some_and(Format::is_image_extension)
        });
        if passed_over {
            Outcome::NotAnImage
        } else {
            Outcome::Report(report)
        }
    }

    /// [`Assessor::assess_found_bytes`] from the pieces of a file read so far (a web page's
    /// `file.slice()` ranges): the same row as a read of the whole file, or the range to read
    /// next ([`probe_pieces`](crate::probe::probe_pieces)). `found` says the file came from
    /// a folder (a non-image is passed over) rather than being named.
    pub fn assess_pieces(
        &self,
        name: &str,
        pieces: &crate::probe::Pieces,
        found: bool,
    ) -> Result<Outcome, crate::probe::ByteRange> {
        use crate::probe::{PieceError, probe_pieces};
        let (display, extension) = named(name);
        match probe_pieces(pieces, &self.limits) {
            Ok(probe) => Ok(Outcome::Report(self.report(display, &probe, extension))),
            Err(PieceError::Need(range)) => Err(range),
            Err(PieceError::Probe(ProbeError::NotAnImage(_) | ProbeError::Empty))
                if found && !extension.is_some_and(Format::is_image_extension) =>
            {
                Ok(Outcome::NotAnImage)
            }
            Err(PieceError::Probe(e)) => Ok(Outcome::Report(error_report(
                display,
                pieces.len(),
                e.format(),
                e.code(),
                e.to_string(),
            ))),
        }
    }

    fn report(&self, display: PathText, probe: &Probe, extension: Option<&str>) -> FileReport {
        let facts = probe.facts(extension);
        let shown = probe.displayed();
        let models = self.estimator.models().iter().map(|m| m.id.clone());
        FileReport {
            path: display.text,
            path_escaped: display.escaped,
            media_type: Some(probe.format.mime()),
            format: Some(probe.format.name()),
            bytes: probe.bytes,
            width: Some(shown.width),
            height: Some(shown.height),
            models: ModelMap(models.zip(self.estimator.estimate(shown)).collect()),
            problems: facts.problems(&self.request),
            error: None,
        }
    }
}

/// The row's path for an image named `name` (not a path on this machine), and the extension
/// its name gives.
fn named(name: &str) -> (PathText, Option<&str>) {
    let display = PathText {
        text: name.to_owned(),
        escaped: false,
    };
    let extension = std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str());
    (display, extension)
}

/// A report line for a file that could not be assessed.
pub fn error_report(
    path: PathText,
    bytes: u64,
    format: Option<Format>,
    code: ErrorCode,
    message: String,
) -> FileReport {
    FileReport {
        path: path.text,
        path_escaped: path.escaped,
        media_type: format.map(|f| f.mime()),
        format: format.map(|f| f.name()),
        bytes,
        width: None,
        height: None,
        models: ModelMap(Vec::new()),
        problems: Vec::new(),
        error: Some(ReportError { code, message }),
    }
}
