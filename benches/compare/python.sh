#!/usr/bin/env bash
# The Python package against the CLI, in one run, on the photo corpus:
#   - plan(): microseconds per call from Python;
#   - Preparer.prepare(bytes), one thread, against `visionprep prepare -j 1` per image;
#   - prepare_many(paths, threads=2) + save, against `visionprep prepare -j 2`;
#   - Ray Data (a local 2-CPU cluster, started before timing) over 200 files of the bulk
#     corpus, against prepare_many over the same files: the overhead of the Ray pipeline.
# Medians of REPS runs (default 3); the machine is shared, so read the ratios.
#
#   bash benches/compare/python.sh [REPS]
#
# Needs the package in target/py-venv (.ci/run makes it; or `pip install ./crates/python
# 'ray[data]'` there) and the corpus (built with benches/corpus/build.py on first use).
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
corpus=target/corpus
if [ ! -d "$corpus/photos" ]; then
  python3 benches/corpus/build.py "$corpus"
fi
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
cargo build --release --quiet -p visionprep-cli
work=target/bench-python
rm -rf "$work" && mkdir -p "$work"
find "$corpus/photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' -o -name '*.gif' \) | sort > "$work/list"
find "$corpus/bulk" -maxdepth 1 -type f | sort | head -n 200 > "$work/bulk200"
target/py-venv/bin/python - "$work" "$reps" <<'PY'
import os, shutil, statistics, sys, tempfile, time
sys.path.insert(0, "benches/compare")
from harness import measure
import visionprep as vp

work, reps = sys.argv[1], int(sys.argv[2])
paths = open(f"{work}/list").read().split()
cli = "target/release/visionprep"

def median_time(fn, n=reps):
    fn()  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)

# plan(): per call.
calls = 200_000
t = median_time(lambda: [vp.plan(4032, 3024) for _ in range(calls)])
print(f"plan(): {t / calls * 1e6:.2f} us per call (target: under 2 us)")

# One image at a time, from bytes in memory, against the CLI's per-image time with one job.
datas = [open(p, "rb").read() for p in paths]
preparer = vp.Preparer()
py1 = median_time(lambda: [preparer.prepare(d) for d in datas])
out = tempfile.mkdtemp(dir=work)
c1 = measure("cli -j 1", [cli, "prepare", *paths, "-o", out, "-j", "1", "--force", "--no-progress"], reps, ok_codes=(0, 1))["median"]
n = len(paths)
print(f"prepare(bytes), 1 thread: {py1 / n * 1e3:.1f} ms/image; visionprep prepare -j 1: "
      f"{c1 / n * 1e3:.1f} ms/image; Python/CLI {py1 / c1:.3f} (target: within 1.05)")

# Many images, two threads, written out, against `visionprep prepare -j 2`.
def many():
    d = tempfile.mkdtemp(dir=work)
    for r in vp.prepare_many(paths, threads=2):
        if isinstance(r, vp.Prepared):
            r.save(os.path.join(d, os.path.basename(r.path or "x")))
    shutil.rmtree(d)
py2 = median_time(many)
c2 = measure("cli -j 2", [cli, "prepare", *paths, "-o", out, "-j", "2", "--force", "--no-progress"], reps, ok_codes=(0, 1))["median"]
print(f"prepare_many(threads=2) + save: {py2:.2f} s; visionprep prepare -j 2: {c2:.2f} s; "
      f"Python/CLI {py2 / c2:.3f} (target: within 1.10) [{n} photos]")

# Ray: the 200-file job against prepare_many over the same files.
try:
    import ray
    import visionprep.ray as vr
except ImportError:
    print("ray: not installed, skipped")
    sys.exit(0)
bulk = open(f"{work}/bulk200").read().split()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
ray.data.DataContext.get_current().enable_progress_bars = False
def on_ray():
    ds = ray.data.read_binary_files(bulk, include_paths=True)
    ds = ds.map_batches(vr.Visionprep, fn_constructor_kwargs={"output": "prepared"},
                        concurrency=2, num_cpus=0.5, batch_size=16)
    rows = ds.take_all()
    assert len(rows) == len(bulk)
local = median_time(lambda: [r for r in vp.prepare_many(bulk, threads=2)])
distributed = median_time(on_ray)
ray.shutdown()
print(f"Ray Data, 200 files, 2 actors: {distributed:.2f} s; prepare_many(threads=2): "
      f"{local:.2f} s; overhead {distributed - local:.2f} s ({distributed / local:.2f}x)")
PY
