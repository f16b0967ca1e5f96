"""The corpus's real PostgreSQL apps, loaded as their own tooling loads them: one loader for
every corpus test (security, code, column fidelity, replay, round trip).

A Supabase app first gets its prelude (a stand-in for what the platform provides: roles, the
`auth`, `storage`... schemas, the extensions), then each file of its ORDER.txt in its own
transaction; drizzle's `--> statement-breakpoint` markers are removed (psql reads them as
comments anyway). The large schemas load from their one dump file (AdventureWorks through the
corpus's schema-only filter).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import CORPUS
from tests.pg import SUPABASE_EXTENSIONS, need_extensions

APPS = CORPUS / "apps"
SUPABASE = APPS / "supabase"
LARGE = APPS / "large-pg"


def psql(url: str, path: Path, *, single_transaction: bool = True) -> None:
    """Run one file with psql, stopping at the first error (its message in the assertion)."""
    args = ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", *(["-1"] if single_transaction else []), "-f", str(path), url]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, f"{path.name}: {done.stderr}"


def supabase_prelude(folder: Path) -> Path | None:
    """The Supabase prelude an app's folder needs (its own, else the shared one), or None for
    an app that is not on Supabase."""
    own = folder / "_prelude_supabase.sql"
    if own.is_file():
        return own
    return SUPABASE / "supabase_prelude.sql" if folder.parent == SUPABASE else None


def steps(folder: Path) -> list[Path]:
    """The app's migration files, in the order its tooling applies them."""
    return [folder / name for name in (folder / "ORDER.txt").read_text(encoding="utf-8").split()]


def load_prelude(folder: Path, url: str) -> None:
    """What the platform gives the app before its first migration (nothing off Supabase)."""
    prelude = supabase_prelude(folder)
    if prelude is not None:
        need_extensions(url, *SUPABASE_EXTENSIONS)
        psql(url, prelude)


def load_history(folder: Path, url: str, work: Path) -> None:
    """The prelude, then every migration of the app, each in its own transaction."""
    load_prelude(folder, url)
    for path in steps(folder):
        step = work / f"step-{path.name}"
        step.write_text(path.read_text(encoding="utf-8").replace("--> statement-breakpoint", ""), encoding="utf-8")
        psql(url, step)


@dataclass(frozen=True)
class App:
    """One corpus database: how to load it and which of its schemas are the app's."""

    name: str
    folder: Path
    schemas: tuple[str, ...] = ("public",)
    #: extensions a fresh database gets before the app's exported schema (what it calls)
    extensions: tuple[str, ...] = ()
    #: extensions its own files create
    needs: tuple[str, ...] = ()

    def load(self, url: str, work: Path) -> None:
        need_extensions(url, *self.extensions, *self.needs)
        if self.name == "adventureworks":
            filtered = subprocess.run(
                [sys.executable, str(self.folder / "_schema_only_filter.py"), str(self.folder / "install.sql")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            path = work / "adventureworks.sql"
            path.write_text(filtered, encoding="utf-8")
            psql(url, path, single_transaction=False)
        elif self.name == "chinook":
            text = (self.folder / "Chinook_PostgreSql.sql").read_text(encoding="utf-8")
            # the script creates and switches to its own database: load it into ours instead
            path = work / "chinook.sql"
            path.write_text(re.sub(r"^(DROP DATABASE|CREATE DATABASE|\\c).*$", "", text, flags=re.M), encoding="utf-8")
            psql(url, path, single_transaction=False)
        elif self.name == "pagila":
            psql(url, self.folder / "pagila-schema.sql", single_transaction=False)
        else:
            load_history(self.folder, url, work)

    def load_base(self, url: str) -> None:
        """What a fresh database needs before the app's exported schema: the same prelude
        and extensions the app was loaded after."""
        need_extensions(url, *self.extensions)
        for extension in self.extensions:
            _execute(url, f'CREATE EXTENSION IF NOT EXISTS "{extension}"')
        load_prelude(self.folder, url)


def _execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


SUPABASE_APPS = {
    "onlook": App("onlook", SUPABASE / "onlook-dev__onlook"),
    "basejump": App("basejump", SUPABASE / "usebasejump__basejump", ("public", "basejump")),
    "subscriptions": App("subscriptions", SUPABASE / "vercel__nextjs-subscription-payments"),
}

DANBOORU_EXTENSIONS = ("btree_gin", "fuzzystrmatch", "pg_trgm", "pgcrypto", "pgstattuple")
AW_SCHEMAS = ("humanresources", "person", "production", "purchasing", "sales", "hr", "pe", "pr", "pu", "sa")

LARGE_SCHEMAS = {
    "danbooru": App("danbooru", LARGE / "danbooru__danbooru", needs=DANBOORU_EXTENSIONS),
    "synapse": App("synapse", LARGE / "matrix-org__synapse" / "postgres"),
    "adventureworks": App(
        "adventureworks", LARGE / "lorint__AdventureWorks-for-Postgres", AW_SCHEMAS, ("uuid-ossp", "tablefunc")
    ),
    "chinook": App("chinook", CORPUS / "chinook"),
    "pagila": App("pagila", CORPUS / "pagila"),
}
