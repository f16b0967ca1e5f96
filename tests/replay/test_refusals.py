"""The replay's cross-check of a follower's refusal (`harness.Replay._judge_refusal`): where
mizzle's migration refuses the follower's state, the app's own SQL for the step runs on a copy
of the follower; a refusal the app's SQL shares is fair, one it does not share fails the step.
A two-step drizzle-style SQLite history, on real databases."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.replay.harness import Replay

INIT = "CREATE TABLE `setting` (`key` text PRIMARY KEY, `value` text);\n"
#: drizzle-kit's rebuild making the key NOT NULL
KEY_NOT_NULL = """CREATE TABLE `__new_setting` (`key` text PRIMARY KEY NOT NULL, `value` text);
--> statement-breakpoint
INSERT INTO `__new_setting`("key", "value") SELECT "key", "value" FROM `setting`;
--> statement-breakpoint
DROP TABLE `setting`;
--> statement-breakpoint
ALTER TABLE `__new_setting` RENAME TO `setting`;
"""


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Replay]:
    history = tmp_path / "history"
    history.mkdir()
    (history / "0000_init.sql").write_text(INIT)
    (history / "0001_key_not_null.sql").write_text(KEY_NOT_NULL)
    (history / "ORDER.txt").write_text("0000_init.sql\n0001_key_not_null.sql\n")
    work = tmp_path / "work"
    work.mkdir()
    with ExitStack() as stack:
        replay = Replay("sqlite", history, work, stack)
        first = replay.step(history / "0000_init.sql")
        assert first.ok, first.problems
        yield replay


def _on_follower(run: Replay, statement: str) -> None:
    conn = sqlite3.connect(run.follower.path)  # type: ignore[attr-defined]
    conn.execute(statement)
    conn.commit()
    conn.close()


def test_a_refusal_the_apps_own_sql_shares_is_fair(run: Replay) -> None:
    # the follower alone holds a NULL key (SQLite lets it: the key is not declared NOT NULL)
    _on_follower(run, "INSERT INTO setting (key, value) VALUES (NULL, 'orphan')")
    got = run.step(run.history / "0001_key_not_null.sql")
    assert got.ok, got.problems
    refused = [n for n in got.notes if n.startswith("migrate refused the follower's rows")]
    assert len(refused) == 1
    assert "cannot make primary-key column setting.key NOT NULL: 1 rows hold NULL there" in refused[0]
    assert "the app's own SQL fails on them too (NOT NULL constraint failed: __new_setting.key)" in refused[0]
    assert any(n.startswith("follower set up again from the reference") for n in got.notes)


def test_a_refusal_the_apps_own_sql_does_not_share_fails_the_step(run: Replay) -> None:
    # a trigger the schema does not hold: mizzle will not rebuild the table over it, while the
    # app's own rebuild simply drops it with the table
    _on_follower(run, "CREATE TRIGGER stray AFTER INSERT ON setting BEGIN SELECT 1; END")
    got = run.step(run.history / "0001_key_not_null.sql")
    assert len(got.problems) == 1
    assert "it has 1 triggers the schema does not hold" in got.problems[0]
    assert got.problems[0].endswith(
        "but the app's own SQL for the step runs on a copy of the follower: the refusal is mizzle's alone"
    )
