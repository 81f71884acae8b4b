#!/usr/bin/env bash
# End-to-end preparation throughput on real photographs: `visionprep prepare` against
# vipsthumbnail (one process per file, as it is used from the shell) and Pillow
# (Image.draft + resize(LANCZOS), one or two worker processes; HEIC through pillow-heif, AVIF
# through Pillow's own libavif, JPEG XL through pillow-jxl-plugin), to the same target sizes
# (visionprep's fit targets for claude-sonnet-4-6), JPEG q85. Prints images/s, input MP/s,
# peak RSS and ratios, 1 and 2 workers each, then the same per kind of input, then the quality
# of every tool's outputs: PSNR against a reference made by Pillow from the full decode
# (no draft) with LANCZOS to the same size.
#
#   bash benches/compare/prepare.sh [REPS]      (default 3 timed runs each; medians)
#
# Builds the corpus with benches/corpus/build.py into target/corpus on first use (its
# HEIC/AVIF/JPEG XL under modern/ when libheif-examples, libavif-bin and libjxl-tools are
# installed). visionprep is built with the heif feature when cmake, libde265-dev and
# libdav1d-dev are installed, and the HEIC and AVIF rows are measured then; with jxl-native when
# libjxl-dev is installed.
# Needs: python3-venv, libvips-tools (vipsthumbnail), GNU time; Pillow, pillow-heif,
# pillow-jxl-plugin and numpy are installed into target/bench-venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
corpus=target/corpus
if [ ! -d "$corpus/photos" ]; then
  python3 benches/corpus/build.py "$corpus"
fi
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail missing: apt-get install libvips-tools" >&2; exit 2; }
py=target/bench-venv/bin/python
if ! "$py" -c "import PIL, pillow_heif, pillow_jxl, numpy" 2>/dev/null; then
  python3 -m venv target/bench-venv
  "$py" -m pip install --quiet pillow pillow-heif pillow-jxl-plugin numpy
fi
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
features=""
if command -v cmake >/dev/null && pkg-config --exists libde265 dav1d 2>/dev/null; then
  features="heif"
fi
# JPEG XL through the system's libjxl where it is installed (apt-get install libjxl-dev).
if pkg-config --exists libjxl 2>/dev/null; then
  features="$features jxl-native"
fi
heif=""
[[ "$features" == *heif* ]] && heif=yes
cargo build --release --quiet -p visionprep-cli ${features:+--features "$features"}
work=target/bench-prepare
rm -rf "$work" && mkdir -p "$work"
# The images of the corpus that every tool reads (Pillow and vips lack none of these formats).
find "$corpus/photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' -o -name '*.gif' \) | sort > "$work/list"
if [ -d "$corpus/modern" ]; then
  find "$corpus/modern" -maxdepth 1 -type f -name '*.jxl' | sort >> "$work/list"
  if [ -n "$heif" ]; then
    find "$corpus/modern" -maxdepth 1 -type f \( -name '*.heic' -o -name '*.avif' \) | sort >> "$work/list"
  fi
fi
target/release/visionprep cost $(cat "$work/list") --format csv > "$work/targets.csv" || true
"$py" - "$work" "$reps" <<'PY'
import csv, os, subprocess, sys
sys.path.insert(0, "benches/compare")
from harness import measure, report
work, reps = sys.argv[1], int(sys.argv[2])
rows = [r for r in csv.DictReader(open(f"{work}/targets.csv")) if not r["error_code"]]
mp = sum(int(r["width"]) * int(r["height"]) for r in rows) / 1e6
col = lambda r, c: r[f"claude-sonnet-4-6:{c}"]
with open(f"{work}/vips.jobs", "w") as f:
    for i, r in enumerate(rows):
        f.write(f"vipsthumbnail {r['path']} -s {col(r,'target_width')}x{col(r,'target_height')}! "
                f"-o {os.path.abspath(work)}/vips-{i}.jpg[Q=85,strip]\n")
with open(f"{work}/pillow.jobs", "w") as f:
    for i, r in enumerate(rows):
        f.write(f"{r['path']}\t{col(r,'target_width')}\t{col(r,'target_height')}\t{work}/pil-{i}.jpg\n")
pillow = r'''
import sys
from multiprocessing import Pool
from PIL import Image, ImageOps
import pillow_heif, pillow_jxl
pillow_heif.register_heif_opener()
def one(line):
    src, w, h, dst = line.split("\t")
    w, h = int(w), int(h)
    im = Image.open(src)
    im.draft("RGB", (w, h))
    im = ImageOps.exif_transpose(im).convert("RGB")
    im.resize((w, h), Image.LANCZOS).save(dst.strip(), quality=85)
jobs = open(sys.argv[1]).read().splitlines()
if int(sys.argv[2]) == 1:
    for j in jobs: one(j)
else:
    with Pool(int(sys.argv[2])) as p: p.map(one, jobs, chunksize=1)
'''
vp = lambda n: ["target/release/visionprep", "prepare", "--force", "-j", str(n), "--format", "json",
                "-o", f"{work}/vp{n}"] + [r["path"] for r in rows]
results = []
for n in (2, 1):
    results.append(measure(f"visionprep prepare ({n} threads)", vp(n), reps, ok_codes=(0, 1)))
    results.append(measure(f"vipsthumbnail per file ({n} processes)",
                           ["sh", "-c", f"xargs -P {n} -I{{}} sh -c '{{}}' < {work}/vips.jobs"], reps))
    results.append(measure(f"Pillow draft+LANCZOS ({n} processes)",
                           [sys.executable, "-c", pillow, f"{work}/pillow.jobs", str(n)], reps))
print(f"{len(rows)} images, {mp:.0f} MP in total")
report(results, "images", len(rows), "visionprep prepare (2 threads)")
for r in results:
    print(f"  {r['name']:<44} {mp / r['median']:8.1f} input MP/s")

# The same, 2 workers, per kind of input: decoders differ most between kinds (progressive
# JPEG and lossy WebP above all), so each kind is measured on its own.
from harness import kind
kinds = {}
for i, r in enumerate(rows):
    kinds.setdefault(kind(r["path"]), []).append(i)
vips_jobs = open(f"{work}/vips.jobs").read().splitlines()
pil_jobs = open(f"{work}/pillow.jobs").read().splitlines()
print()
print(f"{'kind (2 workers)':<18} {'files':>5} {'visionprep/s':>13} {'vips/s':>8} {'Pillow/s':>9} {'vs vips':>8} {'vs Pillow':>10}")
for name, idx in sorted(kinds.items()):
    slug = name.replace(" ", "-")
    with open(f"{work}/vips-{slug}.jobs", "w") as f:
        f.write("\n".join(vips_jobs[i] for i in idx) + "\n")
    with open(f"{work}/pil-{slug}.jobs", "w") as f:
        f.write("\n".join(pil_jobs[i] for i in idx) + "\n")
    v = measure("v", ["target/release/visionprep", "prepare", "--force", "-j", "2", "--format", "json",
                      "-o", f"{work}/vpk"] + [rows[i]["path"] for i in idx], reps, ok_codes=(0, 1))
    t = measure("t", ["sh", "-c", f"xargs -P 2 -I{{}} sh -c '{{}}' < {work}/vips-{slug}.jobs"], reps)
    q = measure("p", [sys.executable, "-c", pillow, f"{work}/pil-{slug}.jobs", "2"], reps)
    n = len(idx)
    print(f"{name:<18} {n:>5} {n / v['median']:>13.1f} {n / t['median']:>8.1f} {n / q['median']:>9.1f} "
          f"{t['median'] / v['median']:>7.2f}x {q['median'] / v['median']:>9.2f}x")

PY
"$py" benches/compare/quality.py "$work"
