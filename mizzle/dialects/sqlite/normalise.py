"""The `Dialect.normalise` hook of push and check: SQLite keeps the text of an expression as
it was given, so the schema's spelling is already the database's."""

from __future__ import annotations

from typing import Any

from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.tracking import MigrationDatabase


def normalise(db: MigrationDatabase, conn: Any, target: Schema, operations: list[Operation]) -> Schema:
    return target
