//! Many images prepared in parallel, handed back in input order as each is ready: the engine
//! of an iterator over images that arrive one by one (a Python iterator, a channel, a stream
//! of uploads), where a whole list is not known up front.

use super::{PoolError, WINDOW_PER_THREAD, pool};
use crate::prepare::{Input, PrepareError, PrepareOptions, Prepared, Preparer};
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

/// What a worker sends back for one image.
type Done = Result<Prepared, PrepareError>;

/// One image's result in a [`PrepareMany`] run.
#[derive(Debug)]
pub struct ManyResult {
    /// The input's name: its path, or `None` for bytes.
    pub name: Option<String>,
    /// The image, or why it could not be prepared (a worker that panicked is an
    /// [`Error::Internal`](crate::Error::Internal) for its image alone).
    pub result: Result<Prepared, PrepareError>,
}

/// Prepares inputs on a pool of threads, at most [`WINDOW_PER_THREAD`] per thread in flight so
/// that memory stays flat for any number of images, and gives the results back in the order
/// the inputs were pushed. Each worker reuses a [`Preparer`] from a free list.
///
/// Push while [`PrepareMany::has_room`], then take with [`PrepareMany::next_ready`] (which
/// blocks for the oldest image): a caller holding a lock (Python's GIL) can push with it and
/// wait without it. [`prepare_many`] is the plain iterator over a list.
pub struct PrepareMany<B> {
    pool: Arc<rayon::ThreadPool>,
    /// Preparers not in use. Not thread-local: a job waiting inside a decoder's own parallel
    /// loop may run another job on the same thread (rayon's work stealing), which must not
    /// find the thread's preparer in use.
    preparers: Arc<Mutex<Vec<Preparer>>>,
    options: Arc<PrepareOptions>,
    /// One receiver per image in flight, in input order.
    pending: VecDeque<(Option<String>, Receiver<Done>)>,
    window: usize,
    inputs: std::marker::PhantomData<fn(B)>,
}

impl<B> std::fmt::Debug for PrepareMany<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrepareMany")
            .field("in_flight", &self.pending.len())
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl<B: AsRef<[u8]> + Send + 'static> PrepareMany<B> {
    /// A run with `options` on `threads` workers (`None` or 0: one per core).
    pub fn new(options: PrepareOptions, threads: Option<usize>) -> Result<Self, PoolError> {
        let pool = pool(threads)?;
        let window = WINDOW_PER_THREAD * pool.current_num_threads();
        Ok(PrepareMany {
            pool: Arc::new(pool),
            preparers: Arc::default(),
            options: Arc::new(options),
            pending: VecDeque::new(),
            window,
            inputs: std::marker::PhantomData,
        })
    }

    /// The options images are prepared with.
    pub fn options(&self) -> &PrepareOptions {
        &self.options
    }

    /// Whether another input may be pushed without going past the window.
    pub fn has_room(&self) -> bool {
        self.pending.len() < self.window
    }

    /// Images pushed and not yet taken back.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Starts preparing `input` (whatever the window: check [`PrepareMany::has_room`]).
    pub fn push(&mut self, input: Input<B>) {
        let (tx, rx) = sync_channel(1);
        let name = input.name();
        let options = Arc::clone(&self.options);
        let preparers = Arc::clone(&self.preparers);
        self.pool.spawn(move || {
            let taken = preparers.lock().ok().and_then(|mut free| free.pop());
            let mut preparer = taken.unwrap_or_default();
            // A panic is a bug; caught, it ends this image alone instead of the process (a
            // panic may not cross into a Python interpreter or a pool thread's caller).
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                preparer.prepare_input(&input, &options)
            }));
            let result = match result {
                Ok(result) => {
                    if let Ok(mut free) = preparers.lock() {
                        free.push(preparer);
                    }
                    result
                }
                Err(_) => Err(PrepareError::Internal("a worker thread failed")),
            };
            // The receiver is gone only when the run was dropped: nothing to tell.
            let _ = tx.send(result);
        });
        self.pending.push_back((name, rx));
    }

    /// The oldest image's result, waiting for it; `None` when nothing is in flight.
    pub fn next_ready(&mut self) -> Option<ManyResult> {
        let (name, rx) = self.pending.pop_front()?;
        let result = rx
            .recv()
            .unwrap_or(Err(PrepareError::Internal("a worker thread stopped")));
        Some(ManyResult { name, result })
    }
}

/// Prepares `inputs` in parallel on `threads` workers (`None`: one per core) and yields the
/// results in input order as they are ready, with at most four images per thread in flight.
///
/// ```no_run
/// use visionprep::folder::prepare_many;
/// use visionprep::prepare::{Input, PrepareOptions};
///
/// let inputs = ["a.jpg", "b.png"].map(|p| Input::<Vec<u8>>::Path(p.into()));
/// for done in prepare_many(inputs, PrepareOptions::default(), None)? {
///     match done.result {
///         Ok(image) => println!("{:?}: {} tokens", done.name, image.tokens),
///         Err(e) => eprintln!("{:?}: {e}", done.name),
///     }
/// }
/// # Ok::<(), visionprep::folder::PoolError>(())
/// ```
pub fn prepare_many<B, I>(
    inputs: I,
    options: PrepareOptions,
    threads: Option<usize>,
) -> Result<impl Iterator<Item = ManyResult>, PoolError>
where
    B: AsRef<[u8]> + Send + 'static,
    I: IntoIterator<Item = Input<B>>,
{
    let mut run = PrepareMany::new(options, threads)?;
    let mut inputs = inputs.into_iter();
    Ok(std::iter::from_fn(move || {
        while run.has_room() {
            let Some(input) = inputs.next() else { break };
            run.push(input);
        }
        run.next_ready()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        out.into_inner()
    }

    #[test]
    fn results_come_in_input_order_with_failures_in_place() {
        let mut inputs: Vec<Input> = (1..=20).map(|i| Input::Bytes(png(i * 10, 30))).collect();
        inputs.insert(5, Input::Bytes(b"not an image".to_vec()));
        inputs.insert(9, Input::Path("/nonexistent/x.png".into()));
        let results: Vec<ManyResult> = prepare_many(inputs, PrepareOptions::default(), Some(3))
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        assert_eq!(results.len(), 22);
        let mut width = 10;
        for (i, r) in results.iter().enumerate() {
            match (i, &r.result) {
                (5, Err(e)) => assert_eq!(e.code().as_str(), "not-an-image"),
                (9, Err(e)) => {
                    assert_eq!(e.code().as_str(), "unreadable");
                    assert_eq!(r.name.as_deref(), Some("/nonexistent/x.png"));
                }
                (_, Ok(p)) => {
                    assert_eq!(p.output_size.width, width, "image {i} out of order");
                    width += 10;
                }
                (_, Err(e)) => panic!("image {i}: {e}"),
            }
        }
    }

    #[test]
    fn the_window_bounds_what_is_in_flight() {
        let mut run = PrepareMany::<Vec<u8>>::new(PrepareOptions::default(), Some(2))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut pushed = 0;
        while run.has_room() {
            run.push(Input::Bytes(png(8, 8)));
            pushed += 1;
        }
        assert_eq!(pushed, 2 * WINDOW_PER_THREAD);
        assert_eq!(run.in_flight(), pushed);
        while let Some(r) = run.next_ready() {
            assert!(r.result.is_ok());
        }
        assert_eq!(run.in_flight(), 0);
    }
}
