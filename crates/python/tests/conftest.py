"""Shared fixtures: the CLI to compare against, the example images, generated folders."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "images"


def cli_path() -> Path:
    """The CLI binary: $VISIONPREP, else the workspace's release or debug build."""
    if "VISIONPREP" in os.environ:
        return Path(os.environ["VISIONPREP"]).resolve()
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "visionprep"
        if p.exists():
            return p
    pytest.skip("no visionprep binary: cargo build --release -p visionprep-cli, or set VISIONPREP")


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs the CLI from the repository root (paths in its output are as given)."""
    out = subprocess.run(
        [str(cli_path()), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if check and out.returncode not in (0, 1):
        raise AssertionError(f"visionprep {' '.join(args)}: {out.returncode}\n{out.stderr}")
    return out


def cli_json(*args: str) -> Any:
    from decimal import Decimal

    return json.loads(run_cli(*args).stdout, parse_float=Decimal)


def photo(width: int, height: int, seed: int = 0, fmt: str = "JPEG", **save: Any) -> bytes:
    """A photograph-like image (smooth gradients and noise), encoded in memory."""
    rng = random.Random(seed)
    small = Image.new("RGB", (16, 12))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(192)])
    image = small.resize((width, height), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def screenshot(width: int, height: int, seed: int = 0) -> bytes:
    """A screenshot-like PNG: flat panels and text-like strokes."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (245, 245, 245))
    pixels = image.load()
    assert pixels is not None
    for _ in range(40):
        x, y = rng.randrange(width - 40), rng.randrange(height - 8)
        for dx in range(rng.randrange(5, 40)):
            pixels[x + dx, y] = (20, 20, 20)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small mixed folder: photos, a screenshot, a cut-off JPEG, a text file."""
    d = tmp_path_factory.mktemp("mixed")
    (d / "a-photo.jpg").write_bytes(photo(2400, 1600, 1))
    (d / "b-small.jpg").write_bytes(photo(320, 240, 2))
    (d / "c-screen.png").write_bytes(screenshot(1920, 1080, 3))
    sub = d / "sub"
    sub.mkdir()
    (sub / "d-photo.webp").write_bytes(photo(1200, 900, 4, "WEBP", quality=80))
    (d / "e-cut.jpg").write_bytes(photo(800, 600, 5)[:600])
    (d / "notes.txt").write_text("not an image\n")
    return d


# The Messages API as a stub on 127.0.0.1 that records what it is sent (no other network).
REPLY = {
    "id": "msg_stub",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "A chart."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1600, "output_tokens": 3},
}


@pytest.fixture()
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    recorded: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            length = int(self.headers.get("content-length", "0"))
            recorded.append(json.loads(self.rfile.read(length)))
            body = json.dumps(REPLY).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", recorded
    finally:
        httpd.shutdown()
        httpd.server_close()
