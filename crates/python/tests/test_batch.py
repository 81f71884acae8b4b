"""Message Batches files from Python: the CLI's files byte for byte, the limits, reruns, and
the results reader."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import cli_json, run_cli

import visionprep as vp


def files_of(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if not p.name.startswith(".")}


def test_write_batches_gives_the_cli_files(folder: Path, tmp_path: Path) -> None:
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    args = ["--prompt", "Describe it.", "--per-request", "2", "--max-tokens", "300"]
    cli = run_cli("batch", str(folder), "-o", str(cli_out), *args, "--format", "json", "--no-progress")
    assert cli.returncode == 1  # the cut-off JPEG
    summary = vp.write_batches(folder, py_out, prompt="Describe it.", per_request=2, max_tokens=300)
    cli_files, py_files = files_of(cli_out), files_of(py_out)
    assert cli_files.keys() == py_files.keys() == {"batch-001.jsonl", vp.BATCH_MAP_NAME}
    assert cli_files["batch-001.jsonl"] == py_files["batch-001.jsonl"]
    cli_summary = json.loads(cli.stdout, parse_float=Decimal)
    for key in ("requests", "images", "image_tokens", "usd"):
        assert summary[key] == cli_summary[key], key
    assert len(summary["failed"]) == 1 and "e-cut.jpg" in summary["failed"][0]
    lines = [json.loads(line) for line in py_files["batch-001.jsonl"].splitlines()]
    assert [len([b for b in line["params"]["messages"][0]["content"] if b["type"] == "image"])
            for line in lines] == [2, 2]
    for line in lines:
        assert vp.check_request(line["params"])["passes"]
    mapped = [json.loads(line) for line in py_files[vp.BATCH_MAP_NAME].splitlines()]
    assert [m["custom_id"] for m in mapped] == [line["custom_id"] for line in lines]
    assert mapped[0]["custom_id"] == vp.batch_custom_id(mapped[0]["paths"])


def test_a_rerun_copies_unchanged_requests(folder: Path, tmp_path: Path) -> None:
    first = vp.write_batches(folder, tmp_path, prompt="Describe it.")
    before = (tmp_path / "batch-001.jsonl").read_bytes()
    again = vp.write_batches(folder, tmp_path, prompt="Describe it.")
    assert again["reused"] == again["requests"] == first["requests"] == 4
    assert (tmp_path / "batch-001.jsonl").read_bytes() == before
    changed = vp.write_batches(folder, tmp_path, prompt="Transcribe it.")
    assert changed["reused"] == 0
    forced = vp.write_batches(folder, tmp_path, prompt="Transcribe it.", force=True)
    assert forced["reused"] == 0 and forced["requests"] == 4


def test_batch_files_keep_within_the_limits(tmp_path: Path) -> None:
    params = {"model": "claude-sonnet-4-6", "max_tokens": 10,
              "messages": [{"role": "user", "content": "x" * 100}]}
    with vp.BatchFiles(tmp_path, max_requests=4, max_bytes=1000) as files:
        for i in range(10):
            files.add(f"req-{i}", params, paths=[f"{i}.png"], model="claude-sonnet-4-6",
                      image_tokens=100, usd="0.00015")
        with pytest.raises(vp.RequestError) as e:
            files.add("req-3", params)
        assert e.value.code == "duplicate-custom-id"
        with pytest.raises(ValueError, match="custom id"):
            files.add("no spaces allowed", params)
        with pytest.raises(ValueError, match="one line"):
            files.add("pretty", json.dumps(params, indent=1))
        summary = files.close()
    assert [f["requests"] for f in summary["files"]] == [4, 4, 2]
    assert all(f["bytes"] <= 1000 for f in summary["files"])
    assert summary["usd"] == Decimal("0.0015")
    for f in summary["files"]:
        text = Path(f["path"]).read_text()
        assert len(text.encode()) == f["bytes"]
        for line in text.splitlines():
            assert json.loads(line)["params"] == params
    with pytest.raises(ValueError, match="closed"):
        files.add("late", params)


def test_custom_ids() -> None:
    a = vp.batch_custom_id(["scans/page 1.tif"])
    assert a.startswith("page_1-") and len(a) == len("page_1-") + 16
    assert a == vp.batch_custom_id(["scans/page 1.tif"])
    assert a != vp.batch_custom_id(["other/page 1.tif"])
    assert vp.batch_custom_id(["x/y.png"], template="{parent}_{n}", number=3) == "x_00000003"
    with pytest.raises(ValueError, match="placeholder"):
        vp.batch_custom_id(["y.png"], template="{name}")


def test_results_join_the_map(folder: Path, tmp_path: Path) -> None:
    summary = vp.write_batches(folder, tmp_path / "out", prompt="Describe it.")
    mapped = [json.loads(line) for line in Path(summary["map"]).read_text().splitlines()]
    results = tmp_path / "results.jsonl"
    with results.open("w") as f:
        for i, m in enumerate(mapped):
            if i == 0:
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "invalid_request_error", "message": "bad image"}}}
            else:
                result = {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", "usage": {
                    "input_tokens": m["image_tokens"] + 12, "output_tokens": 40}}}
            f.write(json.dumps({"custom_id": m["custom_id"], "result": result}) + "\n")
        f.write(json.dumps({"custom_id": "stranger", "result": {"type": "expired"}}) + "\n")
    report = vp.read_batch_results(results, tmp_path / "out")
    assert report["statuses"] == {"errored": 1, "expired": 1, "succeeded": len(mapped) - 1}
    assert report["input_tokens"] == sum(m["image_tokens"] + 12 for m in mapped[1:])
    assert report["estimated_image_tokens"] == sum(m["image_tokens"] for m in mapped[1:])
    assert report["rows"][0]["error"] == "bad image"
    assert report["rows"][0]["paths"] == mapped[0]["paths"]
    assert report["unknown_ids"] == ["stranger"]
    assert report == cli_json("batch-results", str(results), "--map", str(tmp_path / "out"),
                              "--format", "json")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"custom_id": "x"}\n')
    with pytest.raises(vp.VisionprepError) as e:
        vp.read_batch_results(bad, tmp_path / "out")
    assert e.value.code == "not-batch-results" and "bad.jsonl:1" in str(e.value)
