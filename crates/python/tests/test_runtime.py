"""How the package behaves at run time: the GIL is released while it works, and memory stays
flat over a thousand images."""

from __future__ import annotations

import resource
import threading
import time

from conftest import photo

import visionprep as vp


def test_other_threads_run_during_prepare() -> None:
    big = photo(6000, 4000, 11, quality=95)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    start = time.perf_counter()
    vp.prepare(big)
    alone = time.perf_counter() - start
    counter = threading.Thread(target=count)
    counter.start()
    try:
        time.sleep(0.05)  # the counter is running
        during = []
        for _ in range(3):
            # Read just before and just after the call: with the GIL held through the call,
            # the counter cannot move in between (the main thread keeps the GIL from one read
            # to the other); released, it counts all along the decode.
            before = ticks
            vp.prepare(big)
            during.append(ticks - before)
    finally:
        stop.set()
        counter.join()
    assert alone > 0.02
    assert min(during) > 10_000, during


def rss_mib() -> float:
    """The resident set now (not the peak: an earlier test's peak must not hide growth)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / (1 << 20)


def test_a_thousand_images_in_flat_memory() -> None:
    sources = [photo(1600, 1200, seed) for seed in range(8)]
    before = rss_mib()
    count = tokens = 0
    peak = before
    for result in vp.prepare_many((sources[i % 8] for i in range(1000)), threads=2):
        assert isinstance(result, vp.Prepared), result
        count += 1
        tokens += result.tokens
        if count % 25 == 0:
            peak = max(peak, rss_mib())
    grown_mib = peak - before
    assert count == 1000
    assert tokens == 1000 * vp.plan(1600, 1200).tokens
    # Four images per thread are in flight at most: outputs are not held for the whole run
    # (1000 outputs would be ~150 MiB), nor are decoded frames.
    assert grown_mib < 100, grown_mib
