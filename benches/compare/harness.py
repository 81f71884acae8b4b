#!/usr/bin/env python3
"""Times commands on the same input in one run and prints medians, rates, peak RSS and ratios.

Each command is run once untimed (warm cache), then N times; wall time is the median, peak RSS
the largest resident set of the command's process (os.wait4). Used by cost.sh and prepare.sh.
"""
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd, stdin_path=None):
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if stdin_path:
        stdin.close()
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024.0, code, err


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
        rel = f"{1 / ratio:.2f}x" if r is ref else f"{ratio:.2f}x slower" if ratio >= 1 else f"{1 / ratio:.2f}x faster"
        if r is ref:
            rel = "1.00x"
        print(f"{r['name']:<44} {r['median']:>9.4f} {r['min']:>8.4f} {rate:>11.1f} {r['rss']:>12.1f} {rel:>16}")
