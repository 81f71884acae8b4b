"""The Python API against the CLI (same tokens, dollars, targets and bytes) and its errors."""

from __future__ import annotations

import io
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, cli_json, photo, run_cli
from PIL import Image

import visionprep as vp


def test_cost_rows_are_the_cli_rows() -> None:
    models = ["claude-sonnet-4-6", "claude-opus-4-7"]
    cli = cli_json("cost", "examples/images", "-m", models[0], "-m", models[1], "--format", "json")
    os.chdir(ROOT)
    run = vp.cost("examples/images", models=models)
    rows = list(run)
    assert rows == cli["files"]
    assert run.totals == cli["totals"]
    # Exact money: the same Decimal as the CLI prints, no float on the way.
    assert all(isinstance(m["usd"], Decimal) for r in rows for m in r["models"].values())


def test_cost_takes_the_cli_pricing_settings(tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(
        '[[models]]\nid = "claude-test-9"\ntier = "high-resolution"\ninput = "7"\n'
        "context_window = 1000000\n"
    )
    os.chdir(ROOT)
    cases: list[tuple[list[str], dict[str, object]]] = [
        (["--prices", str(prices), "-m", "claude-test-9"], {"prices": prices, "models": ["claude-test-9"]}),
        (["--cache", "read"], {"cache": "read"}),
        (["--us-only"], {"us_only": True}),
        (["--batch", "--cache", "write-1h", "--prompt-tokens", "300000"],
         {"batch": True, "cache": "write-1h", "prompt_tokens": 300000}),
    ]
    for flags, keywords in cases:
        cli = cli_json("cost", "examples/images", "--format", "json", *flags)
        run = vp.cost("examples/images", **keywords)  # type: ignore[arg-type]
        assert list(run) == cli["files"], flags
        assert run.totals == cli["totals"], flags
    # The prices differ from the plain ones: the settings reached the estimate.
    plain = cli_json("cost", "examples/images", "--format", "json")["totals"]
    cached = cli_json("cost", "examples/images", "--format", "json", "--cache", "read")["totals"]
    assert plain != cached
    with pytest.raises(ValueError, match="cache"):
        vp.cost("examples/images", cache="forever")
    with pytest.raises(vp.VisionprepError, match="cannot read price file"):
        vp.cost("examples/images", prices=tmp_path / "missing.toml")


# A valid value of each setting, by its Python keyword: the parity table's rows are checked
# against it, so that a setting added to the library without reaching Python fails here.
SETTING_SAMPLES: dict[str, object] = {
    "models": ["claude-sonnet-4-6"],
    "allow_retired": True,
    "tier": "standard",
    "price_per_mtok": "4",
    "prices": ROOT / "crates/core/prices.toml",
    "prices_toml": "",
    "profile": "api",
    "token_rule": "patch28",
    "quality": 70,
    "filter": "mitchell",
    "output_format": "png",
    "background": (0, 0, 0),
    "token_budget": 500,
    "tiles": "always",
    "min_scale": 0.75,
    "tile_overlap": 32,
    "batch": True,
    "cache": "write-5m",
    "us_only": True,
    "prompt_tokens": 1000,
    "lenient": True,
}


def test_every_setting_of_the_parity_table_is_a_keyword() -> None:
    assert sorted(row[2] for row in vp.SETTINGS) == sorted(SETTING_SAMPLES)
    for name, _cli, keyword, _js, _note in vp.SETTINGS:
        value = SETTING_SAMPLES[keyword]
        if name in ("tier", "price_per_mtok"):
            # A model the data does not know needs both, and a model to go with them.
            p = vp.Preparer(model="claude-later-1", tier="standard", price_per_mtok="4")
            assert p.model == "claude-later-1"
            continue
        extra: dict[str, object] = {"tiles": "never"} if name == "token_budget" else {}
        vp.Preparer(**{keyword: value, **extra})  # type: ignore[arg-type]
    # Settings are refused, never ignored: a misspelt one is a TypeError.
    with pytest.raises(TypeError, match="tile_overlapp"):
        vp.Preparer(tile_overlapp=3)  # type: ignore[call-arg]


def test_estimate_and_plan_match_cost(folder: Path) -> None:
    cli = cli_json("cost", str(folder), "--format", "json")
    for row in cli["files"]:
        path = Path(row["path"])
        assert vp.estimate(path) == row
        assert vp.estimate(path.read_bytes(), name=row["path"]) == row
        if row["error"] is None:
            plan = vp.plan(row["width"], row["height"])
            estimate = row["models"][plan.model]
            assert (plan.target_width, plan.target_height) == (
                estimate["target_width"],
                estimate["target_height"],
            )
            assert (plan.tokens, plan.usd) == (estimate["tokens"], estimate["usd"])
    assert vp.estimate(folder / "notes.txt") is not None  # named: reported, with its error
    assert vp.estimate(b"not an image", name="notes.txt", walked=True) is None


def test_models_are_the_cli_listing() -> None:
    assert vp.models() == cli_json("models", "--json")
    assert vp.default_model() == vp.models()["default_model"]


def test_probe_reads_headers_only() -> None:
    p = vp.probe(EXAMPLES / "camera-4032x3024.jpg")
    assert (p.format, p.media_type, p.width, p.height) == ("JPEG", "image/jpeg", 3024, 4032)
    assert (p.stored_width, p.stored_height, p.orientation) == (4032, 3024, 6)
    assert vp.probe((EXAMPLES / "animation-480x360.gif").read_bytes()).animated
    assert not vp.probe(EXAMPLES / "phone-64x48.heic").accepted
    assert vp.probe(EXAMPLES / "camera-4032x3024.jpg").accepted
    cut = photo(640, 480, 1)[:-200]
    assert vp.probe(cut, lenient=True).truncated
    assert not vp.probe(photo(640, 480, 1)).truncated


def _reads_heif() -> bool:
    """Whether this build of the package decodes HEIC (the wheel does; a source build without
    the heif feature does not)."""
    try:
        vp.prepare(EXAMPLES / "phone-64x48.heic")
    except vp.UnsupportedFormatError:
        return False
    return True


def test_prepare_gives_the_cli_bytes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli("prepare", "examples/images", "-o", str(out), "--no-progress")
    cli_reads_heif = "libheif" in run_cli("version", "--verbose").stdout
    for src in sorted(EXAMPLES.iterdir()):
        try:
            prepared = vp.prepare(src)
        except vp.UnsupportedFormatError:
            assert src.suffix == ".heic"
            continue
        written = [p for p in out.iterdir() if p.stem == src.stem]
        if src.suffix == ".heic" and not cli_reads_heif:
            # The package reads HEIC (the wheel) where this CLI build does not.
            assert not written, src
            continue
        assert len(written) == 1, src
        assert prepared.data == written[0].read_bytes(), src
        assert prepared.path == str(src)


def test_sources_of_every_kind() -> None:
    path = EXAMPLES / "chart-1092x1092.png"
    data = path.read_bytes()
    expected = vp.prepare(data)
    assert "kept" in expected.actions and expected.data == data
    for src in (str(path), path, bytearray(data), memoryview(data), io.BytesIO(data)):
        assert vp.prepare(src).data == expected.data
    with open(path, "rb") as f:
        assert vp.prepare(f).data == expected.data
    with pytest.raises(TypeError, match="binary mode"):
        vp.prepare(io.StringIO("text"))
    with pytest.raises(TypeError, match="cannot read an image from a int"):
        vp.prepare(42)


def test_pil_images_keep_their_orientation() -> None:
    image = Image.open(EXAMPLES / "camera-4032x3024.jpg")
    prepared = vp.prepare(image)
    assert (prepared.input_width, prepared.input_height) == (3024, 4032)
    assert prepared.width < prepared.height  # turned upright, as from the file
    assert prepared.tokens == vp.prepare(EXAMPLES / "camera-4032x3024.jpg").tokens
    cmyk = Image.new("CMYK", (300, 200), (0, 50, 100, 0))
    assert vp.prepare(cmyk).input_format == "TIFF"


def test_options_match_the_cli_flags(tmp_path: Path) -> None:
    src = tmp_path / "wide.png"
    src.write_bytes(photo(3000, 1000, 7, "PNG"))
    out = tmp_path / "out"
    run_cli(
        "prepare", str(src), "-o", str(out), "--output-format", "jpeg", "--quality", "70",
        "-m", "claude-opus-4-7", "--profile", "api", "--no-progress",
    )
    p = vp.prepare(src, output_format="jpeg", quality=70, model="claude-opus-4-7", profile="api")
    assert p.data == (out / "wide.jpg").read_bytes()
    assert p.model == "claude-opus-4-7" and p.media_type == "image/jpeg"


def test_content_block_is_the_sdk_shape() -> None:
    import base64

    p = vp.prepare(EXAMPLES / "screenshot-2560x1440.png")
    block = p.to_content_block()
    assert block == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(p.data).decode(),
        },
    }


def test_save_is_atomic_and_never_over_the_input(tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(photo(2000, 1500, 9))
    p = vp.prepare(src)
    with pytest.raises(vp.VisionprepError) as e:
        p.save(src)
    assert e.value.code == "io" and e.value.path == str(src)
    target = tmp_path / "ready.jpg"
    p.save(target)
    assert target.read_bytes() == p.data
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".visionprep-")]


def test_preparer_and_prepare_many_keep_order_and_return_errors() -> None:
    srcs = [EXAMPLES / n for n in sorted(os.listdir(EXAMPLES))] * 3
    preparer = vp.Preparer()
    results = list(vp.prepare_many(srcs, threads=2))
    assert len(results) == len(srcs)
    heif = _reads_heif()
    for src, result in zip(srcs, results):
        if src.suffix == ".heic" and not heif:
            assert isinstance(result, vp.UnsupportedFormatError)
            assert result.code == "unsupported-format" and result.path == str(src)
        else:
            assert isinstance(result, vp.Prepared), result
            assert result.data == preparer.prepare(src).data
            assert result.path == str(src)
    with pytest.raises(ValueError, match="threads"):
        vp.prepare_many([], threads=0)


@pytest.mark.parametrize(
    ("data", "kind", "code"),
    [
        (b"", vp.ImageError, "empty"),
        (b"just text", vp.UnsupportedFormatError, "not-an-image"),
        (b"%PDF-1.7\n", vp.UnsupportedFormatError, "unsupported-format"),
        (photo(640, 480, 1)[:300], vp.CorruptImageError, "truncated"),
    ],
)
def test_image_errors(data: bytes, kind: type, code: str) -> None:
    with pytest.raises(kind) as e:
        vp.prepare(data)
    assert isinstance(e.value, vp.VisionprepError)
    assert e.value.code == code and e.value.path is None and e.value.message


def test_limit_and_file_errors(tmp_path: Path) -> None:
    # A PNG header declaring 100000 x 100000 pixels: refused before anything is allocated.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(vp.ImageTooLargeError) as e:
        vp.prepare(png)
    assert e.value.code == "dimensions-too-large"
    missing = tmp_path / "missing.jpg"
    with pytest.raises(vp.ImageError) as e:
        vp.prepare(missing)
    assert e.value.code == "unreadable" and e.value.path == str(missing)


def test_model_and_option_errors() -> None:
    with pytest.raises(vp.ModelError) as e:
        vp.prepare(EXAMPLES / "chart-1092x1092.png", model="claude-sonet-4-6")
    assert e.value.code == "unknown-model"
    assert "claude-sonnet-4-6" in e.value.suggestions
    with pytest.raises(vp.ModelError) as e:
        vp.plan(100, 100, model="claude-2.1")
    assert e.value.code in ("retired-model", "unknown-model")
    with pytest.raises(ValueError, match="profile"):
        vp.prepare(b"x", profile="moon")
    with pytest.raises(ValueError, match="quality"):
        vp.prepare(b"x", quality=0)
    with pytest.raises(ValueError, match="output_format"):
        vp.Preparer(output_format="bmp")
    with pytest.raises(TypeError, match="prepare\\(\\) got an unexpected keyword argument 'qualty'"):
        vp.prepare(b"x", qualty=80)


def test_build_requests_packs_like_the_cli(tmp_path: Path) -> None:
    srcs = [EXAMPLES / "chart-1092x1092.png", EXAMPLES / "screenshot-2560x1440.png"]
    bodies = vp.build_requests(srcs, prompt="Compare them.", max_tokens=500, system="Be brief.")
    out = tmp_path / "req"
    run_cli(
        "request", *map(str, srcs), "--prompt", "Compare them.", "--max-tokens", "500",
        "--system", "Be brief.", "-o", str(out), "--no-progress",
    )
    import json

    assert bodies == [json.loads((out / "request-001.json").read_text())]
    assert vp.check_request(bodies[0])["passes"]
    # Sources are prepared with the options of prepare(), as `request` does with its flags.
    jpeg = vp.build_requests([srcs[1]], prompt="?", output_format="jpeg", quality=70)
    block = jpeg[0]["messages"][0]["content"][0]
    assert block["source"]["media_type"] == "image/jpeg"
    assert block == vp.prepare(srcs[1], output_format="jpeg", quality=70).to_content_block()
    many = vp.build_requests([vp.prepare(srcs[0])] * 130, prompt="?", model="claude-sonnet-4-5")
    assert [len([b for b in m["messages"][0]["content"] if b["type"] == "image"]) for m in many] == [100, 30]


def test_request_errors() -> None:
    # A URL image of unknown size cannot join a body of more than 20 images, ...
    with pytest.raises(TypeError, match="url"):
        vp.build_requests([{"name": "x"}], prompt="?")
    # ... and a body that is not JSON is refused with its reason.
    with pytest.raises(vp.RequestError) as e:
        vp.check_request("{not json")
    assert e.value.code == "not-a-request"
    report = vp.check_request(
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 10,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/jpeg", "data": "iVBORw0KGgo="},
                        }
                    ],
                }
            ],
        }
    )
    assert not report["passes"]
    assert report["findings"][0]["path"] == "messages.0.content.0.image.source.base64"


def test_an_image_no_body_can_hold_is_a_request_error() -> None:
    # Noise does not compress: a 1092x1092 RGBA PNG (kept at that size) is ~4.8 MB, ~6.4 MB
    # of base64, within the api profile's 10 MiB and over the portable profile's 5 MiB.
    noise = Image.frombytes("RGBA", (1092, 1092), os.urandom(1092 * 1092 * 4))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=1)
    big = vp.prepare(out.getvalue(), profile="api")
    assert big.media_type == "image/png" and len(big.data) > 5 * 1024 * 1024 * 3 // 4
    with pytest.raises(vp.RequestError) as e:
        vp.build_requests([big], prompt="?", profile="portable")
    assert e.value.code == "image-too-large"
    assert vp.build_requests([big], prompt="?", profile="api")


def test_token_budget_matches_the_cli(tmp_path: Path) -> None:
    plan = vp.plan(4032, 3024, token_budget=800)
    cli = cli_json("plan", "4032", "3024", "--token-budget", "800", "--json")
    budget = cli["models"][plan.model]["budget"]
    assert (plan.budget_width, plan.budget_height, plan.budget_tokens) == (
        budget["width"],
        budget["height"],
        budget["tokens"],
    ) == (894, 670, 799)
    assert plan.budget_usd == budget["usd"]
    assert vp.plan(4032, 3024).budget_tokens is None
    src = EXAMPLES / "camera-4032x3024.jpg"
    out = tmp_path / "out"
    run_cli("prepare", str(src), "-o", str(out), "--token-budget", "500", "--no-progress")
    p = vp.prepare(src, token_budget=500)
    assert p.data == (out / "camera-4032x3024.jpg").read_bytes()
    assert p.tokens <= 500 and (p.height, p.width) == (
        vp.plan(3024, 4032, token_budget=500).budget_height,
        vp.plan(3024, 4032, token_budget=500).budget_width,
    )
    row = vp.estimate(src, token_budget=500)
    assert row is not None
    assert row["models"][p.model]["budget"]["tokens"] == p.tokens
    with pytest.raises(ValueError, match="token_budget"):
        vp.plan(10, 10, token_budget=0)


def test_tiles_match_the_cli(tmp_path: Path) -> None:
    src = EXAMPLES / "scan-a4-2480x3508.webp"
    out = tmp_path / "out"
    run_cli("prepare", str(src), "-o", str(out), "--tiles", "auto", "--no-progress")
    tiles = vp.prepare_tiles(src, tiles="auto")
    assert len(tiles) >= 2
    for i, t in enumerate(tiles):
        name = f"scan-a4-2480x3508.tile-{i + 1:02}-of-{len(tiles):02}.{t.media_type.split('/')[1]}"
        assert t.data == (out / name).read_bytes()
        assert t.tile is not None and t.tile["index"] == i and t.tile["count"] == len(tiles)
        assert t.tile["label"].startswith(f"Image 1, part {i + 1} of {len(tiles)}: rows ")
        # The tile's corners map to its region of the input.
        assert t.to_original(0, 0) == (t.tile["x"], t.tile["y"])
        x, y = t.to_original(t.width, t.height)
        assert abs(x - (t.tile["x"] + t.tile["width"])) < 1e-6
        assert abs(y - (t.tile["y"] + t.tile["height"])) < 1e-6
    # A photograph is sent whole in auto mode; prepare() itself never tiles.
    whole = vp.prepare_tiles(EXAMPLES / "camera-4032x3024.jpg", tiles="auto")
    assert len(whole) == 1 and whole[0].tile is None
    assert whole[0].to_original(whole[0].width, whole[0].height) == (3024.0, 4032.0)
    with pytest.raises(ValueError, match="prepare_tiles"):
        vp.prepare(src, tiles="auto")
    with pytest.raises(ValueError, match="do not go together"):
        vp.prepare_tiles(src, tiles="always", token_budget=100)
    with pytest.raises(ValueError, match="min_scale"):
        vp.prepare_tiles(src, tiles="always", min_scale=0)


def test_folder_budget_matches_the_cli() -> None:
    cli = cli_json("cost", str(EXAMPLES), "--budget-usd", "0.01", "--format", "json")
    got = vp.folder_budget(EXAMPLES, usd="0.01")
    assert got == cli["budget"]
    cap = got["models"][vp.default_model()]["cap"]
    assert 0 < cap < got["models"][vp.default_model()]["max_tokens"]
    # prepare at that cap spends what the budget says, on the images that prepare.
    spent = 0
    for path in sorted(EXAMPLES.iterdir()):
        try:
            spent += vp.prepare(path, token_budget=cap).tokens
        except vp.VisionprepError:
            spent += 5  # the HEIC example, estimated from its header (64x48: 5 tokens)
    assert spent == got["models"][vp.default_model()]["tokens"]
    assert vp.folder_budget(EXAMPLES, tokens=3)["models"][vp.default_model()]["met"] is False
    with pytest.raises(ValueError, match="exactly one"):
        vp.folder_budget(EXAMPLES)


def test_bench_is_the_cli_bench(tmp_path: Path) -> None:
    # The same inputs for both: the HEIC example only when both builds read it (the wheel
    # does, a CLI built without the heif feature does not).
    folder = tmp_path / "images"
    folder.mkdir()
    both_read_heif = _reads_heif() and "libheif" in run_cli("version", "--verbose").stdout
    for src in EXAMPLES.iterdir():
        if src.suffix != ".heic" or both_read_heif:
            (folder / src.name).write_bytes(src.read_bytes())
    got = vp.bench(folder, threads=[1], repeat=1)
    cli = json.loads(
        run_cli("bench", str(folder), "--threads", "1", "--repeat", "1", "--format", "json").stdout
    )
    # Times differ run to run; what was measured, how and in what shape does not.
    for key in ("model", "threads", "repeat", "inputs", "skipped"):
        assert got[key] == cli[key], key
    run = got["runs"][0]
    assert [k["kind"] for k in run["kinds"]] == [k["kind"] for k in cli["runs"][0]["kinds"]]
    assert all(k["images_per_second"] > 0 for k in run["kinds"])
    assert [s["stage"] for s in run["total"]["stages"]] == [
        "probe", "verify", "decode", "resize", "color", "encode",
    ]
    sweep = vp.bench(sizes=[0.5], repeat=1, model="claude-opus-4-7")
    assert sweep["runs"] == [] and sweep["model"] == "claude-opus-4-7"
    assert sweep["sweep"][0]["width"] == 816
    with pytest.raises(ValueError, match="thread count"):
        vp.bench(EXAMPLES, threads=[0])
    with pytest.raises(TypeError, match="unexpected keyword"):
        vp.bench(EXAMPLES, colour="red")


def test_settings_read_as_the_cli_reads_its_flags() -> None:
    # A colour as text, as --background takes it, or as channels.
    rgba = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    as_text = vp.prepare(buf.getvalue(), output_format="jpeg", background="#ff8000")
    as_channels = vp.prepare(buf.getvalue(), output_format="jpeg", background=(255, 128, 0))
    assert as_text.data == as_channels.data
    with pytest.raises(ValueError, match="background"):
        vp.prepare(buf.getvalue(), background="mauve")
    # An unknown model's error says which keywords describe it.
    hint = re.escape("tier=standard|high-resolution price_per_mtok=USD")
    with pytest.raises(vp.ModelError, match=hint):
        vp.plan(100, 100, model="claude-vision-9")
    # Bodies the API would refuse are refused here, as by the CLI.
    with pytest.raises(ValueError, match="prompt: required"):
        vp.build_requests([{"url": "https://example.com/a.png"}], prompt="")
    with pytest.raises(ValueError, match="per_request: must be at least 1"):
        vp.write_batches([EXAMPLES], "unused", prompt="Describe.", per_request=0)


def test_plan_and_cost_take_the_settings_of_their_commands() -> None:
    # plan() takes what `visionprep plan` takes: pricing, tiles, a model the data lacks.
    batch = vp.plan(4032, 3024, batch=True)
    assert batch.usd * 2 == vp.plan(4032, 3024).usd
    custom = vp.plan(1000, 1000, model="claude-vision-9", tier="standard", price_per_mtok="3")
    assert custom.model == "claude-vision-9" and custom.tokens == vp.plan(1000, 1000).tokens
    with pytest.raises(ValueError, match="at least 1"):
        vp.plan(0, 100)
    with pytest.raises(TypeError, match="plan\\(\\) got an unexpected keyword argument 'quality'"):
        vp.plan(100, 100, quality=80)
    # cost() and estimate() take `model=` for one model, and unknown models priced as the CLI.
    row = vp.estimate(
        EXAMPLES / "chart-1092x1092.png",
        model="claude-vision-9",
        tier="standard",
        price_per_mtok="3",
    )
    assert row is not None and "claude-vision-9" in json.dumps(row, default=str)
