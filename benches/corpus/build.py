#!/usr/bin/env python3
"""Builds visionprep's benchmark corpus of real photographs, offline but for Debian's mirror.

    python3 benches/corpus/build.py [OUT]        (default OUT: target/corpus)

The photographs come from Debian's wallpaper packages (fetched with `apt-get download`, never
installed): every file is either a byte-identical copy of a photograph, or made from one by a
named step (a re-encode, a crop and resample, a colour conversion), and MANIFEST.tsv says which.

    OUT/photos/   about 70 files: photographs as shipped; 12, 24 and 48 MP "camera" JPEGs made
                  from the largest of them (some with an EXIF Orientation); progressive,
                  grayscale and CMYK JPEGs; PNG (RGB, RGBA, 16-bit, screenshot-like renders);
                  WebP (lossy, lossless, a graphic); GIF (still and animated)
    OUT/modern/   HEIC, AVIF (8- and 10-bit) and JPEG XL made from three camera photos, when
                  heif-enc, avifenc and cjxl are installed (said, and skipped, otherwise)
    OUT/bulk/     500 files made from photos/ (re-encoded at three scales, PNG, WebP, GIF, and
                  copies of the unusual files): folder throughput
    OUT/*/MANIFEST.tsv   file, kind, format, width, height, megapixels, bytes, sha256, made from
    OUT/STATS.txt        a line of sizes and formats per folder

Deterministic: fixed parameters and seeds, jobs run in parallel but each writes its own file.
Needs (Debian): apt-get install imagemagick webp libjpeg-turbo-progs libimage-exiftool-perl
libvips-tools, and for OUT/modern libheif-examples libavif-bin libjxl-tools. About 4 minutes on
2 cores and 2.5 GB on disk. The output is a build product: never commit it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = {
    "l16": ("lomiri-wallpapers-16.04", "usr/share/backgrounds"),
    "l20": ("lomiri-wallpapers-20.04", "usr/share/backgrounds"),
    "plasma": ("plasma-workspace-wallpapers", "usr/share/wallpapers"),
    "mate": ("mate-backgrounds", "usr/share/backgrounds/mate/nature"),
    "gnome": ("gnome-backgrounds", "usr/share/backgrounds/gnome"),
}

# Photographs only (renders and paintings of the same packages are left out, by eye).
L16 = ["Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace",
       "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi",
       "friends_by_Aitzol_Berasategi", "life_by_Aitzol_Berasategi",
       "picosdeeuropa_by_Aitzol_Berasategi", "seeding_by_Clements_Engelhardt",
       "sunset_by_Aitzol_Berasategi"]
L20 = ["Kleiber_by_Lukas_Baubkus", "Infinite-Sea_by_Aury88"]
PLASMA = ["Path", "OneStandsOut", "ColorfulCups", "EveningGlow", "FallenLeaf", "ColdRipple",
          "BytheWater", "Kite", "summer_1am", "DarkestHour"]
MATE = ["Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
        "Storm", "TwoWings", "Wood", "YellowFlower"]


@dataclass
class Item:
    """One file of the corpus: its name, its kind, what it is made from and the commands that
    make it (none for a plain copy of `source`)."""

    name: str
    kind: str
    source: Path
    note: str
    steps: list[list[str]] = field(default_factory=list)


def run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.strip()}")


def fetch_sources(src: Path) -> dict[str, Path]:
    """Downloads and unpacks the wallpaper packages; returns each one's image folder."""
    debs = src / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    names = [p for p, _ in PACKAGES.values()]
    if not all(any(debs.glob(f"{n}_*.deb")) for n in names):
        cmd = ["apt-get", "download", *names]
        if subprocess.run(cmd, cwd=debs, capture_output=True).returncode != 0:
            print("apt-get download failed; running apt-get update once", file=sys.stderr)
            run(["apt-get", "update", "-qq"])
            subprocess.run(cmd, cwd=debs, check=True, capture_output=True)
    roots = {}
    for key, (package, folder) in PACKAGES.items():
        unpacked = src / package
        if not unpacked.is_dir():
            deb = next(debs.glob(f"{package}_*.deb"))
            run(["dpkg-deb", "-x", str(deb), str(unpacked)])
        roots[key] = unpacked / folder
    return roots


def photo_items(roots: dict[str, Path], out: Path) -> list[Item]:
    """The recipes of OUT/photos, in the order they are made (later ones read earlier ones)."""
    items: list[Item] = []
    add = items.append
    for n in L16:
        add(Item(f"native-l16-{n}.jpg", "baseline JPEG", roots["l16"] / f"{n}.jpg", "photograph as shipped"))
    for n in L20:
        add(Item(f"native-l20-{n}.jpg", "baseline JPEG", roots["l20"] / f"{n}.jpg", "photograph as shipped"))
    for n in PLASMA:
        add(Item(f"native-plasma-{n}.jpg", "baseline JPEG",
                 roots["plasma"] / n / "contents/images/2560x1600.jpg", "photograph as shipped"))
    for n in MATE:
        add(Item(f"native-mate-{n}.jpg", "baseline JPEG", roots["mate"] / f"{n}.jpg", "photograph as shipped"))
    return items


def derived_items(roots: dict[str, Path], p: Path) -> list[Item]:
    """Files made from the copied photographs: camera-sized JPEGs, then the other encodings."""
    items: list[Item] = []
    add = items.append

    def camera(name: str, src: Path, geometry: str, orientation: int | None = None) -> None:
        # Centre crop to the camera's aspect, Lanczos resample, a little seeded grain (a sensor's
        # noise, so the file is not unnaturally smooth), 4:2:0 at q92 as phones write.
        steps = [["convert", str(src), "-gravity", "center", "-resize", f"{geometry}^", "-extent", geometry,
                  "-seed", "7", "-attenuate", "0.25", "+noise", "Gaussian", "-sampling-factor", "2x2",
                  "-quality", "92", str(p / f"{name}.jpg")]]
        note = f"camera JPEG {geometry}, cropped and resampled"
        if orientation:
            steps.append(["exiftool", "-q", "-overwrite_original", f"-Orientation#={orientation}",
                          str(p / f"{name}.jpg")])
            note += f", EXIF Orientation {orientation}"
        add(Item(f"{name}.jpg", "baseline JPEG", src, note, steps))

    l16, l20 = roots["l16"], roots["l20"]
    camera("cam12-kleiber", l20 / "Kleiber_by_Lukas_Baubkus.jpg", "4032x3024")
    camera("cam12-infinitesea", l20 / "Infinite-Sea_by_Aury88.jpg", "4032x3024", 6)
    camera("cam12-seeding", l16 / "seeding_by_Clements_Engelhardt.jpg", "4032x3024")
    camera("cam12-dragonfly", l16 / "Dragonfly_by_Bolly.jpg", "4032x3024", 6)
    camera("cam12-sunset", l16 / "sunset_by_Aitzol_Berasategi.jpg", "4032x3024", 8)
    camera("cam12-bridge", l16 / "Bridge_by_Sander_Klootwijk.jpg", "4032x3024")
    camera("cam12-wine", l16 / "Wine_by_Jakkub_Mede.jpg", "3024x4032")
    camera("cam12-picos", l16 / "picosdeeuropa_by_Aitzol_Berasategi.jpg", "4032x3024", 3)
    camera("cam24-kleiber", l20 / "Kleiber_by_Lukas_Baubkus.jpg", "6000x4000")
    camera("cam48-infinitesea", l20 / "Infinite-Sea_by_Aury88.jpg", "8064x6048")
    life = l16 / "life_by_Aitzol_Berasategi.jpg"
    add(Item("orient6-native-life.jpg", "baseline JPEG", life, "photograph with EXIF Orientation 6 added",
             [["cp", str(life), str(p / "orient6-native-life.jpg")],
              ["exiftool", "-q", "-overwrite_original", "-Orientation#=6", str(p / "orient6-native-life.jpg")]]))
    return items


def encoded_items(roots: dict[str, Path], p: Path) -> list[Item]:
    """Other encodings of the photographs (they read photos/ made by the steps before)."""
    items: list[Item] = []
    add = items.append
    for n in ["cam12-kleiber", "cam12-bridge", "native-l16-Dragonfly_by_Bolly", "native-plasma-Path"]:
        out = p / f"progressive-{n}.jpg"
        add(Item(out.name, "progressive JPEG", p / f"{n}.jpg", "lossless jpegtran -progressive",
                 [["sh", "-c", f"jpegtran -copy all -progressive -optimize '{p / n}.jpg' > '{out}'"]]))
    for name, src, kind, args, note in [
        ("gray-coldripple.jpg", "native-plasma-ColdRipple.jpg", "baseline JPEG",
         ["-colorspace", "Gray", "-type", "Grayscale", "-quality", "90"], "1-component grayscale JPEG"),
        ("gray-cam12-seeding.jpg", "cam12-seeding.jpg", "baseline JPEG",
         ["-colorspace", "Gray", "-type", "Grayscale", "-quality", "90"], "1-component grayscale 12 MP JPEG"),
        ("cmyk-ladybird.jpg", "native-mate-LadyBird.jpg", "baseline JPEG",
         ["-colorspace", "CMYK", "-quality", "90"], "Adobe CMYK JPEG"),
        ("png-twowings-rgb.png", "native-mate-TwoWings.jpg", "PNG", ["-strip"], "photograph as an RGB8 PNG"),
        ("gif-fallenleaf.gif", "native-plasma-FallenLeaf.jpg", "GIF",
         ["-resize", "1600x1000", "-colors", "256"], "photograph quantized to 256 colours"),
        ("gif-garden-2560.gif", "native-mate-Garden.jpg", "GIF", ["-colors", "256"],
         "photograph quantized to 256 colours"),
    ]:
        add(Item(name, kind, p / src, note, [["convert", str(p / src), *args, str(p / name)]]))
    cmyk = p / "cmyk-cam12-dragonfly.jpg"
    add(Item(cmyk.name, "baseline JPEG", p / "cam12-dragonfly.jpg", "Adobe CMYK 12 MP JPEG, orientation removed",
             [["convert", str(p / "cam12-dragonfly.jpg"), "-colorspace", "CMYK", "-quality", "90", str(cmyk)],
              ["exiftool", "-q", "-overwrite_original", "-Orientation=", str(cmyk)]]))
    sunset, picos = roots["l16"] / "sunset_by_Aitzol_Berasategi.jpg", roots["l16"] / "picosdeeuropa_by_Aitzol_Berasategi.jpg"
    add(Item("png-sunset-rgb.png", "PNG", sunset, "photograph as an RGB8 PNG",
             [["convert", str(sunset), "-strip", str(p / "png-sunset-rgb.png")]]))
    add(Item("png-picos-rgb16.png", "PNG", picos, "photograph as an RGB16 PNG",
             [["convert", str(picos), "-strip", "-depth", "16", f"PNG48:{p / 'png-picos-rgb16.png'}"]]))
    kite = p / "native-plasma-Kite.jpg"
    add(Item("png-kite-rgba.png", "PNG", kite, "photograph as an RGBA8 PNG with a horizontal alpha ramp",
             [["convert", str(kite), "-strip", "(", "-size", "1600x2560", "gradient:white-gray35", "-rotate", "90", ")",
               "-alpha", "off", "-compose", "CopyOpacity", "-composite", str(p / "png-kite-rgba.png")]]))
    for n in ["Patak", "Kay"]:
        src = roots["plasma"] / n / "contents/images/5120x2880.png"
        add(Item(f"png-screenlike-{n.lower()}-5120.png", "PNG", src, "flat-colour render as shipped (screenshot-like)"))
    for n in ["native-l16-seeding_by_Clements_Engelhardt", "native-mate-RainDrops", "native-plasma-EveningGlow",
              "cam12-bridge"]:
        out = p / f"webp-q80-{n}.webp"
        add(Item(out.name, "lossy WebP", p / f"{n}.jpg", "lossy WebP q80 (cwebp)",
                 [["cwebp", "-quiet", "-q", "80", str(p / f"{n}.jpg"), "-o", str(out)]]))
    storm = p / "native-mate-Storm.jpg"
    add(Item("webp-lossless-storm.webp", "lossless WebP", storm, "lossless WebP of a photograph",
             [["cwebp", "-quiet", "-lossless", "-z", "3", str(storm), "-o", str(p / "webp-lossless-storm.webp")]]))
    add(Item("webp-graphic-adwaita-4096.webp", "lossless WebP", roots["gnome"] / "adwaita-l.webp",
             "WebP graphic as shipped"))
    frames = [str(p / f"native-plasma-{n}.jpg") for n in ["Kite", "BytheWater", "Path"]]
    add(Item("gif-anim-3frames.gif", "GIF", p / "native-plasma-Kite.jpg", "animated GIF, 3 frames of 1280x800",
             [["convert", "-delay", "50", *frames, "-resize", "1280x800", "-colors", "128", "-layers", "Optimize",
               str(p / "gif-anim-3frames.gif")]]))
    return items


def modern_items(p: Path, m: Path) -> list[Item]:
    """HEIC, AVIF and JPEG XL from three photographs (each through a lossless PNG)."""
    items = []
    for n in ["cam12-dragonfly", "cam12-picos", "native-mate-Dune"]:
        png = m / f".{n}.png"
        src = p / f"{n}.jpg"
        first = ["convert", str(src), str(png)]
        items.append(Item(f"heic-{n}.heic", "HEIC", src, "HEIC q55 (heif-enc, x265)",
                          [first, ["heif-enc", "-q", "55", str(png), "-o", str(m / f"heic-{n}.heic")]]))
        items.append(Item(f"avif-{n}.avif", "AVIF", src, "AVIF 8-bit (avifenc -s 8)",
                          [[*first[:2], str(png) + ".a.png"],
                           ["avifenc", "-s", "8", "-j", "1", str(png) + ".a.png", str(m / f"avif-{n}.avif")]]))
        items.append(Item(f"jxl-{n}.jxl", "JPEG XL", src, "JPEG XL q85 (cjxl)",
                          [[*first[:2], str(png) + ".j.png"],
                           ["cjxl", "-q", "85", str(png) + ".j.png", str(m / f"jxl-{n}.jxl")]]))
    src = p / "cam12-picos.jpg"
    png = m / ".picos10.png"
    items.append(Item("avif10-cam12-picos.avif", "AVIF", src, "AVIF 10-bit (avifenc -d 10)",
                      [["convert", str(src), str(png)],
                       ["avifenc", "-s", "8", "-j", "1", "-d", "10", str(png), str(m / "avif10-cam12-picos.avif")]]))
    return items


def bulk_items(p: Path, b: Path) -> list[Item]:
    """500 files for folder runs: 300 JPEG (30 copies, the rest re-encoded by libvips at scale
    1.0, 0.8 or 0.6 and quality 80-95), 80 PNG, 70 WebP, 25 GIF and 25 copies of the unusual
    files (progressive, gray, CMYK, rotated, GIF, a WebP graphic, renders)."""
    photos = sorted(f.name for f in p.iterdir() if f.name.startswith(("native-", "cam12-")) and f.suffix == ".jpg")
    unusual = sorted(f.name for f in p.iterdir() if f.name.startswith(
        ("progressive-", "gray-", "cmyk-", "orient6-", "gif-", "webp-graphic-", "png-screenlike-")))
    items = []

    def vips(out: Path, kind: str, src: Path, note: str, options: str, scale: str) -> Item:
        return Item(out.name, kind, src, note, [["vips", "resize", str(src), f"{out}[{options}]", scale]])

    for i in range(500):
        name = photos[(i * 7) % len(photos)]
        stem, src = name.rsplit(".", 1)[0], p / name
        scale, quality = ("1.0", "0.8", "0.6")[i % 3], (80, 85, 90, 95)[(i // 3) % 4]
        if i < 300 and i % 10 == 0:
            items.append(Item(f"b{i:03}-{name}", "baseline JPEG", src, "copy"))
        elif i < 300:
            items.append(vips(b / f"b{i:03}-{stem}-s{scale}.jpg", "baseline JPEG", src,
                              f"vips resize {scale}, q{quality}", f"Q={quality},strip", scale))
        elif i < 380:
            items.append(vips(b / f"b{i:03}-{stem}-s{scale}.png", "PNG", src,
                              f"vips resize {scale} to PNG", "compression=6,strip", scale))
        elif i < 450:
            items.append(vips(b / f"b{i:03}-{stem}-s{scale}.webp", "lossy WebP", src,
                              f"vips resize {scale} to WebP q{quality}", f"Q={quality},strip", scale))
        elif i < 475:
            out = b / f"b{i:03}-{stem}.gif"
            items.append(Item(out.name, "GIF", src, "40% and 256 colours",
                              [["convert", str(src), "-resize", "40%", "-colors", "256", str(out)]]))
        else:
            name = unusual[i % len(unusual)]
            items.append(Item(f"b{i:03}-{name}", "copy", p / name, "copy of an unusual file"))
    return items


def make(items: list[Item], folder: Path) -> None:
    """Makes the items in parallel (each job writes only its own file)."""
    def one(item: Item) -> None:
        if not item.steps:
            shutil.copyfile(item.source, folder / item.name)
        for step in item.steps:
            env = dict(os.environ, VIPS_CONCURRENCY="1")
            done = subprocess.run(step, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise SystemExit(f"{item.name}: {' '.join(step)} failed\n{done.stderr.strip()}")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(one, items))


def manifest(items: list[Item], folder: Path) -> str:
    """Writes folder/MANIFEST.tsv and returns the folder's line of statistics."""
    rows = []
    for item in items:
        path = folder / item.name
        data = path.read_bytes()
        size = subprocess.run(["vipsheader", "-f", "width", str(path)], capture_output=True, text=True).stdout.strip()
        height = subprocess.run(["vipsheader", "-f", "height", str(path)], capture_output=True, text=True).stdout.strip()
        w, h = int(size or 0), int(height or 0)
        fmt = path.suffix.lstrip(".").upper().replace("JPG", "JPEG")
        rows.append((item.name, item.kind, fmt, w, h, w * h / 1e6, len(data), hashlib.sha256(data).hexdigest(),
                     f"{item.note}; from {item.source.name}"))
    with open(folder / "MANIFEST.tsv", "w") as f:
        f.write("file\tkind\tformat\twidth\theight\tMP\tbytes\tsha256\tmade\n")
        for r in rows:
            f.write(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]:.2f}\t{r[6]}\t{r[7]}\t{r[8]}\n")
    mps = [r[5] for r in rows]
    formats: dict[str, int] = {}
    for r in rows:
        formats[r[2]] = formats.get(r[2], 0) + 1
    return (f"{folder.name}: {len(rows)} files, {sum(r[6] for r in rows) / 1e6:.1f} MB, {sum(mps):.1f} MP; "
            f"MP min/median/max {min(mps):.2f}/{statistics.median(mps):.2f}/{max(mps):.2f}; "
            f"formats {dict(sorted(formats.items()))}")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/corpus")
    need = ["apt-get", "dpkg-deb", "convert", "cwebp", "jpegtran", "exiftool", "vips", "vipsheader"]
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"missing tools: {' '.join(missing)} (apt-get install imagemagick webp "
                         "libjpeg-turbo-progs libimage-exiftool-perl libvips-tools)")
    roots = fetch_sources(out / ".src")
    p, b, m = out / "photos", out / "bulk", out / "modern"
    for d in (p, b, m):
        shutil.rmtree(d, ignore_errors=True)
    p.mkdir(parents=True)
    b.mkdir()
    photos = photo_items(roots, p)
    make(photos, p)
    derived = derived_items(roots, p)
    make(derived, p)
    encoded = encoded_items(roots, p)
    make(encoded, p)
    stats = [manifest(photos + derived + encoded, p)]
    bulk = bulk_items(p, b)
    make(bulk, b)
    stats.append(manifest(bulk, b))
    if all(shutil.which(t) for t in ("heif-enc", "avifenc", "cjxl")):
        m.mkdir()
        modern = modern_items(p, m)
        make(modern, m)
        for f in m.glob(".*.png*"):
            f.unlink()
        stats.append(manifest(modern, m))
    else:
        print("modern/ skipped: apt-get install libheif-examples libavif-bin libjxl-tools", file=sys.stderr)
    (out / "STATS.txt").write_text("\n".join(stats) + "\n")
    print("\n".join(stats))
    print(f"corpus ready under {out}")


if __name__ == "__main__":
    main()
