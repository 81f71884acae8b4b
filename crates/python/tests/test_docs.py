"""The Python examples of the README, docs/ and this package's README, run as written against
the installed package: each in a sandbox holding a copy of examples/ (and photos/, a folder of
its images), with the anthropic SDK pointed at the stub server on 127.0.0.1. A block whose
fence follows `<!-- not run: REASON -->` is left out (the Rust test of the docs checks that
every block is run somewhere or says why not)."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "crates" / "python" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


def blocks(text: str) -> list[tuple[int, str, str, str | None]]:
    """The fenced blocks of a Markdown text: (line, language, code, marker before the fence)."""
    lines = text.splitlines()
    out: list[tuple[int, str, str, str | None]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if not stripped.startswith("```"):
            i += 1
            continue
        indent = len(lines[i]) - len(stripped)
        lang = stripped[3:].strip().split(",")[0]
        before = [line.strip() for line in lines[:i] if line.strip()]
        marker = None
        if before and before[-1].startswith("<!--") and before[-1].endswith("-->"):
            marker = before[-1][4:-3].strip()
        start = i + 1
        i += 1
        code: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            code.append(lines[i][indent:])
            i += 1
        out.append((start, lang, "\n".join(code) + "\n", marker))
        i += 1
    return out


def examples() -> list[Any]:
    found = []
    for doc in DOCUMENTS:
        for line, lang, code, marker in blocks(doc.read_text()):
            if lang == "python" and not (marker or "").startswith("not run:"):
                name = f"{doc.relative_to(ROOT)}:{line}"
                found.append(pytest.param(name, code, id=name))
    return found


def test_the_docs_have_python_examples() -> None:
    assert len(examples()) >= 3


def test_blocks_are_read_with_markers_and_indentation() -> None:
    md = "<!-- not run: network -->\n```python\nx = 1\n```\n\n1. a\n\n   ```python\n   y = 2\n   ```\n"
    assert blocks(md) == [(2, "python", "x = 1\n", "not run: network"), (8, "python", "y = 2\n", None)]


@pytest.mark.parametrize(("name", "code"), examples())
def test_python_example_runs(
    name: str,
    code: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, recorded = server
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "examples" / "images", tmp_path / "photos")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, name, "exec"), {"__name__": "__main__"})  # noqa: S102 (the docs' own code)
    # An example that sends through the SDK did send, and a body the API would take.
    import visionprep

    if "messages.create" in code:
        assert recorded, f"{name}: nothing reached the stub server"
    for body in recorded:
        assert visionprep.check_request(body)["passes"], (name, body)
