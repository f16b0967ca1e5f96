"""`mizzle sync serve` refuses what it cannot serve in one line (the serving itself is
tests/sync/server/test_deployment.py, with two processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle

URL = "postgresql://app:hunter2@127.0.0.1:1/app"


def test_bad_rules_a_sqlite_database_and_no_secret_are_one_line_each(
    mizzle: Mizzle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "sync.toml"
    rules.write_text('[tables.note]\nowner = "user_id"\nvia = "x"\n')
    monkeypatch.setenv("MIZZLE_SYNC_JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more")
    got = mizzle("sync", "serve", "--db", URL, "--rules", rules)
    assert (got.code, got.error_line) == (
        1,
        'error: sync rule of "note": give exactly one of owner, via or shared = true',
    )
    got = mizzle("sync", "serve", "--db", f"sqlite:///{tmp_path}/d.db", "--rules", rules)
    assert got.code == 1
    assert got.error_line.startswith("error: the sync server serves a PostgreSQL database, not sqlite")
    rules.write_text("tables = 3\n[other]\n")
    got = mizzle("sync", "serve", "--db", URL, "--rules", rules)
    assert (got.code, got.error_line) == (
        1,
        f"error: the sync rules {rules}: expected only a [tables.<name>] table per synced table",
    )
    monkeypatch.delenv("MIZZLE_SYNC_JWT_SECRET")
    got = mizzle("sync", "serve", "--db", URL, "--rules", rules)
    assert (got.code, got.error_line) == (
        1,
        "error: no JWT secret: set MIZZLE_SYNC_JWT_SECRET (or pass --jwks for RS256 keys)",
    )
    assert "hunter2" not in got.err
