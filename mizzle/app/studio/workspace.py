"""The databases one studio shows, and how each is opened: the studio's state, held by the
server that serves it (no module-level state: two studios in one process do not mix)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mizzle.app.studio.backends import Backend, backend_for
from mizzle.app.studio.data import StudioError
from mizzle.app.studio.sql_runner import Running
from mizzle.core.model import Schema
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect


class ReadOnly(StudioError):
    """A write asked of a studio started with --read-only."""


@dataclass
class Target:
    """One database of the studio (a tab of the page)."""

    url: DatabaseURL

    @property
    def backend(self) -> Backend:
        return backend_for(self.url.dialect)

    def describe(self, index: int) -> dict[str, Any]:
        # redacted: the password never reaches the page
        return {"id": index, "dialect": self.url.dialect, "url": self.url.redacted}


@dataclass
class Workspace:
    targets: list[Target]
    read_only: bool = False
    #: the config's schema file, when there is a config (the ERD and drift read it)
    schema_path: Any = None
    sync_tables: tuple[str, ...] = ()
    #: the migrations folder (None: no config and no ./migrations)
    folder: Any = None
    running: Running = field(default_factory=Running)
    _schemas: dict[int, Schema] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def target(self, index: int) -> Target:
        if not 0 <= index < len(self.targets):
            raise StudioError(f"no database {index}")
        return self.targets[index]

    @contextmanager
    def connection(self, index: int) -> Iterator[Any]:
        """A connection to database `index`, closed afterwards. PostgreSQL's is in autocommit
        mode: a read holds no transaction open, a change opens its own."""
        url = self.target(index).url
        conn = get_dialect(url.dialect).connect(url)
        try:
            self.target(index).backend.opened(conn)
            yield conn
        finally:
            conn.close()

    def schema(self, index: int, conn: Any, *, fresh: bool = False) -> Schema:
        """Database `index` as introspected, kept until `fresh` (a listing, a SQL run) asks again."""
        with self._lock:
            if not fresh and index in self._schemas:
                return self._schemas[index]
        schema = get_dialect(self.target(index).url.dialect).introspect(conn).schema
        with self._lock:
            self._schemas[index] = schema
        return schema

    def forget(self, index: int) -> None:
        with self._lock:
            self._schemas.pop(index, None)

    def writable(self) -> None:
        if self.read_only:
            raise ReadOnly("the studio runs read-only (--read-only): nothing was changed")

    def model(self) -> Schema | None:
        """The config's schema (what `export` and `push` read); None without one."""
        if self.schema_path is None:
            return None
        from mizzle.sources.load import load_schema

        return load_schema(self.schema_path, self.sync_tables).schema


def workspace_for(urls: list[DatabaseURL], config: Any, *, read_only: bool = False) -> Workspace:
    """The studio's workspace for `urls` and the project's `config` (None: no config file, so
    no schema for the ERD and drift, and `./migrations` as the folder). Each database is
    opened once first: a wrong URL is an error now, not a page that fails later."""
    from mizzle.app.folder import migrations_folder

    if not urls:
        raise StudioError("no database to show: pass --db URL or set the config's [db] url")
    workspace = Workspace([Target(u) for u in urls], read_only=read_only)
    for index in range(len(urls)):
        workspace.target(index).backend  # noqa: B018 - a database the studio cannot show fails here
        with workspace.connection(index):
            pass
    if config is not None and config.schema is not None:
        workspace.schema_path = config.require_schema()
        workspace.sync_tables = config.sync_tables
    workspace.folder = migrations_folder(config)
    return workspace
