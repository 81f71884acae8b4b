//! glibc's allocator, tuned per command by restarting once with `GLIBC_TUNABLES` (the CLI has
//! no unsafe code to call `mallopt`; a restart costs about a millisecond). A setting already in
//! the environment is the user's and is kept.

/// The setting of the commands that hold whole images (`prepare`, `request`, `batch`):
/// - one heap for all threads (`arena_max=1`). By default each worker thread gets a heap of
///   its own, and the tens of MB a decoded photograph takes stay in the heap of the thread that
///   freed them, unusable by the other: measured on the corpus with 2 threads
///   (`benches/compare/prepare.sh`), peak RSS 404-425 MB by default, 341 MB with one heap, at
///   the same speed (the workers allocate a few large buffers per image, so they rarely wait
///   for each other's lock);
/// - buffers up to 64 MiB from that heap (`mmap_threshold`) and up to 128 MiB of freed memory
///   kept in it (`trim_threshold`). By default a buffer over 32 MiB (a 12 MP image decoded
///   whole) is mapped for each image and unmapped after, and the kernel zeroes every page of
///   it again on first touch: with these, 5% less time for 3% more peak memory
///   (`benches/compare/ab.sh`, 7 runs: 4.40 -> 4.17 s, 286 -> 294 MB).
pub(crate) const IMAGES: &str = "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=134217728";

/// The proxy's setting: a fixed 1 MiB threshold for mapping buffers directly. glibc keeps a
/// freed buffer of a few MB in the heap of the thread that freed it and raises its threshold
/// after each one: a proxy whose threads take 20 MB bodies in turn then holds several of them
/// long after they are sent (measured: 3 to 4 times the body above idle, 1.2 times so).
#[cfg(feature = "proxy")]
pub(crate) const PROXY: &str = "glibc.malloc.mmap_threshold=1048576";

/// Restarts this process once with `setting`, unless the environment already tunes glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn restart_with(setting: &str) {
    use std::os::unix::process::CommandExt;
    const TUNABLES: &str = "GLIBC_TUNABLES";
    if std::env::var_os(TUNABLES).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(TUNABLES, setting)
        .exec();
    // `exec` returns only when it failed: go on in this process as it is.
    eprintln!("visionprep: note: running without the allocator setting ({error})");
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn restart_with(_setting: &str) {}
