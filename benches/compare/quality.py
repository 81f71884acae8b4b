#!/usr/bin/env python3
"""The quality of each tool's outputs in a prepare.sh run: PSNR against a reference that Pillow
makes from the full decode (no draft), turned upright, resized with LANCZOS to the output's
size; over RGB, alpha composited onto white first; capped at 99 dB (an identical image).

    target/bench-venv/bin/python benches/compare/quality.py target/bench-prepare

Reads prepare.sh's work folder (targets.csv, and the vipsthumbnail and Pillow outputs it
left), runs visionprep prepare once more (untimed) to learn its output files, and prints the
mean and median PSNR per kind of input and tool, and the bytes each tool wrote.
"""
import csv
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import pillow_heif
import pillow_jxl  # noqa: F401  (registers the JPEG XL opener)
from PIL import Image, ImageOps

from harness import kind

pillow_heif.register_heif_opener()
work = sys.argv[1]
rows = [r for r in csv.DictReader(open(f"{work}/targets.csv")) if not r["error_code"]]
done = subprocess.run(["target/release/visionprep", "prepare", "--force", "-j", "2", "--format", "json",
                       "-o", f"{work}/vpq"] + [r["path"] for r in rows], capture_output=True, text=True)
if done.returncode not in (0, 1):
    sys.exit(f"visionprep prepare: exit {done.returncode}\n{done.stderr[-2000:]}")
outputs = {f["path"]: f.get("output_path") for f in json.loads(done.stdout)["files"]}


def rgb(im):
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im.convert("RGBA"))
    return im.convert("RGB")


def psnr(a, b):
    if a.size != b.size:
        return None
    mse = np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2)
    return 99.0 if mse == 0 else min(99.0, 10 * np.log10(255 ** 2 / mse))


scores, sizes = {}, {}
tools = ("visionprep", "vipsthumbnail", "Pillow draft")
for i, r in enumerate(rows):
    out = outputs.get(r["path"])
    if not out:
        continue
    mine = rgb(Image.open(out))
    ref = rgb(Image.open(r["path"])).resize(mine.size, Image.LANCZOS)
    k = kind(r["path"])
    for tool, path in zip(tools, (out, f"{work}/vips-{i}.jpg", f"{work}/pil-{i}.jpg")):
        if not os.path.exists(path):
            continue
        p = psnr(rgb(Image.open(path)), ref)
        if p is None:
            continue
        for key in (k, "all"):
            scores.setdefault((key, tool), []).append(p)
            sizes[(key, tool)] = sizes.get((key, tool), 0) + os.path.getsize(path)

print(f"{'PSNR dB, mean / median':<22} {'files':>5} " + " ".join(f"{t:>15}" for t in tools)
      + "   output MB (visionprep, vips, Pillow)")
for k in sorted({k for k, _ in scores}, key=lambda k: (k == "all", k)):
    cells = []
    for tool in tools:
        v = scores.get((k, tool), [])
        cells.append(f"{statistics.mean(v):6.2f} / {statistics.median(v):5.2f}" if v else "-")
    mb = ", ".join(f"{sizes.get((k, t), 0) / 1e6:.2f}" for t in tools)
    print(f"{k:<22} {len(scores.get((k, 'visionprep'), [])):>5} " + " ".join(f"{c:>15}" for c in cells) + f"   {mb}")
