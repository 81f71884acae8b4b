//! Folders made into Messages API request bodies (`visionprep request`): walked, prepared in
//! parallel and in order, packed into the fewest bodies the limits allow, each body written
//! atomically as soon as it is full, so memory holds one body's images.

use super::batches::FailedImage;
use super::pack::{PackError, PackImage, PackOptions, Packer};
use crate::folder::{
    Assessor, Item, RunError, RunOptions, WINDOW_PER_THREAD, WorkerPanicked, path_text, pool,
    remove_stale_temps, streamed, walk, write_temp,
};
use crate::prepare::{PrepareOptions, Preparer};
use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use visionprep_core::request::MessagesRequest;
use visionprep_core::{ErrorCode, Usd};

/// What a request run sends: the files, the images by reference, and where bodies go.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RequestRun {
    /// Files and folders of images, walked like `prepare`'s, sent first.
    pub paths: Vec<PathBuf>,
    /// Images the API fetches by URL, sent after the files.
    pub urls: Vec<String>,
    /// Images uploaded with the Files API, sent after the URLs.
    pub file_ids: Vec<String>,
    /// The folder `request-001.json`, `request-002.json`, ... are written to; `None` for a
    /// dry run (the bodies are planned and reported, nothing is written).
    pub out: Option<PathBuf>,
}

impl RequestRun {
    /// A run over `paths` writing into `out` (`None`: a dry run).
    pub fn new(paths: Vec<PathBuf>, out: Option<PathBuf>) -> Self {
        RequestRun {
            paths,
            out,
            ..RequestRun::default()
        }
    }
}

/// One body of a run, closed (and written unless the run is dry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBody {
    /// Its file name, `request-001.json`, ...
    pub name: String,
    /// The new images it holds (the history's not counted).
    pub images: usize,
    /// The body's size in bytes.
    pub bytes: u64,
    /// The image tokens of its new images whose tokens are known (not those sent by URL or
    /// file id).
    pub tokens: u64,
    /// What those tokens cost.
    pub usd: Usd,
}

/// What a request run did, as it happens.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestEvent<'a> {
    /// A walked file was done with (prepared, failed or passed over).
    Walked,
    /// A body was closed.
    Body(&'a WrittenBody),
    /// An image went into no body: unreadable, not preparable, or too large for any body.
    Failed(&'a FailedImage),
}

/// The totals of a request run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestRunSummary {
    /// Bodies closed.
    pub bodies: usize,
    /// New images in them.
    pub images: usize,
    /// Their known image tokens.
    pub tokens: u64,
    /// What those cost.
    pub usd: Usd,
    /// Images of the history every body repeats.
    pub held: usize,
    /// Images sent by URL or file id, whose tokens are not known here.
    pub by_reference: usize,
    /// Images that went into no body.
    pub failed: Vec<FailedImage>,
    /// Whether the bodies were written (false for a dry run).
    pub written: bool,
}

/// Why a request run could not start or went on no further.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestRunError {
    /// The history already breaks a limit, or the prompt alone does.
    #[error("cannot continue the conversation: {0}")]
    Pack(#[from] PackError),
    /// The output folder could not be created.
    #[error("cannot create the output folder {path}: {source}")]
    OutputFolder {
        /// The folder.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A body could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The run could not start or stopped.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl RequestRunError {
    /// Its stable code: `request-too-large`, `io`, or the run's own.
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestRunError::Pack(e) => e.code(),
            RequestRunError::OutputFolder { .. } | RequestRunError::Io { .. } => ErrorCode::Io,
            RequestRunError::Run(e) => e.code(),
        }
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RequestRunError + '_ {
        move |source| RequestRunError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<WorkerPanicked> for RequestRunError {
    fn from(e: WorkerPanicked) -> Self {
        RequestRunError::Run(RunError::Panicked(e))
    }
}

impl PackOptions {
    /// Continues the conversation of `history` (a request body): its turns come first in
    /// every body, its other members (`tools`, ...) are kept, and its system prompt is used
    /// unless one is set already. Returns how many images the history holds.
    pub fn continue_from(&mut self, history: MessagesRequest) -> usize {
        let held = history.media_count();
        self.system = self.system.take().or(history.system);
        self.extra = history.extra;
        self.history = history.messages;
        held
    }
}

/// Prepares the images of `run` with `prepare` (each whole, or as tiles by its options),
/// packs them with `pack` into the fewest bodies and writes each body as it closes.
/// `on_event` hears of every body and failure in input order; a failed image does not stop
/// the run (it is in the summary's `failed`), an unwritable body does.
pub fn request_folder(
    run: &RequestRun,
    pack: &PackOptions,
    prepare: &PrepareOptions,
    assessor: &Assessor,
    options: &RunOptions,
    mut on_event: impl FnMut(RequestEvent<'_>),
) -> Result<RequestRunSummary, RequestRunError> {
    let pool = pool(options.jobs).map_err(RunError::from)?;
    let mut packer = Packer::new(pack)?;
    if let Some(dir) = &run.out {
        std::fs::create_dir_all(dir).map_err(|source| RequestRunError::OutputFolder {
            path: dir.display().to_string(),
            source,
        })?;
        remove_stale_temps(dir);
    }
    let held = pack
        .history
        .iter()
        .flat_map(|m| &m.content)
        .map(|b| b.media_count())
        .sum();
    let mut bodies = Bodies {
        out: run.out.as_deref(),
        held,
        waiting: VecDeque::new(),
        summary: RequestRunSummary {
            held,
            by_reference: run.urls.len() + run.file_ids.len(),
            written: run.out.is_some(),
            ..RequestRunSummary::default()
        },
    };
    let work = |preparer: &mut Preparer, item: &Item| {
        let path = path_text(item.path()).text;
        let probe = match FailedImage::probe(assessor, item, &path)? {
            Ok(probe) => probe,
            Err(failed) => return Some(Err(failed)),
        };
        Some(
            preparer
                .prepare_file_parts(item.path(), &probe, prepare)
                .map_err(|e| FailedImage::prepare(&path, &e)),
        )
    };
    streamed::<_, _, RequestRunError>(
        walk(&run.paths, options.hidden),
        &pool,
        WINDOW_PER_THREAD * pool.current_num_threads(),
        Preparer::new,
        work,
        |item, done| {
            on_event(RequestEvent::Walked);
            match done {
                None => {}
                Some(Ok(parts)) => {
                    let images = parts.iter().map(PackImage::from_prepared).collect();
                    let tokens = parts.iter().map(|p| Some((p.tokens, p.usd)));
                    let name = path_text(item.path()).text;
                    bodies.add(&mut packer, images, tokens, name, &mut on_event)?;
                }
                Some(Err(failed)) => bodies.failed(failed, &mut on_event),
            }
            Ok(ControlFlow::Continue(()))
        },
    )?;
    for url in &run.urls {
        let image = vec![PackImage::url(url)];
        bodies.add(&mut packer, image, [None], url.clone(), &mut on_event)?;
    }
    for id in &run.file_ids {
        let image = vec![PackImage::file(id)];
        bodies.add(&mut packer, image, [None], id.clone(), &mut on_event)?;
    }
    if let Some(last) = packer.finish() {
        bodies.write(&last, &mut on_event)?;
    }
    Ok(bodies.summary)
}

/// The bodies closed so far, and the images waiting in the open one.
struct Bodies<'a> {
    out: Option<&'a Path>,
    held: usize,
    /// Tokens and cost of each image in the open body, when known (not for URLs, file ids).
    waiting: VecDeque<Option<(u64, Usd)>>,
    summary: RequestRunSummary,
}

impl Bodies<'_> {
    /// Packs one image, or the tiles of one (together where the limits allow), writing the
    /// bodies they close; an image that fits no body is a failure of its own.
    fn add(
        &mut self,
        packer: &mut Packer<'_>,
        images: Vec<PackImage>,
        tokens: impl IntoIterator<Item = Option<(u64, Usd)>>,
        name: String,
        on_event: &mut impl FnMut(RequestEvent<'_>),
    ) -> Result<(), RequestRunError> {
        match packer.push_group(images) {
            Ok(closed) => {
                // Bodies close in order, each taking its images' entries from the front.
                self.waiting.extend(tokens);
                for body in closed {
                    self.write(&body, on_event)?;
                }
            }
            Err(PackError::ImageTooLarge { reason, .. }) => {
                let failed = FailedImage {
                    path: name,
                    code: ErrorCode::ImageTooLarge,
                    message: format!("it cannot be sent: {reason}"),
                };
                self.failed(failed, on_event);
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }

    fn failed(&mut self, failed: FailedImage, on_event: &mut impl FnMut(RequestEvent<'_>)) {
        on_event(RequestEvent::Failed(&failed));
        self.summary.failed.push(failed);
    }

    fn write(
        &mut self,
        body: &MessagesRequest,
        on_event: &mut impl FnMut(RequestEvent<'_>),
    ) -> Result<(), RequestRunError> {
        let name = format!("request-{:03}.json", self.summary.bodies + 1);
        let bytes = serde_json::to_vec(body).map_err(|e| RequestRunError::Io {
            path: name.clone(),
            source: e.into(),
        })?;
        let count = body.media_count().saturating_sub(self.held);
        let (tokens, usd) = self
            .waiting
            .drain(..count.min(self.waiting.len()))
            .flatten()
            .fold((0, Usd::ZERO), |(t, u), (bt, bu)| (t + bt, u + bu));
        if let Some(dir) = self.out {
            let path = dir.join(&name);
            write_temp(&path, &bytes)
                .and_then(|t| t.persist(&path).map(|_| ()).map_err(|e| e.error))
                .map_err(RequestRunError::io(&path))?;
        }
        let written = WrittenBody {
            name,
            images: count,
            bytes: bytes.len() as u64,
            tokens,
            usd,
        };
        let s = &mut self.summary;
        s.bodies += 1;
        s.images += count;
        s.tokens += tokens;
        s.usd += usd;
        on_event(RequestEvent::Body(&written));
        Ok(())
    }
}
