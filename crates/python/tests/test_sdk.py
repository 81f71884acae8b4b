"""Prepared images through the real anthropic SDK, to a stub server on 127.0.0.1 that records
what the SDK sends (no other network): the SDK takes the content blocks as they are, and the
recorded bodies pass check_request."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from conftest import EXAMPLES

import visionprep as vp

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
