//! Parallel work over walked items, results handed on in input order.

use crate::walk::Item;
use anyhow::Result;
use rayon::prelude::*;

/// Runs `work` over `items` in parallel batches of `batch` on `pool`, with per-worker state
/// from `init` (reused across the items a worker takes), and gives each result to `emit` in
/// input order, whatever the thread count.
pub(crate) fn in_order<S, T: Send>(
    items: impl Iterator<Item = Item>,
    pool: &rayon::ThreadPool,
    batch: usize,
    init: impl Fn() -> S + Sync + Send,
    work: impl Fn(&mut S, &Item) -> T + Sync + Send,
    mut emit: impl FnMut(&Item, T) -> Result<()>,
) -> Result<()> {
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
            emit(item, result)?;
        }
    }
    Ok(())
}

/// A pool of `jobs` threads (0: one per core).
pub(crate) fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    use anyhow::Context as _;
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .context("cannot start worker threads")
}
