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
        ticks = 0
        for _ in range(3):
            vp.prepare(big)
        during = ticks
    finally:
        stop.set()
        counter.join()
    # With the GIL held for ~`alone` seconds per call, the counter would get only the
    # interpreter's switch interval slices between calls; released, it runs all along.
    assert alone > 0.02
    assert during > 50_000, during


def test_a_thousand_images_in_flat_memory() -> None:
    sources = [photo(1600, 1200, seed) for seed in range(8)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = tokens = 0
    for result in vp.prepare_many((sources[i % 8] for i in range(1000)), threads=2):
        assert isinstance(result, vp.Prepared), result
        count += 1
        tokens += result.tokens
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert count == 1000
    assert tokens == 1000 * vp.plan(1600, 1200).tokens
    # Four images per thread are in flight at most: outputs are not held for the whole run
    # (1000 outputs would be ~150 MiB), nor are decoded frames.
    assert grown_mib < 100, grown_mib
