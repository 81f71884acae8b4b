"""The `anthropic` Python SDK (pinned, as the SDK cross-check is) through `visionprep proxy`
against a loopback stand-in for the API: what arrives upstream, what comes back.

    VISIONPREP=target/release/visionprep python -m pytest crates/proxy/tests/sdk
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[4]
BINARY = os.environ.get("VISIONPREP", str(ROOT / "target" / "release" / "visionprep"))
KEY = "sk-ant-proxy-test-0123456789"

MESSAGE = {
    "id": "msg_stand_in",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
BATCH = {
    "id": "msgbatch_stand_in",
    "type": "message_batch",
    "processing_status": "in_progress",
    "request_counts": {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
    "ended_at": None,
    "created_at": "2026-12-07T00:00:00Z",
    "expires_at": "2026-12-08T00:00:00Z",
    "archived_at": None,
    "cancel_initiated_at": None,
    "results_url": None,
}


class StandIn(ThreadingHTTPServer):
    """Records each request; answers as the API would, streaming when asked (the last event
    only once `release` is set)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, dict[str, str], bytes]] = []
        self.release = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StandIn

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        path = self.path.split("?")[0]
        if path == "/v1/messages" and json.loads(body).get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            events = [
                ("message_start", {"type": "message_start", "message": {**MESSAGE, "content": []}}),
                ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}}),
                ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 1}}),
                ("message_stop", {"type": "message_stop"}),
            ]
            for name, data in events:
                if name == "message_stop":
                    self.server.release.wait(20)
                chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        answer = {"/v1/messages": MESSAGE, "/v1/messages/count_tokens": {"input_tokens": 10}}.get(path, BATCH)
        out = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("request-id", "req_stand_in")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def proxy(stand_in: StandIn, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "proxy.jsonl"
    child = subprocess.Popen(
        [BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream", f"http://127.0.0.1:{stand_in.server_port}", "--log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    address = first.split("http://")[1].split()[0]
    yield f"http://{address}", log
    child.terminate()
    out, _ = child.communicate(timeout=40)
    assert child.returncode == 0
    assert KEY not in out


def png(width: int, height: int, noise: bool) -> str:
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (40, 90, 200))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return base64.b64encode(out.getvalue()).decode()


def image_block(data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def agent_messages(images: list[str]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Take a screenshot and read the banner."},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "screenshot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [image_block(d) for d in images]}]},
    ]


def without_images(value: Any) -> Any:
    """The body with each image's data and media type blanked: what must not change."""
    if isinstance(value, dict):
        if value.get("type") == "base64" and "data" in value:
            return {**value, "data": "", "media_type": ""}
        return {k: without_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_images(v) for v in value]
    return value


def image_sizes(value: Any) -> list[tuple[int, int, int]]:
    """(width, height, base64 bytes) of every base64 image in the body, read with Pillow."""
    if isinstance(value, dict):
        if value.get("type") == "base64" and "data" in value:
            raw = base64.b64decode(value["data"])
            with Image.open(io.BytesIO(raw)) as im:
                return [(im.width, im.height, len(value["data"]))]
        return [s for v in value.values() for s in image_sizes(v)]
    if isinstance(value, list):
        return [s for v in value for s in image_sizes(v)]
    return []


def test_text_passes_byte_for_byte_and_refused_images_are_rewritten(stand_in: StandIn, proxy: tuple[str, Path]) -> None:
    url, log = proxy
    direct = anthropic.Anthropic(base_url=f"http://127.0.0.1:{stand_in.server_port}", api_key=KEY, max_retries=0)
    through = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    ask = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hello"}]}
    direct.messages.create(**ask)
    reply = through.messages.create(**ask)
    assert reply.content[0].type == "text"
    (_, _, sent), (_, headers, arrived) = stand_in.seen[-2:]
    assert arrived == sent, "a text-only body arrives byte for byte"
    # The key as the SDK sends it (x-api-key, or a bearer token in newer versions) arrives.
    direct_headers = stand_in.seen[-2][1]
    for name in ("x-api-key", "authorization"):
        assert headers.get(name) == direct_headers.get(name), name
    assert KEY in (headers.get("x-api-key", "") + headers.get("authorization", ""))

    # A 9 MB screenshot (over the API's 10 MiB base64 cap once encoded) and a 9000 px image.
    big, wide, small = png(1800, 1700, True), png(9000, 40, False), png(64, 48, False)
    assert len(big) > 10_485_760
    messages = agent_messages([big, wide, small])
    raw = through.messages.with_raw_response.create(model="claude-sonnet-4-6", max_tokens=64, messages=messages)  # type: ignore[arg-type]
    assert raw.headers["x-visionprep-rewritten"] == "2"
    through.messages.count_tokens(model="claude-sonnet-4-6", messages=messages)  # type: ignore[arg-type]
    through.messages.batches.create(requests=[{"custom_id": "one", "params": {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": messages}}])  # type: ignore[list-item]
    for path, _, body in stand_in.seen[-3:]:
        value = json.loads(body)
        params = value["requests"][0]["params"] if path == "/v1/messages/batches" else value
        original = {"model": "claude-sonnet-4-6", "messages": messages}
        assert without_images(params["messages"]) == without_images(original["messages"]), path
        sizes = image_sizes(params)
        assert len(sizes) == 3, path
        assert all(w <= 8000 and h <= 8000 and b <= 10_485_760 for w, h, b in sizes), (path, sizes)
        assert small in body.decode(), "the image that fits is kept as it was"
    text = log.read_text()
    assert KEY not in text and small not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["rewritten"] for line in lines[-3:]] == [2, 2, 2]


def test_a_stream_arrives_event_by_event(stand_in: StandIn, proxy: tuple[str, Path]) -> None:
    url, _ = proxy
    client = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]) as stream:
        events = iter(stream)
        first = next(events)
        assert first.type == "message_start"
        assert not stand_in.release.is_set()
        stand_in.release.set()
        rest = [e.type for e in events]
    assert rest[-1] == "message_stop"
