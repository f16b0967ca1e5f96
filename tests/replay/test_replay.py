"""Every drizzle-kit history of the corpus replayed database-first with rows (see
`tests/replay/harness.py`): one test per step, judged on what that step did. A step mizzle
does not yet follow is `xfail(strict=True)` with its cause, so it turns red once fixed.

A history runs once per test process (its steps share it): the first of its steps to run
replays it, under a lock, and leaves the step results in a file the other workers read.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS
from tests.replay.harness import replay

_APPS = CORPUS / "apps"

#: (dialect, corpus folder) of each history
HISTORIES = {
    "sqlite-homarr": ("sqlite", _APPS / "sqlite-histories" / "homarr-labs__homarr"),
    "sqlite-dyad": ("sqlite", _APPS / "sqlite-histories" / "dyad-sh__dyad"),
    "sqlite-emdash": ("sqlite", _APPS / "sqlite-histories" / "generalaction__emdash"),
    "pg-homarr": ("postgresql", _APPS / "pg-histories" / "homarr-labs__homarr"),
    "pg-dittofeed": ("postgresql", _APPS / "pg-histories" / "dittofeed__dittofeed"),
    "pg-pages-cms": ("postgresql", _APPS / "pg-histories" / "pages-cms__pages-cms"),
    # The Supabase apps' folders, on the corpus's stand-in for what Supabase provides. The
    # catalog picture holds what the brief of the replay lists (tables, columns, keys, uniques,
    # indexes, checks): RLS, policies, grants, functions and triggers are not compared.
    "supabase-onlook": ("postgresql", _APPS / "supabase" / "onlook-dev__onlook"),
    "supabase-basejump": ("postgresql", _APPS / "supabase" / "usebasejump__basejump"),
    "supabase-subscriptions": ("postgresql", _APPS / "supabase" / "vercel__nextjs-subscription-payments"),
}

#: the app's own schemas besides public that a history's pull reads (`pull --schemas`)
SCHEMAS: dict[str, tuple[str, ...]] = {"supabase-basejump": ("basejump",)}

#: (history, step file) -> why mizzle does not follow that step yet
KNOWN: dict[tuple[str, str], str] = {}


def _steps(folder: Path) -> list[str]:
    return (folder / "ORDER.txt").read_text(encoding="utf-8").split()


def _cases() -> list[Any]:
    cases = []
    for key, (dialect, folder) in HISTORIES.items():
        marks = [pytest.mark.slow]  # every history takes over 20 s (measured: see the report)
        if dialect == "postgresql":
            marks.append(pytest.mark.postgres)
        for step in _steps(folder):
            step_marks = list(marks)
            if reason := KNOWN.get((key, step)):
                step_marks.append(pytest.mark.xfail(strict=True, reason=reason))
            cases.append(pytest.param(key, step, marks=step_marks, id=f"{key}/{step.removesuffix('.sql')}"))
    return cases


@pytest.fixture(scope="session")
def replays(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Where the replays of this test run keep their results: shared by the xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def _results(folder: Path, key: str, work: Path) -> dict[str, Any]:
    path = folder / f"replay-{key}.json"
    with open(folder / f"replay-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            dialect, history = HISTORIES[key]
            result = replay(dialect, history, work, SCHEMAS.get(key, ()))
            data = {"seconds": result.seconds, "steps": {k: asdict(v) for k, v in result.steps.items()}}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded


@pytest.mark.parametrize(("history", "step"), _cases())
def test_step_follows_the_reference(
    replays: Path, tmp_path_factory: pytest.TempPathFactory, history: str, step: str
) -> None:
    results = _results(replays, history, tmp_path_factory.mktemp(f"replay-{history}"))
    found = results["steps"][step]
    assert not found["problems"], "\n".join(found["problems"] + [f"note: {n}" for n in found["notes"]])
