#!/usr/bin/env bash
# Resize only, decoded images in memory, the same pixels and targets (each photo's fit target
# for a standard-tier model, Lanczos3): fast_image_resize as visionprep uses it (alpha
# premultiplied) against Pillow's Image.resize(LANCZOS) and pyvips' resize(kernel="lanczos3"),
# one thread each (Pillow's resize is single-threaded; libvips' VIPS_CONCURRENCY=1). Prints
# per-kind (RGB, RGBA) and overall medians and ratios, all in one run.
#
#   bash benches/compare/resize.sh [REPS]      (default 5 timed resizes per image; medians)
#
# Builds the corpus with benches/corpus/build.py into target/corpus on first use;
# Pillow and pyvips are installed into target/bench-venv (pyvips needs libvips: apt-get
# install libvips42, which libvips-tools brings).
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-5}
corpus=target/corpus
if [ ! -d "$corpus/photos" ]; then
  python3 benches/corpus/build.py "$corpus"
fi
py=target/bench-venv/bin/python
if ! "$py" -c "import PIL, pyvips" 2>/dev/null; then
  python3 -m venv target/bench-venv
  "$py" -m pip install --quiet pillow pillow-heif pyvips
fi
cargo build --release --quiet -p visionprep-benches --bin resize-loop
work=target/bench-resize
rm -rf "$work" && mkdir -p "$work"
find "$corpus/photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) | sort > "$work/list"
xargs target/release/resize-loop "$reps" < "$work/list" > "$work/fir.tsv"
VIPS_CONCURRENCY=1 "$py" - "$work" "$reps" <<'PY'
import statistics, sys, time
import pyvips
from PIL import Image
work, reps = sys.argv[1], int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(f"{work}/fir.tsv")]

def median_ms(fn):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1e3)
    return statistics.median_low(times)

results = {}
for path, w, h, ch, tw, th, fir in rows:
    w, h, tw, th, fir = int(w), int(h), int(tw), int(th), float(fir)
    mode = "RGBA" if ch == "4" else "RGB"
    im = Image.open(path).convert(mode)
    im.load()
    pil = median_ms(lambda: im.resize((tw, th), Image.LANCZOS))
    v = pyvips.Image.new_from_memory(im.tobytes(), w, h, int(ch), "uchar")
    if ch == "4":
        def vips():
            # premultiply/unpremultiply as visionprep does, for the same result on alpha
            out = v.premultiply().resize(tw / w, vscale=th / h, kernel="lanczos3").unpremultiply()
            out.cast("uchar").write_to_memory()
    else:
        def vips():
            v.resize(tw / w, vscale=th / h, kernel="lanczos3").write_to_memory()
    vp = median_ms(vips)
    results.setdefault(mode, []).append((fir, pil, vp, w * h / 1e6))

def line(name, rs):
    fir = sum(r[0] for r in rs); pil = sum(r[1] for r in rs); vp = sum(r[2] for r in rs)
    mp = sum(r[3] for r in rs)
    print(f"{name:<8} {len(rs):>6} {fir / len(rs):>12.1f} {pil / len(rs):>10.1f} {vp / len(rs):>10.1f}"
          f" {mp / fir * 1e3:>12.0f} {pil / fir:>10.2f}x {vp / fir:>10.2f}x")

print(f"resize only, in memory, Lanczos3, one thread; medians of {reps} (ms per image)")
print(f"{'pixels':<8} {'images':>6} {'fir ms':>12} {'Pillow ms':>10} {'pyvips ms':>10} {'fir MP/s':>12} {'vs Pillow':>11} {'vs pyvips':>11}")
for mode, rs in sorted(results.items()):
    line(mode, rs)
line("all", [r for rs in results.values() for r in rs])
print("(vs X: X's time over fast_image_resize's; above 1, fast_image_resize is faster)")
PY
