"""Prepared images through the real anthropic SDK, to a stub server on 127.0.0.1 that records
what the SDK sends (no other network): the SDK takes the content blocks as they are, and the
recorded bodies pass check_request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import pytest
from conftest import EXAMPLES

import visionprep as vp

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


def test_content_blocks_go_through_the_sdk(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, recorded = server
    client = anthropic.Anthropic(api_key="sk-test", base_url=url, max_retries=0)
    images = [vp.prepare(EXAMPLES / n) for n in ("camera-4032x3024.jpg", "chart-1092x1092.png")]
    reply = client.messages.create(
        model=images[0].model,
        max_tokens=256,
        messages=[
            {
                "role": "user",
                "content": [
                    images[0].to_content_block(),
                    images[1].to_content_block(),
                    {"type": "text", "text": "What do these show?"},
                ],
            }
        ],
    )
    assert reply.content[0].type == "text"
    (body,) = recorded
    sent = body["messages"][0]["content"]
    assert sent[:2] == [images[0].to_content_block(), images[1].to_content_block()]
    report = vp.check_request(body)
    assert report["passes"], report["findings"]
    assert report["requests"][0]["image_tokens"] == sum(p.tokens for p in images)


def test_built_bodies_go_through_the_sdk(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, recorded = server
    client = anthropic.Anthropic(api_key="sk-test", base_url=url, max_retries=0)
    bodies = vp.build_requests(
        [EXAMPLES / "screenshot-2560x1440.png", EXAMPLES / "scan-a4-2480x3508.webp"],
        prompt="Transcribe.",
    )
    for body in bodies:
        client.messages.create(**body)
    assert recorded == bodies
    assert all(vp.check_request(b)["passes"] for b in recorded)
