//! `visionprep request`: prepare images and write request bodies that hold them.

use crate::args::RequestArgs;
use crate::cost::{progress_bar, resolve};
use anyhow::{Context as _, Result};
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use visionprep::core::Usd;
use visionprep::core::request::MessagesRequest;
use visionprep::folder::{
    Item, Outcome, WINDOW_PER_THREAD, pool, remove_stale_temps, streamed, walk, write_temp,
};
use visionprep::prepare::Preparer;
use visionprep::report::{group, money};
use visionprep::request::{PackError, PackImage, PackOptions, Packer};

/// Prepares, packs and writes; returns how many files failed.
pub(crate) fn run(args: &RequestArgs, out: &mut dyn Write) -> Result<u64> {
    let p = &args.pipeline;
    let resolved = resolve(&p.settings())?;
    let (options, assessor) = (&resolved.prepare, resolved.prepare_assessor()?);
    let pool = pool(p.walk.jobs)?;
    let progress = progress_bar(p.walk.no_progress);
    let history = match &args.history {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                serde_json::from_slice::<MessagesRequest>(&bytes).with_context(|| {
                    format!("{} is not a Messages API request body", path.display())
                })?,
            )
        }
        None => None,
    };
    let mut pack_options =
        PackOptions::new(options.target.model(), &args.text.prompt, options.request);
    pack_options.max_tokens = args.text.max_tokens;
    pack_options.system = args.text.system.clone().map(Into::into);
    let mut held = 0;
    if let Some(history) = history {
        held = history.media_count();
        pack_options.system = pack_options.system.or(history.system);
        pack_options.extra = history.extra;
        pack_options.history = history.messages;
    }
    let mut packer = Packer::new(&pack_options).context("cannot continue the conversation")?;
    if let Some(dir) = args.out.as_ref().filter(|_| !args.dry_run) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output folder {}", dir.display()))?;
        remove_stale_temps(dir);
    }
    // Bodies are written as soon as they are full: memory holds one body's images.
    let mut bodies = Bodies {
        args,
        held,
        out,
        written: 0,
        images: 0,
        waiting: VecDeque::new(),
        tokens: 0,
        usd: Usd::ZERO,
        failed: 0,
    };
    let work = |preparer: &mut Preparer, item: &Item| {
        let probe = match assessor.assess_probed(item) {
            (Outcome::NotAnImage, _) => return None,
            (Outcome::Report(r), Some(probe)) if r.error.is_none() => probe,
            (Outcome::Report(r), _) => {
                let message = r.error.map(|e| e.message).unwrap_or_default();
                return Some(Err(format!("{}: {message}", r.path)));
            }
        };
        Some(
            preparer
                .prepare_file_parts(item.path(), &probe, options)
                .map_err(|e| format!("{}: {e}", item.path().display())),
        )
    };
    streamed::<_, _, anyhow::Error>(
        walk(&args.paths, p.walk.hidden),
        &pool,
        WINDOW_PER_THREAD * pool.current_num_threads(),
        Preparer::new,
        work,
        |item, done| {
            progress.inc(1);
            match done {
                None => {}
                Some(Ok(parts)) => {
                    let images = parts.iter().map(PackImage::from_prepared).collect();
                    let tokens = parts.iter().map(|p| Some((p.tokens, p.usd)));
                    bodies.add(
                        &mut packer,
                        images,
                        tokens,
                        &item.path().display().to_string(),
                    )?;
                }
                Some(Err(message)) => {
                    bodies.failed += 1;
                    eprintln!("visionprep: skipped {message}");
                }
            }
            Ok(std::ops::ControlFlow::Continue(()))
        },
    )?;
    progress.finish_and_clear();
    for url in &args.url {
        bodies.add(&mut packer, vec![PackImage::url(url)], [None], url)?;
    }
    for id in &args.file_id {
        bodies.add(&mut packer, vec![PackImage::file(id)], [None], id)?;
    }
    if let Some(last) = packer.finish() {
        bodies.write(&last)?;
    }
    bodies.summary(options.target.model())?;
    Ok(bodies.failed)
}

/// The bodies written so far, and the images waiting in the open one.
struct Bodies<'a> {
    args: &'a RequestArgs,
    held: usize,
    out: &'a mut dyn Write,
    written: usize,
    images: usize,
    /// Tokens and cost of each image in the open body, when known (not for URLs, file ids).
    waiting: VecDeque<Option<(u64, Usd)>>,
    tokens: u64,
    usd: Usd,
    failed: u64,
}

impl Bodies<'_> {
    /// Packs one image, or the tiles of one (together where the limits allow), writing the
    /// bodies they close; an image that fits no body is named and counted as failed.
    fn add(
        &mut self,
        packer: &mut Packer<'_>,
        images: Vec<PackImage>,
        tokens: impl IntoIterator<Item = Option<(u64, Usd)>>,
        name: &str,
    ) -> Result<()> {
        match packer.push_group(images) {
            Ok(closed) => {
                // Bodies close in order, each taking its images' entries from the front.
                self.waiting.extend(tokens);
                for body in closed {
                    self.write(&body)?;
                }
            }
            Err(PackError::ImageTooLarge { reason, .. }) => {
                self.failed += 1;
                eprintln!("visionprep: skipped {name}: it cannot be sent: {reason}");
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }

    fn write(&mut self, body: &MessagesRequest) -> Result<()> {
        let bytes = serde_json::to_vec(body)?;
        let count = body.media_count().saturating_sub(self.held);
        let (body_tokens, body_usd) = known(self.waiting.drain(..count.min(self.waiting.len())));
        self.written += 1;
        self.images += count;
        self.tokens += body_tokens;
        self.usd += body_usd;
        let name = format!("request-{:03}.json", self.written);
        if let Some(dir) = self.args.out.as_ref().filter(|_| !self.args.dry_run) {
            write_atomically(&dir.join(&name), &bytes)?;
        }
        writeln!(
            self.out,
            "{name}  {count:>3} images  {:>12} bytes  {:>9} image tokens  {}",
            group(bytes.len() as u64),
            group(body_tokens),
            money(body_usd, 6)
        )?;
        Ok(())
    }

    fn summary(&mut self, model: &str) -> Result<()> {
        let mut uncounted = vec!["text tokens".to_owned()];
        if self.held > 0 {
            uncounted.push(format!("the {} images of earlier turns", self.held));
        }
        let unknown = self.args.url.len() + self.args.file_id.len();
        if unknown > 0 {
            uncounted.push(format!("{unknown} images by URL or file id"));
        }
        let n = self.written;
        writeln!(
            self.out,
            "{n} bod{}, {} new images, {} image tokens, {} on {model} ({}); not counted: {}",
            if n == 1 { "y" } else { "ies" },
            self.images,
            group(self.tokens),
            money(self.usd, 6),
            if self.args.dry_run {
                "dry run: nothing written"
            } else {
                "written"
            },
            uncounted.join(", "),
        )?;
        self.out.flush()?;
        Ok(())
    }
}

/// Sums the image tokens and cost that are known.
fn known(tokens: impl Iterator<Item = Option<(u64, Usd)>>) -> (u64, Usd) {
    tokens
        .flatten()
        .fold((0, Usd::ZERO), |(t, u), (bt, bu)| (t + bt, u + bu))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_temp(path, bytes)?
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
