"""The neutral schema model in the browser, on demand (`mz.schema()` in mizzle.js): the one
part of the runtime that imports pydantic (with pydantic_core's wasm build) and sqlglot,
which the bundle carries for it. The upgrade path never imports this module."""

from __future__ import annotations

from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema


def validated_snapshot(snapshot_json: str) -> str:
    """The bundle's target snapshot, read and validated as a `Schema`, as stable JSON."""
    if snapshot_json == "null":
        raise MizzleError("the bundle has no schema snapshot: its last migration was written by hand")
    return Schema.from_json(snapshot_json).to_json()
