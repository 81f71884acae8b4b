"""visionprep on a real local Ray cluster (2 CPUs): the same rows as the CLI over a folder of
200 images, nothing lost, an unreadable file a row with its error. Marked `ray`: run by
.ci/run (`pytest -m ray`); skipped where Ray is not installed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import photo, run_cli, screenshot

# Skipped where Ray is not installed, except in CI (VISIONPREP_REQUIRE_RAY=1), where a
# missing Ray must fail rather than pass as three skips.
if os.environ.get("VISIONPREP_REQUIRE_RAY"):
    import ray
else:
    ray = pytest.importorskip("ray")
import visionprep.ray as vr  # noqa: E402 (after the skip)

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ray-images")
    for i in range(200):
        if i % 4 == 3:
            (d / f"img-{i:03}.png").write_bytes(screenshot(900 + i, 600, i))
        else:
            (d / f"img-{i:03}.jpg").write_bytes(photo(400 + 10 * i, 300 + 7 * i, i, quality=80))
    (d / "zz-unreadable.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (d / "zz-notes.txt").write_text("a file that is not an image\n")
    return d


def dataset(folder: Path, **kwargs: Any) -> Any:
    ds = ray.data.read_binary_files(str(folder), include_paths=True)
    # Half a CPU per actor: two actors on a 2-CPU cluster must leave room for the read tasks,
    # or the pipeline waits for CPUs that never free up.
    return ds.map_batches(
        vr.Visionprep, fn_constructor_kwargs=kwargs, concurrency=2, num_cpus=0.5, batch_size=32
    )


def test_cost_rows_are_the_cli_rows(cluster: None, images: Path) -> None:
    rows = dataset(images, output="cost", models=["claude-sonnet-4-6", "claude-opus-4-7"]).take_all()
    assert len(rows) == 202  # every file read is a row, the skipped text file too
    cli = json.loads(
        run_cli("cost", str(images), "-m", "claude-sonnet-4-6", "-m", "claude-opus-4-7",
                "--format", "json").stdout,
        parse_float=Decimal,
    )
    ours = {r["path"]: json.loads(r["row"], parse_float=Decimal) for r in rows if not r["skipped"]}
    theirs = {r["path"]: r for r in cli["files"]}
    assert ours.keys() == theirs.keys()
    for path, row in theirs.items():
        mine = ours[path]
        # JSON text from Python's json has Decimals as strings: compare values.
        for model in row["models"].values():
            model["usd"] = str(model["usd"])
        assert mine == row, path
    skipped = [r["path"] for r in rows if r["skipped"]]
    assert [Path(p).name for p in skipped] == ["zz-notes.txt"] and cli["totals"]["skipped"] == 1
    broken = [r for r in rows if r["error"]]
    assert [Path(r["path"]).name for r in broken] == ["zz-unreadable.jpg"]
    totals = vr.cost_totals(rows)
    assert totals["tokens"] == cli["totals"]["models"]["claude-sonnet-4-6"]["tokens"]
    assert totals["usd"] == cli["totals"]["models"]["claude-sonnet-4-6"]["usd"]


def test_batch_files_are_the_cli_files(cluster: None, images: Path, tmp_path: Path) -> None:
    ds = dataset(images, output="batch", prompt="Describe the image.").sort("path")
    summary = vr.write_batch_files(ds, str(tmp_path / "ray"))
    run_cli("batch", str(images), "--prompt", "Describe the image.", "-o", str(tmp_path / "cli"),
            "--no-progress")
    ours = (tmp_path / "ray" / "batch-001.jsonl").read_bytes()
    theirs = (tmp_path / "cli" / "batch-001.jsonl").read_bytes()
    assert ours == theirs
    assert summary["requests"] == 200
    assert len(summary["failed"]) == 2  # the unreadable JPEG and the text file, named
    assert any("zz-unreadable.jpg" in f for f in summary["failed"])


def test_prepared_rows_lose_nothing(cluster: None, images: Path) -> None:
    rows = dataset(images, output="prepared", output_format="jpeg").take_all()
    assert len(rows) == 202
    good = [r for r in rows if r["error"] is None]
    assert len(good) == 200
    assert all(r["media_type"] == "image/jpeg" and r["data"][:2] == b"\xff\xd8" for r in good)
    errors = {Path(r["path"]).name: r["error_code"] for r in rows if r["error"]}
    assert errors == {"zz-unreadable.jpg": "truncated", "zz-notes.txt": "not-an-image"}
