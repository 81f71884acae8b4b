#!/usr/bin/env bash
# Where the JPEG DCT scale rule (visionprep_core::jpeg_dct_scale) comes from: libjpeg-turbo's
# decode time at each scale M/8, M = 1..8, on the corpus's 12 MP camera photos and on its 4-5 MP
# wallpapers, one process, medians. The rule keeps the scales whose time falls with M
# (1/8, 2/8, 3/8, 4/8) and 8/8; 5/8-7/8 must take longer than 8/8 for it to hold.
#
#   bash benches/compare/dct_scales.sh [REPS]      (default 5 runs each; medians)
#
# Needs: djpeg (Debian's libjpeg-turbo-progs: the same libjpeg-turbo SIMD code as visionprep's
# native decoder), and the corpus (built by benches/compare/prepare.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-5}
command -v djpeg >/dev/null || { echo "djpeg missing: apt-get install libjpeg-turbo-progs" >&2; exit 2; }
[ -d target/corpus/photos ] || { echo "no corpus: run benches/compare/prepare.sh first" >&2; exit 2; }
python3 - "$reps" <<'PY'
import glob, statistics, subprocess, sys, time
reps = int(sys.argv[1])
sets = {
    "12 MP camera (8 files)": sorted(glob.glob("target/corpus/photos/cam12-*.jpg")),
    "4-5 MP wallpapers (10 files)": sorted(glob.glob("target/corpus/photos/native-mate-*.jpg"))[:10],
}
for name, files in sets.items():
    print(name)
    base = None
    for m in range(8, 0, -1):
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            for f in files:
                subprocess.run(["djpeg", "-scale", f"{m}/8", "-outfile", "/dev/null", f], check=True)
            times.append(time.perf_counter() - t)
        med = statistics.median(times) / len(files) * 1000
        base = base or med
        print(f"  {m}/8: {med:7.1f} ms a file  ({med / base:4.2f}x of 8/8)")
PY
