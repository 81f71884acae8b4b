# The other tools' side of `visionprep bench --compare`: times Pillow (draft + LANCZOS + save)
# and, when importable, pyvips (thumbnail_buffer + write_to_buffer, libvips' own threads off)
# on the same images visionprep measured, to the same targets, in memory (each worker reads
# them before the warm-up), with the same warm-up and timed passes, per kind and per
# worker-process count. Prints one JSON object.
#
#   python3 harness.py JOBS THREADS REPEAT
#
# JOBS: one image a line, tab-separated: kind, path, width, height, action (keep: visionprep
# sent it as it is, after a full decode; make: decode, orient, resize, encode), output (jpeg,
# png, webp, webp-lossless).
import io
import json
import os
import statistics
import sys
import time

os.environ.setdefault("VIPS_CONCURRENCY", "1")

JOBS = []
DATA = []


def load(path, data=True):
    """Reads the job list and (in a worker) every input into memory, before any timing."""
    for line in open(path, encoding="utf-8"):
        kind, src, w, h, action, out = line.rstrip("\n").split("\t")
        JOBS.append((kind, int(w), int(h), action, out))
        if data:
            with open(src, "rb") as f:
                DATA.append(f.read())
    if data:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass


def guarded(one):
    """Runs one job, returning its failure as text: an exception that does not pickle
    would hang the pool."""

    def run(i):
        try:
            one(i)
            return None
        except Exception as e:
            return f"{type(e).__name__}: {e}"[:300]

    return run


def pillow_job(i):
    return guarded(pillow_one)(i)


def vips_job(i):
    return guarded(vips_one)(i)


def pillow_one(i):
    from PIL import Image, ImageOps

    kind, w, h, action, out = JOBS[i]
    im = Image.open(io.BytesIO(DATA[i]))
    if action == "keep":
        im.load()
        return
    swapped = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    im.draft("RGB", (h, w) if swapped else (w, h))
    im = ImageOps.exif_transpose(im)
    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    if alpha and out != "jpeg":
        im = im.convert("RGBA")
    else:
        im = im.convert("L" if im.mode in ("L", "I;16", "I") else "RGB")
    if im.size != (w, h):
        im = im.resize((w, h), Image.LANCZOS)
    buf = io.BytesIO()
    if out == "jpeg":
        im.save(buf, "JPEG", quality=85)
    elif out == "png":
        im.save(buf, "PNG")
    elif out == "webp-lossless":
        im.save(buf, "WEBP", lossless=True)
    else:
        im.save(buf, "WEBP", quality=85)


def vips_one(i):
    import pyvips

    kind, w, h, action, out = JOBS[i]
    if action == "keep":
        pyvips.Image.new_from_buffer(DATA[i], "").avg()
        return
    im = pyvips.Image.thumbnail_buffer(DATA[i], w, height=h, size="force")
    suffix = {
        "jpeg": ".jpg[Q=85,strip]",
        "png": ".png[strip]",
        "webp": ".webp[Q=85,strip]",
        "webp-lossless": ".webp[lossless,strip]",
    }[out]
    im.write_to_buffer(suffix)


def timed(one, indices, pool, repeat):
    def once():
        for failure in pool.map(one, indices, chunksize=1):
            if failure:
                raise RuntimeError(failure)

    once()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return statistics.median_low(times)


def tool(name, one, version, jobs, threads, repeat):
    # Worker processes started fresh (spawn), one per thread, even for one thread: the
    # interpreter and its libraries are never forked with threads running (libvips starts
    # some), and every count pays the same hand-off.
    from multiprocessing import get_context

    kinds = {}
    for i, job in enumerate(JOBS):
        kinds.setdefault(job[0], []).append(i)
    runs = []
    for n in threads:
        pool = get_context("spawn").Pool(n, initializer=load, initargs=(jobs,))
        seconds, skipped = {}, {}
        try:
            for kind, indices in kinds.items():
                try:
                    seconds[kind] = timed(one, indices, pool, repeat)
                except Exception as e:  # a format this tool cannot read
                    skipped[kind] = f"{e}"[:300]
        finally:
            pool.close()
            pool.join()
        runs.append({"threads": n, "seconds": seconds, "skipped": skipped})
    return {"tool": name, "version": version, "runs": runs}


def main():
    jobs, threads, repeat = sys.argv[1], [int(t) for t in sys.argv[2].split(",")], int(sys.argv[3])
    load(jobs, data=False)
    result = {"tools": [], "skipped": []}
    try:
        import PIL

        try:
            import pillow_heif

            heif = f" + pillow-heif {pillow_heif.__version__}"
        except ImportError:
            heif = ""
        result["tools"].append(
            tool("Pillow", pillow_job, PIL.__version__ + heif, jobs, threads, repeat)
        )
    except ImportError as e:
        result["skipped"].append({"tool": "Pillow", "reason": f"not importable in {sys.executable}: {e}"})
    try:
        import pyvips

        version = f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
        result["tools"].append(tool("libvips (pyvips)", vips_job, version, jobs, threads, repeat))
    except (ImportError, OSError) as e:
        result["skipped"].append({"tool": "libvips (pyvips)", "reason": f"not importable in {sys.executable}: {e}"})
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
