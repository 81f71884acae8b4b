"""Folders past one machine: visionprep on Ray Data.

Ray reads the files (local folders, ``s3://`` and ``gs://`` prefixes, anything its
``read_binary_files`` reads), spreads them over the cluster and retries failed tasks; each
actor holds one :class:`visionprep.Preparer` (or :class:`visionprep.BatchRequests`) and turns
rows of ``{"bytes", "path"}`` into result rows. Nothing is lost: an image that cannot be
prepared is a row whose ``error`` says why.

    import ray, visionprep.ray as vr
    ds = ray.data.read_binary_files("s3://bucket/scans/", include_paths=True)
    lines = ds.map_batches(vr.Visionprep, fn_constructor_kwargs={"output": "batch",
                           "prompt": "Transcribe the page."}, concurrency=8, batch_size=64)
    summary = vr.write_batch_files(lines, "out/")   # batch-001.jsonl, ... and the map

Outputs (``output=``):

- ``"cost"``: the row ``visionprep cost --format json`` prints for each file (header only),
  with ``tokens`` and ``usd`` of the first model flattened beside the whole row (``row``,
  JSON text);
- ``"prepared"``: the Claude-ready bytes (``data``), ``media_type``, size, ``tokens`` and
  ``usd``;
- ``"batch"``: one Message Batches request line per image (``custom_id``, ``params`` as
  JSON text, ``paths``, ``model``, ``image_tokens``, ``usd``), the bytes ``visionprep batch``
  writes for the same path; :func:`write_batch_files` writes them into files within the
  batch limits.

Every output row has ``path``, ``error`` (``None`` or the message) and ``error_code``.
Amounts are decimal strings (exact; Arrow has no ``Decimal`` of this scale).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from . import _visionprep as _vp

__all__ = ["Visionprep", "write_batch_files", "cost_totals"]

_COLUMNS = {
    "cost": ("path", "skipped", "tokens", "usd", "row", "error", "error_code"),
    "prepared": (
        "path", "data", "media_type", "width", "height", "tokens", "usd", "actions",
        "error", "error_code",
    ),
    "batch": (
        "path", "custom_id", "params", "paths", "model", "image_tokens", "usd", "error",
        "error_code",
    ),
}
_OUTPUTS = tuple(_COLUMNS)


def _column(batch: Any, name: str) -> list[Any]:
    """A column of a Ray batch (a dict of numpy arrays or lists, or a pandas DataFrame)."""
    values = batch[name]
    return list(values.tolist() if hasattr(values, "tolist") else values)


class Visionprep:
    """A callable class for ``Dataset.map_batches``: one per actor, reused for every batch.

    Takes the rows of ``ray.data.read_binary_files(..., include_paths=True)``. Keyword
    arguments are those of :func:`visionprep.prepare` (``model``, ``profile``, ``quality``,
    ...), plus ``models`` for ``output="cost"`` and the request arguments of
    :class:`visionprep.BatchRequests` (``prompt``, ``custom_id``, ``max_tokens``, ``system``)
    for ``output="batch"``.
    """

    def __init__(self, output: str = "prepared", **options: Any) -> None:
        if output not in _OUTPUTS:
            raise ValueError(f"output: {output!r} is not one of {', '.join(_OUTPUTS)}")
        self.output = output
        self.options = options
        if output == "prepared":
            self._worker: Any = _vp.Preparer(**options)
        elif output == "batch":
            self._worker = _vp.BatchRequests(**options)
        else:
            self._worker = None
            # Fail on a bad model or option here, once, not as an error row per file.
            _vp.estimate(b"", name="probe.png", **self._cost_options())

    def _cost_options(self) -> dict[str, Any]:
        keep = ("models", "token_rule", "profile", "batch", "lenient")
        return {k: v for k, v in self.options.items() if k in keep}

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        paths = [str(p) for p in _column(batch, "path")]
        datas = _column(batch, "bytes")
        rows = [self._one(bytes(d) if d is not None else b"", p) for d, p in zip(datas, paths)]
        # Every batch has every column, whatever its rows, so that blocks share one schema.
        return {key: [row.get(key) for row in rows] for key in _COLUMNS[self.output]}

    def _one(self, data: bytes, path: str) -> dict[str, Any]:
        if self.output == "cost":
            row = _vp.estimate(data, name=path, walked=True, **self._cost_options())
            if row is None:
                # What a folder walk passes over (not an image, no image extension): a row
                # all the same, marked, so that nothing read disappears.
                return {"path": path, "skipped": True}
            first = next(iter(row["models"].values()), None)
            error = row.get("error")
            return {
                "path": path,
                "skipped": False,
                "tokens": first["tokens"] if first else None,
                "usd": str(first["usd"]) if first else None,
                "row": json.dumps(row, default=str),
                "error": error["message"] if error else None,
                "error_code": error["code"] if error else None,
            }
        try:
            if self.output == "prepared":
                p = self._worker.prepare(data)
                return {
                    "path": path,
                    "data": p.data,
                    "media_type": p.media_type,
                    "width": p.width,
                    "height": p.height,
                    "tokens": p.tokens,
                    "usd": str(p.usd),
                    "actions": ",".join(p.actions),
                    "error": None,
                    "error_code": None,
                }
            line = self._worker.request(data, path)
            line["error"] = None
            line["error_code"] = None
            line["paths"] = json.dumps(line["paths"])
            return {"path": path, **line}
        except _vp.VisionprepError as e:
            return {"path": path, "error": f"{path}: {e.message}", "error_code": e.code}


def write_batch_files(
    rows: Any,
    out: str,
    *,
    max_requests: int | None = None,
    max_bytes: int | None = None,
) -> dict[str, Any]:
    """Writes the rows of ``output="batch"`` (a Ray Dataset, or any iterable of row dicts)
    into Message Batches files in ``out``, each within the batch limits, with the map beside
    them; rows with an error are listed in the summary's ``failed``. Returns the summary.

    The lines are written in the order the rows come; sort the dataset by ``path`` first for
    the files ``visionprep batch`` writes for the same folder.
    """
    iterator: Iterable[Mapping[str, Any]] = rows.iter_rows() if hasattr(rows, "iter_rows") else rows
    with _vp.BatchFiles(out, max_requests=max_requests, max_bytes=max_bytes) as files:
        for row in iterator:
            if row.get("error"):
                files.failed(str(row["error"]), row.get("error_code"))
                continue
            paths = row["paths"]
            files.add(
                row["custom_id"],
                row["params"],
                paths=json.loads(paths) if isinstance(paths, str) else list(paths),
                model=row["model"],
                image_tokens=int(row["image_tokens"]),
                usd=str(row["usd"]),
            )
        summary: dict[str, Any] = files.close()
    return summary


def cost_totals(rows: Any) -> dict[str, Any]:
    """Totals of ``output="cost"`` rows (a Ray Dataset or an iterable of row dicts): files,
    errors, tokens and exact USD of the first model."""
    from decimal import Decimal

    iterator: Iterable[Mapping[str, Any]] = rows.iter_rows() if hasattr(rows, "iter_rows") else rows
    files = errors = tokens = skipped = 0
    usd = Decimal(0)
    for row in iterator:
        if row.get("skipped"):
            skipped += 1
            continue
        files += 1
        if row.get("error"):
            errors += 1
            continue
        tokens += int(row["tokens"] or 0)
        usd += Decimal(str(row["usd"] or "0"))
    # Without trailing zeros (a sum of 0.000693 and 0.0048 prints as 0.005493, not
    # 0.0054930) and without an exponent (10 stays 10, not 1E+1).
    total = Decimal(format(usd.normalize(), "f"))
    return {"files": files, "errors": errors, "tokens": tokens, "usd": total, "skipped": skipped}
