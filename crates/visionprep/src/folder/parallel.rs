//! Parallel work over walked items, results handed on in input order whatever the thread
//! count: the same report, the same outputs, on 1 core or 64.

use super::walk::Item;
use rayon::prelude::*;
use std::ops::ControlFlow;
use std::path::PathBuf;

/// A worker panicked on an item (a bug): the run ends instead of waiting for its result.
#[derive(Debug, thiserror::Error)]
#[error("internal error while processing {}", .path.display())]
pub struct WorkerPanicked {
    /// The item being processed.
    pub path: PathBuf,
}

/// The worker threads could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start worker threads: {0}")]
pub struct PoolError(#[from] rayon::ThreadPoolBuildError);

/// Runs `work` over `items` in parallel batches of `batch` on `pool`, with per-worker state
/// from `init` (reused across the items a worker takes), and gives each result to `emit` in
/// input order, whatever the thread count. When `emit` breaks, the results not yet emitted
/// are dropped and no further item is started.
pub fn in_order<S, T: Send, E>(
    items: impl Iterator<Item = Item>,
    pool: &rayon::ThreadPool,
    batch: usize,
    init: impl Fn() -> S + Sync + Send,
    work: impl Fn(&mut S, &Item) -> T + Sync + Send,
    mut emit: impl FnMut(&Item, T) -> Result<ControlFlow<()>, E>,
) -> Result<(), E> {
    let batch = batch.max(1);
    let mut items = items.peekable();
    let mut chunk: Vec<Item> = Vec::new();
    while items.peek().is_some() {
        chunk.clear();
        for item in items.by_ref() {
            chunk.push(item);
            if chunk.len() == batch {
                break;
            }
        }
        let results: Vec<T> = pool.install(|| {
            chunk
                .par_iter()
                .map_init(&init, |s, item| work(s, item))
                .collect()
        });
        for (item, result) in chunk.iter().zip(results) {
            if emit(item, result)?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A pool of `jobs` threads (`None` or 0: one per core).
pub fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, PoolError> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()?)
}

/// Like [`in_order`], for work that takes long per item (decoding, encoding): items go to the
/// pool one by one, at most `window` at a time, and each result is handed to `emit` as soon
/// as every earlier one has been, so nothing waits for the slowest item of a batch and a run
/// stopped at any point has emitted everything before its last few items. Worker state from
/// `init` is kept in a free list and reused. When `emit` breaks or fails, no further item is
/// started; the results still arriving are dropped.
pub fn streamed<S: Send, T: Send, E: From<WorkerPanicked>>(
    items: impl Iterator<Item = Item>,
    pool: &rayon::ThreadPool,
    window: usize,
    init: impl Fn() -> S + Sync + Send,
    work: impl Fn(&mut S, &Item) -> T + Sync + Send,
    mut emit: impl FnMut(&Item, T) -> Result<ControlFlow<()>, E>,
) -> Result<(), E> {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex, mpsc};
    let window = window.max(1);
    let states: Mutex<Vec<S>> = Mutex::new(Vec::new());
    let (tx, rx) = mpsc::channel::<(usize, Option<T>)>();
    let (init, work, states) = (&init, &work, &states);
    pool.in_place_scope(|scope| {
        let mut items = items.enumerate();
        let mut waiting: BTreeMap<usize, Arc<Item>> = BTreeMap::new();
        let mut ready: BTreeMap<usize, Option<T>> = BTreeMap::new();
        let mut next = 0usize;
        let mut exhausted = false;
        loop {
            while !exhausted && waiting.len() < window {
                let Some((index, item)) = items.next() else {
                    exhausted = true;
                    break;
                };
                let item = Arc::new(item);
                waiting.insert(index, Arc::clone(&item));
                let tx = tx.clone();
                scope.spawn(move |_| {
                    let taken = states.lock().ok().and_then(|mut s| s.pop());
                    let mut state = taken.unwrap_or_else(init);
                    // A panic is a bug, but it must end the run, not leave it waiting for a
                    // result that never comes.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        work(&mut state, &item)
                    }))
                    .ok();
                    if result.is_some()
                        && let Ok(mut s) = states.lock()
                    {
                        s.push(state);
                    }
                    // The receiver is gone only when the run stopped: the result is dropped.
                    let _ = tx.send((index, result));
                });
            }
            if waiting.is_empty() {
                return Ok(());
            }
            let Ok((index, result)) = rx.recv() else {
                return Ok(());
            };
            ready.insert(index, result);
            while let Some(result) = ready.remove(&next) {
                let Some(item) = waiting.remove(&next) else {
                    break;
                };
                next += 1;
                let Some(result) = result else {
                    return Err(WorkerPanicked {
                        path: item.path().to_path_buf(),
                    }
                    .into());
                };
                if emit(&item, result)?.is_break() {
                    return Ok(());
                }
            }
        }
    })
}
