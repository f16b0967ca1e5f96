"""What runs in Pyodide: upgrade, status and check of a browser's SQLite database against
the bundle's migrations (`mizzle.js` calls these; see docs/browser.md).

    rt = Runtime(manifest_json)
    rt.upgrade(db)   # db: a path in Pyodide's file system, or a bridge to a JS-owned database
    rt.status(db)
    rt.check(db)

Every result is a plain dict of JSON values (it crosses into JavaScript). Every failure is a
`MizzleError` whose message is one line for the user.

- `upgrade` applies every pending migration in ONE transaction (`core.atomic`): all of them
  and their tracking rows, or nothing, the database byte for byte as it was. The runner is
  the server's: same tracking table, same checksums, same guards, sync tracking off.
- A new database (nothing in it) gets the head schema in one script instead of the replay,
  when the bundle proved the two the same (`fresh.py`, `fresh_build.py`): same objects, same
  tracking rows, without SQLite re-reading the schema after every ALTER TABLE.
- A database that has a migration the bundle does not know was upgraded by newer code (in
  another tab, or before the app was rolled back): `upgrade` refuses to touch it and says
  so, rather than writing with an older schema in mind.
- `check` compares the database's objects with the schema the bundle's migrations build
  (`manifest.schema_objects`): one query, no introspection.

Standard library only: no sqlglot, pydantic or psycopg on this path.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from mizzle.core.atomic import migrate_atomically
from mizzle.core.errors import MizzleError
from mizzle.core.runner import MigrationFailed, status
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.wasm.bridge import Bridge, BridgeMigrationDatabase
from mizzle.wasm.fresh import apply_fresh
from mizzle.wasm.manifest import Manifest, schema_objects


class Runtime:
    def __init__(self, manifest_json: str) -> None:
        self.manifest = Manifest.from_json(manifest_json)
        self.names = [m.name for m in self.manifest.migrations]

    # --- the three calls ------------------------------------------------------------------

    def call(
        self,
        method: str,
        db: str | Bridge,
        progress: Callable[[str, int], None] | None = None,
        args_json: str | None = None,
    ) -> str:
        """`method` ("upgrade", "status", "check", "tables", "sync_request", "sync_take") as
        JSON text for JavaScript: {"ok": true, "value": ...} or {"ok": false, "error": "<one
        line>"}. `args_json`: the sync calls' arguments (sync_calls.py)."""
        value: Any
        try:
            if method in ("sync_request", "sync_take"):
                from mizzle.wasm import sync_calls  # the sync path only: upgrades never load it

                args = json.loads(args_json or "{}")
                call = sync_calls.sync_request if method == "sync_request" else sync_calls.sync_take
                value = call(db, args)  # type: ignore[arg-type]  # a JS bridge has `rows` too
            elif method == "upgrade":
                value = self.upgrade(db, progress)
            elif method == "status":
                value = self.status(db)
            elif method == "check":
                value = self.check(db)
            elif method == "tables":
                value = self.tables(db)
            else:
                raise MizzleError(f"unknown call {method!r}")
        except MizzleError as err:
            return json.dumps({"ok": False, "error": str(err)})
        return json.dumps({"ok": True, "value": value})

    def upgrade(self, db: str | Bridge, progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
        """Apply every pending migration atomically: {"from", "to", "applied", "ms"};
        `progress(name, ms)` as each one has run (before the single COMMIT)."""
        started = time.perf_counter()
        with _opened(db) as adapter:
            before = self._current(adapter)
            try:
                applied = self._fresh(adapter, progress)
                if applied is None:
                    applied = migrate_atomically(adapter, self.manifest.migrations, on_applied=progress).done
            except MigrationFailed as err:
                raise MizzleError(f"the upgrade failed and changed nothing: {err}") from None
            except MizzleError as err:
                raise MizzleError(self._explain(adapter, err)) from None
            after = self._current(adapter)
        return {
            "from": before,
            "to": after,
            "applied": applied,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }

    def status(self, db: str | Bridge) -> dict[str, Any]:
        """{"current", "head", "applied": [{name, applied_at}], "pending", "problems"}."""
        with _opened(db) as adapter:
            st = status(adapter, self.manifest.migrations)
        return {
            "current": st.applied[-1].name if st.applied else None,
            "head": self.manifest.head,
            "applied": [{"name": a.name, "applied_at": a.applied_at} for a in st.applied],
            "pending": st.pending,
            "problems": [p.message for p in st.problems],
        }

    def check(self, db: str | Bridge) -> dict[str, Any]:
        """Whether the database is what the bundle's migrations make: {"ok", "current",
        "head", "pending", "problems", "missing", "extra", "changed"} (objects by
        "type name")."""
        with _opened(db) as adapter:
            st = status(adapter, self.manifest.migrations)
            objects = schema_objects(adapter)
        current = st.applied[-1].name if st.applied else None
        have = {(t, n): h for t, n, h in objects}
        want = {(t, n): h for t, n, h in self.manifest.objects}
        missing = sorted(f"{t} {n}" for t, n in want.keys() - have.keys())
        extra = sorted(f"{t} {n}" for t, n in have.keys() - want.keys())
        changed = sorted(f"{t} {n}" for k in want.keys() & have.keys() if want[k] != have[k] for t, n in [k])
        problems = [p.message for p in st.problems]
        at_head = not st.pending and not problems
        ok = at_head and not (missing or extra or changed)
        return {
            "ok": ok,
            "current": current,
            "head": self.manifest.head,
            "pending": st.pending,
            "problems": problems,
            "missing": missing if at_head else [],
            "extra": extra if at_head else [],
            "changed": changed if at_head else [],
        }

    def tables(self, db: str | Bridge) -> list[dict[str, Any]]:
        """The database's tables as a person would list them: [{name, columns, rows}]
        (mizzle's own `__mizzle_*` tables and SQLite's left out)."""
        with _opened(db) as adapter:
            names = adapter.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                "AND name NOT LIKE '\\_\\_mizzle\\_%' ESCAPE '\\' ORDER BY name"
            )
            out = []
            for (name,) in names:
                quoted = '"' + str(name).replace('"', '""') + '"'
                columns = [str(row[1]) for row in adapter.query(f"PRAGMA table_info({quoted})")]
                [(rows,)] = adapter.query(f"SELECT count(*) FROM {quoted}")
                out.append({"name": name, "columns": columns, "rows": rows})
        return out

    # --- helpers ----------------------------------------------------------------------------

    def _fresh(self, adapter: MigrationDatabase, progress: Callable[[str, int], None] | None) -> list[str] | None:
        """A new database gets the head schema in one script (`fresh.py`) when the bundle has
        one; None when it has none or the database is not empty (then every migration replays)."""
        if self.manifest.fresh is None:
            return None
        return apply_fresh(adapter, self.manifest.fresh, self.manifest.migrations, progress)

    def _current(self, adapter: MigrationDatabase) -> str | None:
        applied = adapter.applied()
        return applied[-1].name if applied else None

    def _explain(self, adapter: MigrationDatabase, err: MizzleError) -> str:
        """A refusal in the browser's words: a newer database is the common case."""
        unknown = [a.name for a in adapter.applied() if a.name not in self.names]
        if unknown:
            return (
                f"this database was upgraded by a newer version of the app (it has migration {unknown[-1]}, "
                f"which this app's bundle, at {self.manifest.head}, does not know): reload the app; "
                "nothing was written"
            )
        return str(err)


class _opened:
    """The adapter for `db`, closing a connection it opened itself."""

    def __init__(self, db: str | Bridge) -> None:
        self.db = db
        self.conn: sqlite3.Connection | None = None

    def __enter__(self) -> MigrationDatabase:
        if isinstance(self.db, str):
            try:
                self.conn = sqlite3.connect(self.db, isolation_level=None)
            except sqlite3.Error as err:
                raise MizzleError(f"cannot open the database {self.db}: {err}") from None
            return SqliteMigrationDatabase(self.conn)
        return BridgeMigrationDatabase(self.db)

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()
