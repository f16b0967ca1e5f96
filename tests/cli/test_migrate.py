"""`mizzle migrate`, `rollback` and `status` on real databases, from a project's generated migrations."""

from __future__ import annotations

import re
import select
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, empty_database, make_project, on_terminal, sql, tables


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    return make_project(tmp_path / "app", mizzle)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


@pytest.fixture
def two_migrations(project: Project) -> Project:
    """0001_init (two tables), 0002_add_key (a column)."""
    assert project("generate", "--name", "init").code == 0
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert project("generate", "--name", "add_key").code == 0
    return project


def masked(text: str) -> str:
    """Output with times and durations replaced by placeholders."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<when>", text)
    return re.sub(r"\(\d+ ms\)|\b\d+ ms\b", "<ms>", text)


def test_migrate_applies_each_pending_migration_and_prints_it(two_migrations: Project, db_url: str) -> None:
    result = two_migrations("migrate", "--db", db_url)
    assert (result.code, masked(result.out)) == (0, "applied 0001_init <ms>\napplied 0002_add_key <ms>\n")
    assert tables(db_url) == ["__mizzle_migrations", "playlist", "tune"]
    assert applied(db_url) == ["0001_init", "0002_add_key"]
    sql(db_url, "INSERT INTO tune (title, key) VALUES ('a', 'k')")


def test_migrate_again_has_nothing_to_do(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    result = two_migrations("migrate", "--db", db_url)
    assert (result.code, result.out.startswith("nothing to apply: "), "is up to date (2 migrations)" in result.out) == (
        0,
        True,
        True,
    )


def test_status_lists_applied_with_dates_and_pending(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url, "--to", "0001_init")
    result = two_migrations("status", "--db", db_url)
    assert result.code == 0, result.err
    lines = masked(result.out).splitlines()
    assert lines[0].endswith(": 1 applied, 1 pending")
    assert lines[1:] == ["  applied  0001_init     <when>  <ms>", "  pending  0002_add_key"]


def test_status_of_an_untouched_database_lists_everything_pending(two_migrations: Project, pg_url: str) -> None:
    result = two_migrations("status", "--db", pg_url)
    assert (result.code, result.out.splitlines()[1:]) == (0, ["  pending  0001_init", "  pending  0002_add_key"])


def test_dry_run_prints_the_sql_and_changes_nothing(two_migrations: Project, db_url: str) -> None:
    result = two_migrations("migrate", "--db", db_url, "--dry-run")
    assert result.code == 0, result.err
    assert result.out.startswith("-- 0001_init\nBEGIN;\nCREATE TABLE playlist")
    assert "-- 0002_add_key\nBEGIN;\nALTER TABLE tune ADD COLUMN key" in result.out
    if db_url.startswith("sqlite"):
        assert not Path(db_url.removeprefix("sqlite:///")).exists()
    else:
        assert tables(db_url) == []


def test_an_edited_migration_is_refused_before_anything_runs(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url, "--to", "0001_init")
    with (two_migrations.migrations / "0002_add_key" / "postgresql.sql").open("a") as f:
        f.write("\n-- a hand edit\n")
    result = two_migrations("migrate", "--db", db_url)
    assert result.code == 1
    assert result.error_line.startswith(
        f"error: cannot migrate: {two_migrations.migrations} fails its integrity check: migration 0002_add_key changed"
    )
    assert applied(db_url) == ["0001_init"]


def test_an_edit_after_applying_is_a_problem_status_reports_with_exit_1(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    init = two_migrations.migrations / "0001_init"
    dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    (init / f"{dialect}.sql").write_text((init / f"{dialect}.sql").read_text() + "\n-- edited\n")
    result = two_migrations("status", "--db", db_url)
    assert result.code == 1
    problems = [line for line in result.out.splitlines() if line.startswith("  problem  ")]
    assert [p.split(":")[0] for p in problems] == [
        "  problem  migration 0001_init changed after mizzle.sum was written",
        "  problem  migration 0001_init was edited after it was applied to this database (its "
        f"{dialect} file's checksum differs)",
    ]
    assert result.error_line == "error: 2 problems (listed above)"


def test_rollback_undoes_the_last_migration(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    result = two_migrations("rollback", "--db", db_url)
    assert (result.code, masked(result.out)) == (0, "rolled back 0002_add_key <ms>\n")
    assert applied(db_url) == ["0001_init"]
    assert two_migrations("migrate", "--db", db_url).code == 0
    assert applied(db_url) == ["0001_init", "0002_add_key"]


@pytest.mark.parametrize("args", [["--steps", "2"], ["--to", "0001_init"]], ids=["steps", "to"])
def test_rollback_steps_and_to(two_migrations: Project, db_url: str, args: list[str]) -> None:
    two_migrations("migrate", "--db", db_url)
    result = two_migrations("rollback", "--db", db_url, *args)
    assert result.code == 0, result.err
    expected = ["0001_init"] if args[0] == "--to" else []
    assert applied(db_url) == expected


def test_rollback_all_the_way_leaves_only_the_tracking_table(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    assert two_migrations("rollback", "--db", db_url, "--steps", "2").code == 0
    assert tables(db_url) == ["__mizzle_migrations"]


def test_rollback_dry_run_prints_the_down_sql(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    result = two_migrations("rollback", "--db", db_url, "--dry-run")
    assert result.code == 0, result.err
    assert result.out.startswith("-- 0002_add_key\n") and "DROP COLUMN key" in result.out
    assert applied(db_url) == ["0001_init", "0002_add_key"]


def test_rollback_with_nothing_applied_says_so(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url, "--dry-run")
    assert two_migrations("migrate", "--db", db_url, "--to", "0001_init").code == 0
    assert two_migrations("rollback", "--db", db_url).code == 0
    result = two_migrations("rollback", "--db", db_url)
    assert (result.code, result.out.startswith("nothing to roll back on ")) == (0, True)


def test_rollback_steps_and_to_together_is_a_usage_error(two_migrations: Project, pg_url: str) -> None:
    result = two_migrations("rollback", "--db", pg_url, "--steps", "1", "--to", "0001_init")
    assert result.code == 2
    assert "give --steps or --to, not both" in result.error_line


def test_migrate_to_an_unknown_migration_is_an_error(two_migrations: Project, db_url: str) -> None:
    result = two_migrations("migrate", "--db", db_url, "--to", "0009_nope")
    assert (result.code, result.error_line) == (1, "error: no migration named 0009_nope in the migrations folder")


def test_a_failing_migration_changes_nothing_and_says_why(project: Project, db_url: str) -> None:
    assert project("generate", "--name", "init").code == 0
    assert project("migrate", "--db", db_url).code == 0
    sql(db_url, "INSERT INTO tune (title) VALUES ('a')")
    project.edit_schema("    notes = text()\n", "    notes = text().not_null()\n")
    assert project("generate", "--name", "require_notes").code == 0
    result = project("migrate", "--db", db_url)
    assert result.code == 1
    assert result.error_line.startswith("error: migration 0002_require_notes failed, nothing of it was applied: ")
    assert "tune.notes" in result.error_line and "1 row" in result.error_line
    assert applied(db_url) == ["0001_init"]


def test_status_of_a_sqlite_file_that_does_not_exist_is_an_error(two_migrations: Project, tmp_path: Path) -> None:
    result = two_migrations("status", "--db", f"sqlite:///{tmp_path / 'typo.db'}")
    assert (result.code, result.error_line) == (1, f"error: no SQLite database at {tmp_path / 'typo.db'}")


def test_the_database_url_comes_from_the_config(
    tmp_path: Path, mizzle: Mizzle, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "app", mizzle)
    with (project.root / "mizzle.toml").open("a") as f:
        f.write('[db]\nurl = "sqlite:///${APP_DB}"\n')
    monkeypatch.setenv("APP_DB", "data.db")
    assert project("generate", "--name", "init").code == 0
    assert project("migrate").code == 0
    assert applied(f"sqlite:///{project.root / 'data.db'}") == ["0001_init"]


def test_migrate_prints_the_migrations_that_committed_before_one_that_failed(project: Project, db_url: str) -> None:
    """Before, nothing was printed when a run failed, though the migrations before it stay applied."""
    assert project("generate", "--name", "init").code == 0
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert project("generate", "--name", "add_key").code == 0
    assert project("generate", "--name", "broken", "--custom").code == 0
    for dialect in ("postgresql", "sqlite"):
        with (project.migrations / "0003_broken" / f"{dialect}.sql").open("a") as f:
            f.write("ALTER TABLE nowhere ADD COLUMN x text;\n")
    assert project("hash").code == 0
    result = project("migrate", "--db", db_url)
    assert (result.code, masked(result.out)) == (1, "applied 0001_init <ms>\napplied 0002_add_key <ms>\n")
    assert result.error_line.startswith("error: migration 0003_broken failed, nothing of it was applied: ")
    assert applied(db_url) == ["0001_init", "0002_add_key"]


def test_migrate_prints_each_migration_while_the_next_one_runs(project: Project, pg_url: str) -> None:
    """The `mizzle` process itself: 0001's line arrives while 0002 waits for a lock the test holds."""
    assert project("generate", "--name", "init").code == 0
    assert project("generate", "--name", "wait", "--custom").code == 0
    (project.migrations / "0002_wait" / "postgresql.sql").open("a").write("SELECT pg_advisory_xact_lock(4242);\n")
    assert project("hash").code == 0
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(4242)")
        script = Path(sys.executable).parent / "mizzle"
        run = subprocess.Popen(
            [script, "--config", project.root / "mizzle.toml", "migrate", "--db", pg_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert run.stdout is not None
        # before, nothing came until the end, which the test's lock holds off: wait 30 s at most
        assert select.select([run.stdout], [], [], 30)[0], "no line printed while 0002 runs"
        first = run.stdout.readline()
        assert masked(first) == "applied 0001_init <ms>\n"
        assert run.poll() is None  # still running: 0002 waits for the test's lock
        holder.execute("SELECT pg_advisory_unlock(4242)")
        rest, err = run.communicate(timeout=60)
    assert (run.returncode, masked(rest), err) == (0, "applied 0002_wait <ms>\n", "")


# --- rollback guards ------------------------------------------------------------------------


def test_rollback_that_loses_values_is_refused_without_force_off_a_terminal(
    two_migrations: Project, db_url: str
) -> None:
    two_migrations("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO tune (title, key) VALUES ('a', 'D'), ('b', NULL)")
    result = two_migrations("rollback", "--db", db_url)
    assert (result.code, result.error_line) == (
        1,
        "error: rollback would lose data: 0002_add_key: drop column tune.key (1 non-null value). "
        "Pass --force to roll back anyway (--dry-run shows the SQL)",
    )
    assert applied(db_url) == ["0001_init", "0002_add_key"]
    forced = two_migrations("rollback", "--db", db_url, "--force")
    assert (forced.code, masked(forced.out)) == (0, "rolled back 0002_add_key <ms>\n")
    assert forced.err == "warning: lost: 0002_add_key: drop column tune.key (1 non-null value)\n"
    assert applied(db_url) == ["0001_init"]


def test_rolling_back_the_first_migration_counts_the_rows_its_tables_lose(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO tune (title) VALUES ('a'), ('b')")
    result = two_migrations("rollback", "--db", db_url, "--to", "0001_init")  # loses no value: key is empty
    assert result.code == 0, result.err
    result = two_migrations("rollback", "--db", db_url)
    assert result.code == 1
    assert "0001_init: drop table tune (2 rows)" in result.error_line
    assert "0001_init: drop table playlist" not in result.error_line  # 0 rows: nothing lost, not asked
    assert applied(db_url) == ["0001_init"]


def test_rollback_dry_run_names_what_it_would_lose(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO tune (title, key) VALUES ('a', 'D')")
    result = two_migrations("rollback", "--db", db_url, "--dry-run")
    assert (result.code, result.out.startswith("-- 0002_add_key\n")) == (0, True)
    assert result.err == "warning: would lose: 0002_add_key: drop column tune.key (1 non-null value)\n"


@pytest.mark.parametrize("answer", ["y\n", "n\n"], ids=["yes", "no"])
def test_rollback_that_loses_rows_asks_on_a_terminal(two_migrations: Project, pg_url: str, answer: str) -> None:
    two_migrations("migrate", "--db", pg_url)
    sql(pg_url, "INSERT INTO tune (title, key) VALUES ('a', 'D')")
    args: list[str | Path] = ["--config", two_migrations.root / "mizzle.toml", "rollback", "--db", pg_url]
    code, out, screen = on_terminal(args, answer)
    assert "warning: this rollback loses data: 0002_add_key: drop column tune.key (1 non-null value)" in screen
    assert "roll back anyway? [y/n] (n):" in screen
    yes = answer == "y\n"
    assert (code, out.startswith("rolled back 0002_add_key")) == ((0, True) if yes else (1, False)), screen
    assert applied(pg_url) == (["0001_init"] if yes else ["0001_init", "0002_add_key"])


@pytest.mark.parametrize("steps", ["3", "10"])
def test_rollback_refuses_more_steps_than_are_applied(two_migrations: Project, db_url: str, steps: str) -> None:
    two_migrations("migrate", "--db", db_url)
    result = two_migrations("rollback", "--db", db_url, "--steps", steps, "--force")
    assert (result.code, result.error_line) == (
        1,
        f"error: cannot roll back {steps} steps: only 2 migrations are applied to this database "
        "(--steps 2 undoes them all)",
    )
    assert applied(db_url) == ["0001_init", "0002_add_key"]


def test_rollback_refuses_a_down_file_edited_and_rehashed_after_apply(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    down = two_migrations.migrations / "0002_add_key" / f"down.{dialect}.sql"
    down.write_text(down.read_text() + "\n--> statement-breakpoint\nDROP TABLE playlist;\n")
    assert two_migrations("hash").code == 0  # mizzle.sum agrees with the edit now
    result = two_migrations("rollback", "--db", db_url, "--force")
    assert result.code == 1
    assert result.error_line.startswith(
        f"error: cannot roll back 0002_add_key: its down.{dialect}.sql was edited after the migration was applied"
    )
    assert applied(db_url) == ["0001_init", "0002_add_key"]
    assert "playlist" in tables(db_url)


def test_a_loss_that_cannot_be_counted_always_needs_force(two_migrations: Project, db_url: str) -> None:
    two_migrations("migrate", "--db", db_url)
    (two_migrations.migrations / "0002_add_key" / "snapshot.json").unlink()  # nothing to count it by
    assert two_migrations("hash").code == 0
    result = two_migrations("rollback", "--db", db_url)  # tune is empty, but that is not known here
    assert (result.code, result.error_line) == (
        1,
        "error: rollback would lose data: 0002_add_key: drop column tune.key (its values are lost). "
        "Pass --force to roll back anyway (--dry-run shows the SQL)",
    )
    assert applied(db_url) == ["0001_init", "0002_add_key"]


def test_rolling_back_sync_support_counts_the_tombstones_it_drops(project: Project, db_url: str) -> None:
    """The tombstone log is counted like rows: empty, it needs no yes; holding a delete not yet
    pulled, the rollback is refused without --force, naming how many."""
    assert project("generate", "--name", "init").code == 0
    project.edit_schema("class Tune(Table):\n", "class Tune(Table):\n    __sync__ = True\n")
    assert project("generate", "--name", "sync").code == 0
    assert project("migrate", "--db", db_url).code == 0
    assert project("rollback", "--db", db_url).code == 0  # nothing to lose: no yes needed
    assert project("migrate", "--db", db_url).code == 0
    sql(db_url, "INSERT INTO tune (title) VALUES ('a')")
    sql(db_url, "DELETE FROM tune")
    result = project("rollback", "--db", db_url)
    assert result.code == 1
    assert "0002_sync: drop the sync support objects (the tombstone log) (1 tombstone)" in result.error_line
    assert applied(db_url) == ["0001_init", "0002_sync"]
    assert project("rollback", "--db", db_url, "--force").code == 0
    assert applied(db_url) == ["0001_init"]
