#!/usr/bin/env bash
# Folder cost-report throughput: `visionprep cost` against vipsheader (one process for all
# files), Pillow (`Image.open(p).size` in one process) and a bare loop over the imagesize crate
# (header bytes only: the practical floor), on the same 5,000 real photographs, warm cache.
#
#   bash benches/compare/cost.sh [REPS]        (default 7 timed runs each; medians)
#
# Builds the corpus with benches/corpus/build.py into target/corpus on first use
# (~4 minutes, ~2.3 GB; never committed), then hard-links its 500 bulk files ten times over.
# Needs: python3, libvips-tools (vipsheader), GNU time (peak RSS) and pip's Pillow (both installed
# here if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-7}
corpus=target/corpus
if [ ! -d "$corpus/bulk" ]; then
  python3 benches/corpus/build.py "$corpus"
fi
big=$corpus/bulk5000
if [ ! -d "$big" ] || [ "$(find "$big" -type f | wc -l)" -ne 5000 ]; then
  rm -rf "$big"
  for i in 0 1 2 3 4 5 6 7 8 9; do
    mkdir -p "$big/copy$i"
    find "$corpus/bulk" -maxdepth 1 -type f ! -name MANIFEST.tsv -exec ln {} "$big/copy$i/" \;
  done
fi
command -v vipsheader >/dev/null || { echo "vipsheader missing: apt-get install libvips-tools" >&2; exit 2; }
python3 -c "import PIL" 2>/dev/null || pip install --quiet pillow
[ -x /usr/bin/time ] || { apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }; }
cargo build --release --quiet -p visionprep-cli -p visionprep-benches
list=target/corpus/bulk5000.list
find "$big" -type f | sort > "$list"
n=$(wc -l < "$list")
echo "$n files, $(du -shL "$big" | cut -f1) in $big; $(nproc) cores; $reps timed runs each (medians)"
python3 - "$list" "$reps" "$big" <<'PY'
import sys
sys.path.insert(0, "benches/compare")
from harness import measure, report
lst, reps, big = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = open(lst).read().split()
pillow = "import sys\nfrom PIL import Image\nfor p in open(sys.argv[1]).read().split():\n    Image.open(p).size\n"
results = [
    measure("visionprep cost --format json (2 threads)",
            ["target/release/visionprep", "cost", big, "--format", "json", "-j", "2"], reps, ok_codes=(0, 1)),
    measure("visionprep cost --format json (1 thread)",
            ["target/release/visionprep", "cost", big, "--format", "json", "-j", "1"], reps, ok_codes=(0, 1)),
    measure("imagesize crate, bare loop (1 thread)", ["target/release/imagesize-loop"], reps, stdin_path=lst),
    measure("vipsheader (one process, all files)", ["vipsheader"] + files, reps),
    measure("Pillow Image.open(p).size (1 process)", [sys.executable, "-c", pillow, lst], reps),
]
report(results, "files", len(files), "visionprep cost --format json (2 threads)")
PY
