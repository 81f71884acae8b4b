"""The wheel reads iPhone photos by itself: run in a fresh virtualenv where only the wheel is
installed (not collected by pytest; `.ci/run` runs it after crates/python/build-wheel.sh).

    python wheel_heif.py FIXTURES_DIR

Prepares a HEIC and an AVIF, then checks from /proc/self/maps that libheif, libde265 and
dav1d were loaded from the wheel's own visionprep.libs folder, and none from the system.
"""
import os
import sys

import visionprep

fixtures = sys.argv[1]
for name, media in (("heic-quad-64x48.heic", "image/png"), ("avif-quad-64x48.avif", "image/png")):
    with open(os.path.join(fixtures, name), "rb") as f:
        out = visionprep.prepare(f.read(), output_format="png")
    assert (out.input_width, out.input_height) == (64, 48), (name, out.input_width, out.input_height)
    assert out.media_type == media, (name, out.media_type)
    print(f"{name}: {out.input_format} {out.input_width}x{out.input_height} -> {out.media_type}")

maps = open("/proc/self/maps").read().split("\n")
loaded = sorted({line.split()[-1] for line in maps if line.count(" ") >= 5 and ".so" in line.split()[-1]})
libs = os.path.join(os.path.dirname(os.path.dirname(visionprep.__file__)), "visionprep.libs")
for lib in ("libheif", "libde265", "libdav1d"):
    paths = [p for p in loaded if os.path.basename(p).startswith(lib)]
    assert paths, f"{lib} was not loaded: {loaded}"
    for p in paths:
        assert os.path.dirname(p) == libs, f"{lib} loaded from {p}, not from the wheel ({libs})"
    print(f"{lib}: {paths[0]}")
print("the wheel's HEIF libraries, none of the system's")
