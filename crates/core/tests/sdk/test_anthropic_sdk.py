"""Cross-check of visionprep's model data against a real client: the anthropic Python SDK.

Every model id the pinned SDK's `ModelParam` lists must resolve in visionprep's table, and the
SDK's deprecation dates (`anthropic._data.DEPRECATED_MODELS`) must match the table's lifecycle:
a model the SDK calls deprecated is deprecated in the table with the same retirement date (or,
once that date has passed by the table's `as_of`, retired on it), and a model the table calls
deprecated is one the SDK warns about.

Run by .ci/run in a virtualenv of its own:

    VISIONPREP=target/release/visionprep python -m pytest crates/core/tests/sdk
"""

import datetime
import json
import os
import re
import subprocess
import typing

import pytest
from anthropic._data import DEPRECATED_MODELS
from anthropic.types.model_param import ModelParam

BIN = os.environ.get("VISIONPREP", "target/release/visionprep")


def sdk_model_ids():
    literal = typing.get_args(ModelParam)[0]
    ids = typing.get_args(literal)
    assert len(ids) >= 20, ids
    return list(ids)


def sdk_date(text):
    """'November 30th, 2026' -> date(2026, 11, 30)."""
    cleaned = re.sub(r"(\d+)(st|nd|rd|th)", r"\1", text)
    return datetime.datetime.strptime(cleaned, "%B %d, %Y").date()


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, check=False)


def resolved(name):
    """The table's entry and status for `name`, via `visionprep plan`."""
    out = run("plan", "1000", "1000", "-m", name, "--allow-retired", "--json")
    assert out.returncode == 0, f"{name} does not resolve: {out.stderr}"
    report = json.loads(out.stdout)
    [(model_id, status)] = report["model_status"].items()
    return model_id, status


@pytest.fixture(scope="module")
def table():
    out = run("models", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", sdk_model_ids())
def test_every_sdk_model_resolves(name):
    model_id, _ = resolved(name)
    assert model_id


@pytest.mark.parametrize("name,eol", sorted(DEPRECATED_MODELS.items()))
def test_sdk_deprecations_match_the_table(name, eol, table):
    as_of = datetime.date.fromisoformat(table["as_of"])
    _, status = resolved(name)
    date = sdk_date(eol)
    if date < as_of:
        assert status == {**status, "status": "retired", "retired": date.isoformat()}, status
    else:
        assert status == {**status, "status": "deprecated", "retires": date.isoformat()}, status


def test_table_deprecations_are_known_to_the_sdk(table):
    sdk_ids = set(sdk_model_ids())
    for model in table["models"]:
        if model["status"] == "deprecated" and model["id"] in sdk_ids:
            assert model["id"] in DEPRECATED_MODELS, model["id"]


def test_the_default_model_is_current(table):
    default = next(m for m in table["models"] if m["id"] == table["default_model"])
    assert default["status"] == "active"
    assert default["id"] not in DEPRECATED_MODELS
