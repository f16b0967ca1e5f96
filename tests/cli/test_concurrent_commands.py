"""Ten `mizzle` processes mixing migrate, rollback and push on one database, 20 rounds per
database: after every round the tracking table names a prefix of the migration list and the
schema is exactly the snapshot of the last migration it names; every process that did not
succeed says why in one `error:` line, and only for a reason that is not a race.

The migrations replace a column in four steps (c1 → c2 → c3 → c4, each a drop and an add,
each of a type none of the others could be a rename of), so that on any database behind the
last one, push (the schema is c4) would drop a column and refuses without --force; on the
last one, it has nothing to do. (A push that
writes changes the schema behind the tracking table's back by design: that would break the
invariant whatever the locking. A push planned before another command changed the database
is pinned in tests/core/test_write_lock.py.) 0001 has no down file, so the database never
goes back to empty, where a push would create the table.

Marked `slow` (`-m 'not slow'` skips it locally); CI runs it."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from mizzle.app.database import opened
from mizzle.app.push import compare, drift
from mizzle.core.migrations import MigrationFolder
from mizzle.dialects.urls import parse_url
from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, empty_database, make_project

pytestmark = pytest.mark.slow

PROCESSES = 10
ROUNDS = 20
MIZZLE = Path(sys.executable).parent / "mizzle"
NAMES = ["0001_init", "0002_c2", "0003_c3", "0004_c4"]
#: the commands a round draws from: four migrating, four rolling back, two pushing
COMMANDS = [
    *[["migrate"], ["migrate", "--to", "0003_c3"]] * 2,
    # --force: the guard against losing values is not what races here (tests/cli/test_migrate.py)
    *[["rollback", "--force"], ["rollback", "--steps", "2", "--force"]] * 2,
    ["push"],
    ["push"],
]
#: why a process may lose, whatever the others do: none of these is a race
LOSING = (
    "error: push would lose data: drop column item.",
    # planned under the lock, confirmed outside it: another command may come in between
    "error: push refused: the database changed after it was compared with the schema",
    # a rollback that undoes nothing: see ROLLBACK_REFUSALS
    "error: cannot roll back ",
)
#: why a rollback may refuse: 0001_init has no down file; more steps than are applied; planned
#: before another command applied or undid migrations (it then undoes nothing)
ROLLBACK_REFUSALS = ("0001_init: it has no down.", "applied to this database", "the database changed meanwhile")

SCHEMA = """
from mizzle.dsl import Table, boolean, date, integer, serial, text

class Item(Table):
    id = serial().primary_key()
    c1 = text()
"""


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    project = make_project(tmp_path / "app", mizzle)
    project.write_schema(SCHEMA)
    assert project("generate", "--name", "init").code == 0
    steps = [("c1 = text()", "c2 = boolean()"), ("c2 = boolean()", "c3 = date()"), ("c3 = date()", "c4 = integer()")]
    for old, new in steps:
        project.edit_schema(old, new)
        assert project("generate", "--name", new[:2]).code == 0
    for down in (project.migrations / "0001_init").glob("down.*.sql"):
        down.unlink()
    assert project("hash").code == 0
    assert project.folders() == NAMES
    return project


def differences(url: str, name: str, folder: Path) -> list[str]:
    """How the database differs from the snapshot of migration `name` (empty: it matches)."""
    snapshot = next(m for m in MigrationFolder(folder).migrations() if m.name == name).snapshot()
    with opened(parse_url(url)) as database:
        comparison = compare(database.db, database.conn, snapshot)
        return [op.describe() for op in drift(database.db, database.conn, comparison)]


def test_ten_processes_mixing_migrate_rollback_and_push_keep_tracking_and_schema_in_step(
    project: Project, db_url: str
) -> None:
    assert project("migrate", "--db", db_url, "--to", "0002_c2").code == 0
    config = project.root / "mizzle.toml"
    rng = random.Random(9)
    for round_ in range(ROUNDS):
        commands = rng.sample(COMMANDS, PROCESSES)
        runs = [
            subprocess.Popen(
                [MIZZLE, "--config", config, *command, "--db", db_url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        for command, (out, err), run in zip(commands, outputs, runs, strict=True):
            code = run.returncode
            what = f"round {round_}: {' '.join(command)} exited {code}\n{out}{err}"
            assert code in (0, 1) and "Traceback" not in err, what
            if code == 1:
                lines = err.splitlines()
                assert len(lines) == 1 and lines[0].startswith(LOSING), what
                if lines[0].startswith("error: cannot roll back "):
                    assert any(reason in lines[0] for reason in ROLLBACK_REFUSALS), what
        tracked = applied(db_url)
        assert tracked and tracked == NAMES[: len(tracked)], f"round {round_}: tracking holds {tracked}"
        assert differences(db_url, tracked[-1], project.migrations) == [], f"round {round_}: at {tracked[-1]}"
