"""A corpus drizzle-kit history applied as drizzle's migrator applies it: each journal entry's
file in one transaction, `--> statement-breakpoint` markers removed, and one row in drizzle's
table per file: `hash` the sha256 of the file's text, `created_at` the journal's `when`
(SQLite: `__drizzle_migrations`; PostgreSQL: `drizzle.__drizzle_migrations`)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import psycopg

from tests.conftest import CORPUS

HISTORIES = {"sqlite": CORPUS / "apps" / "sqlite-histories", "postgresql": CORPUS / "apps" / "pg-histories"}


def journal(folder: Path) -> list[tuple[Path, str, int]]:
    """Each journal entry's file, the hash drizzle records for it and its `when`."""
    entries = json.loads((folder / "meta" / "_journal.json").read_text(encoding="utf-8"))["entries"]
    files = [(folder / f"{e['tag']}.sql", e["when"]) for e in entries]
    return [(path, hashlib.sha256(path.read_bytes()).hexdigest(), when) for path, when in files]


def apply_sqlite(folder: Path, path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(
            'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" '
            "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)"
        )
        for file, digest, when in journal(folder):
            text = file.read_text(encoding="utf-8").replace("--> statement-breakpoint", "")
            conn.executescript(f"BEGIN;\n{text}\nCOMMIT;")
            conn.execute('INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES (?, ?)', (digest, when))
    finally:
        conn.close()


def apply_postgresql(folder: Path, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA IF NOT EXISTS "drizzle"')
        conn.execute(
            'CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" '
            "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)"
        )
        for file, digest, when in journal(folder):
            with conn.transaction():
                for statement in file.read_text(encoding="utf-8").split("--> statement-breakpoint"):
                    if statement.strip():
                        conn.execute(statement.encode())
                conn.execute(
                    'INSERT INTO "drizzle"."__drizzle_migrations" (hash, created_at) VALUES (%s, %s)', (digest, when)
                )
