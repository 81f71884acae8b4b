#!/usr/bin/env python3
"""Times commands on the same input in one run and prints medians, rates, peak RSS and ratios.

Each command is run once untimed (warm cache), then N times; wall time is the median, peak RSS
the largest resident set of the command's process (os.wait4). Used by cost.sh and prepare.sh.
"""
import os
import statistics
import tempfile
import sys
import time


def run_once(cmd, stdin_path=None):
    """Runs cmd once; returns (seconds, peak RSS in MB, exit code, stderr tail).

    posix_spawn (a vfork-style clone) keeps the child from inheriting this interpreter's
    resident pages; GNU time (a small process) forks the command, so the peak it reports is the
    command's own, not this interpreter's.
    """
    rss_fd, rss_path = tempfile.mkstemp()
    os.close(rss_fd)
    cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_path] + cmd
    exe = cmd[0]
    err_fd, err_path = tempfile.mkstemp()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin_path or os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_DUP2, err_fd, 2),
    ]
    t0 = time.perf_counter()
    pid = os.posix_spawn(exe, cmd, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - t0
    os.close(err_fd)
    with open(err_path, errors="replace") as f:
        err = f.read()[-4000:]
    os.unlink(err_path)
    with open(rss_path) as f:
        lines = [l for l in f.read().split() if l.isdigit()]
    os.unlink(rss_path)
    rss_kb = int(lines[-1]) if lines else usage.ru_maxrss
    return elapsed, rss_kb / 1024.0, os.waitstatus_to_exitcode(status), err


def measure(name, cmd, reps, stdin_path=None, ok_codes=(0,)):
    _, _, code, err = run_once(cmd, stdin_path)
    if code not in ok_codes:
        sys.exit(f"{name}: exit {code}\n{err[-2000:]}")
    times, rss = [], []
    for _ in range(reps):
        t, r, _, _ = run_once(cmd, stdin_path)
        times.append(t)
        rss.append(r)
    return {"name": name, "median": statistics.median(times), "min": min(times), "rss": max(rss)}


def report(results, units, count, reference):
    ref = next(r for r in results if r["name"] == reference)
    print(f"{'tool':<44} {'median s':>9} {'min s':>8} {units + '/s':>11} {'peak RSS MB':>12} {'vs ' + reference:>16}")
    for r in results:
        rate = count / r["median"]
        ratio = r["median"] / ref["median"]
        if r is ref:
            rel = "1.00x"
        elif ratio >= 1:
            rel = f"{ratio:.2f}x slower"
        else:
            rel = f"{1 / ratio:.2f}x faster"
        print(f"{r['name']:<44} {r['median']:>9.4f} {r['min']:>8.4f} {rate:>11.1f} {r['rss']:>12.1f} {rel:>16}")


def kind(path):
    """The kind of input a file is, as prepare.sh and quality.py group them: decoders differ
    most between kinds (progressive JPEG and lossy WebP above all)."""
    if path.endswith((".heic", ".avif")):
        return "HEIC and AVIF"
    if path.endswith(".jxl"):
        return "JPEG XL"
    from PIL import Image
    im = Image.open(path)
    if im.format == "JPEG":
        return "progressive JPEG" if im.info.get("progressive") or im.info.get("progression") else "baseline JPEG"
    if im.format == "WEBP":
        return "lossless WebP" if b"VP8L" in open(path, "rb").read(64) else "lossy WebP"
    return "PNG and GIF"
