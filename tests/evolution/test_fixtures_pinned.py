"""The SQL `mizzle generate` writes for every evolution scenario, pinned byte for byte.

Each scenario of `scenarios.py` (the synced variants included) has a folder
`fixtures/<scenario>/` (`fixtures/<scenario>.synced/` for a synced variant) holding

- `a.py`, `b.py`: the two schemas, exactly as the scenario gives them;
- `renames.txt`: the scenario's `--rename` values, one a line (only when it has some);
- `postgresql.sql`, `sqlite.sql`, `down.postgresql.sql`, `down.sqlite.sql`: the migration
  `mizzle generate --name b` writes for A → B (`0002_b`, after `0001_a` built A).

This test runs the real CLI in-process (no database: `generate` only reads the schema files
and the previous snapshot) and compares every file with its fixture, so a change that alters
what mizzle writes (a refactor that should not, above all) fails here with a diff per file.
That the pinned files do what they should is the evolution suite's job (`test_evolution.py`
migrates real PostgreSQL and SQLite databases with the very files generated here, checks the
result against a database built fresh from B, rolls back and migrates again); this test
adds that they do not change unnoticed.

When a change of the output is deliberate, re-pin and review the diff:

    MIZZLE_REPIN=1 .venv/bin/pytest -q -p no:cacheprovider tests/evolution/test_fixtures_pinned.py
    git diff --stat tests/evolution/fixtures

which rewrites the files that differ, writes the missing ones and deletes the folders and
files no scenario has any more.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from mizzle.cli.app import main
from tests.evolution.scenarios import SCENARIOS, SYNCED_SCENARIOS, Scenario

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPIN = os.environ.get("MIZZLE_REPIN") == "1"
REPIN_COMMAND = "MIZZLE_REPIN=1 pytest tests/evolution/test_fixtures_pinned.py"
DIALECTS = ("postgresql", "sqlite")
MIGRATION_FILES = tuple(f for d in DIALECTS for f in (f"{d}.sql", f"down.{d}.sql"))
ALL_SCENARIOS = SCENARIOS + SYNCED_SCENARIOS
#: files in the fixtures folder that are not scenario folders
OWN_FILES = {".gitattributes"}


def folder_of(scenario: Scenario) -> str:
    # `add_table[synced]` → `add_table.synced`: brackets are glob characters in shells
    return scenario.name.replace("[synced]", ".synced")


def generated(scenario: Scenario, root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The fixture folder's files as they should be: the schemas, the renames, and what
    `mizzle generate` writes for A → B in a fresh project (the same commands the evolution
    suite runs)."""
    config = root / "mizzle.toml"
    config.write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["postgresql", "sqlite"]\n')
    renames = [arg for r in scenario.renames for arg in ("--rename", r)]
    for name, flags in (("a", []), ("b", renames)):
        (root / "schema.py").write_text(scenario.source(name), encoding="utf-8")
        capsys.readouterr()
        code = main(["--config", str(config), "generate", "--name", name, *flags])
        out = capsys.readouterr()
        assert code == 0, out.out + out.err
    files = {"a.py": scenario.source("a"), "b.py": scenario.source("b")}
    if scenario.renames:
        files["renames.txt"] = "".join(f"{r}\n" for r in scenario.renames)
    migration = root / "migrations" / "0002_b"
    for name in MIGRATION_FILES:
        files[name] = (migration / name).read_text(encoding="utf-8")
    return files


def _diff(expected: str, found: str, path: Path) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        found.splitlines(keepends=True),
        fromfile=f"{path} (pinned)",
        tofile=f"{path} (generated now)",
    )
    return "".join(lines)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=[s.name for s in ALL_SCENARIOS])
def test_generate_writes_the_pinned_sql(scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = generated(scenario, tmp_path, capsys)
    folder = FIXTURES / folder_of(scenario)
    present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    if REPIN:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = folder / name
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation anywhere
        for name in present - set(files):
            (folder / name).unlink()
        return
    problems = []
    for name, text in files.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{path.relative_to(FIXTURES.parent)} is missing\n")
            continue
        pinned = path.read_bytes()
        if pinned != text.encode("utf-8"):
            problems.append(_diff(pinned.decode("utf-8", "replace"), text, path.relative_to(FIXTURES.parent)))
    for name in sorted(present - set(files)):
        problems.append(f"{(folder / name).relative_to(FIXTURES.parent)}: no scenario writes this file\n")
    if problems:
        pytest.fail(
            "".join(problems) + f"\nif the change is deliberate, re-pin with `{REPIN_COMMAND}` and review the diff",
            pytrace=False,
        )


def test_every_fixture_folder_belongs_to_a_scenario() -> None:
    wanted = {folder_of(s) for s in ALL_SCENARIOS}
    assert len(wanted) == len(ALL_SCENARIOS), "two scenarios share a fixture folder"
    stale = sorted(p.name for p in FIXTURES.iterdir() if p.name not in wanted | OWN_FILES) if FIXTURES.is_dir() else []
    if REPIN:
        for name in stale:
            shutil.rmtree(FIXTURES / name)
        return
    assert not stale, f"fixture folders of no scenario (re-pin with `{REPIN_COMMAND}` to delete them): {stale}"
