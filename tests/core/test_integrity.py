"""mizzle.sum: a hash chain over the migrations folder that pins edits, additions, removals,
gaps and collisions, and makes two branches that each add a migration conflict in git."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from mizzle.core import integrity
from mizzle.core.migrations import MigrationFolder

#: a well-formed hash of nothing in particular
H = "h1:" + base64.b64encode(b"x" * 32).decode()


@pytest.fixture
def folder(tmp_path: Path) -> MigrationFolder:
    f = MigrationFolder(tmp_path / "migrations")
    for name in ("0001_init", "0002_tag", "0003_note"):
        add(f, name)
    integrity.write(f)
    return f


def add(folder: MigrationFolder, name: str, sql: str = "") -> Path:
    path = folder.path / name
    path.mkdir(parents=True)
    for file_name in ("postgresql.sql", "sqlite.sql", "down.sqlite.sql"):
        (path / file_name).write_text(sql or f"-- {name} {file_name}\n")
    (path / "snapshot.json").write_text("{}\n")
    return path


def problems(folder: MigrationFolder) -> list[tuple[str, str | None]]:
    return [(p.kind, p.migration) for p in integrity.verify(folder)]


def sum_lines(folder: MigrationFolder) -> list[str]:
    return (folder.path / integrity.SUM_FILE).read_text().splitlines()


def test_the_sum_file_holds_a_header_hash_and_one_cumulative_hash_per_migration(folder: MigrationFolder) -> None:
    lines = sum_lines(folder)
    assert [line.split(" ")[0] for line in lines[1:]] == ["0001_init", "0002_tag", "0003_note"]
    assert all(line.split(" ")[1].startswith("h1:") for line in lines[1:])
    body = "".join(line + "\n" for line in lines[1:])
    assert lines[0] == "h1:" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()


def test_a_folder_that_matches_its_sum_has_no_problems(folder: MigrationFolder) -> None:
    assert integrity.verify(folder) == []
    assert integrity.compute(folder) == (folder.path / integrity.SUM_FILE).read_text()


def test_an_empty_folder_needs_no_sum(tmp_path: Path) -> None:
    assert integrity.verify(MigrationFolder(tmp_path / "migrations")) == []


def test_an_edit_changes_its_line_and_every_later_one(folder: MigrationFolder) -> None:
    before = sum_lines(folder)
    (folder.path / "0002_tag" / "sqlite.sql").write_text("-- changed\n")
    after = integrity.compute(folder).splitlines()
    assert [a == b for a, b in zip(before, after, strict=True)] == [False, True, False, False]


def test_an_edit_is_pinned_to_the_migration_edited(folder: MigrationFolder) -> None:
    (folder.path / "0002_tag" / "sqlite.sql").write_text("-- changed\n")
    [problem] = integrity.verify(folder)
    assert (problem.kind, problem.migration) == ("edited", "0002_tag")
    assert problem.message.startswith("migration 0002_tag changed after mizzle.sum was written: restore it")


@pytest.mark.parametrize(
    "change",
    [
        lambda p: (p / "notes.md").write_text("why\n"),  # a file added
        lambda p: (p / "down.sqlite.sql").unlink(),  # a file removed
        lambda p: (p / "sqlite.sql").rename(p / "down.postgresql.sql"),  # a file renamed
    ],
)
def test_adding_removing_or_renaming_a_file_is_an_edit(folder: MigrationFolder, change: object) -> None:
    change(folder.path / "0003_note")  # type: ignore[operator]
    assert problems(folder) == [("edited", "0003_note")]


def test_line_endings_alone_are_not_an_edit(folder: MigrationFolder) -> None:
    path = folder.path / "0001_init" / "sqlite.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert problems(folder) == []


def test_a_migration_added_without_rewriting_the_sum(folder: MigrationFolder) -> None:
    add(folder, "0004_extra")
    [problem] = integrity.verify(folder)
    assert (problem.kind, problem.migration) == ("added", "0004_extra")
    assert "rewrite the sum" in problem.message


def test_a_removed_migration_is_missing(folder: MigrationFolder) -> None:
    shutil.rmtree(folder.path / "0003_note")
    assert problems(folder) == [("missing", "0003_note")]


def test_a_removed_migration_in_the_middle_is_a_gap_and_missing(folder: MigrationFolder) -> None:
    shutil.rmtree(folder.path / "0002_tag")
    found = integrity.verify(folder)
    assert [(p.kind, p.migration) for p in found] == [("gap", "0003_note"), ("missing", "0002_tag")]
    assert found[0].message.startswith("migration numbers skip 0002 (before 0003_note): renumber")


def test_two_branches_each_adding_a_migration_collide(folder: MigrationFolder) -> None:
    add(folder, "0004_mine")
    integrity.write(folder)
    add(folder, "0004_theirs")
    found = integrity.verify(folder)
    assert [(p.kind, p.migration) for p in found] == [("collision", "0004_theirs"), ("added", "0004_theirs")]
    assert found[0].message.startswith("migrations 0004_mine and 0004_theirs share the number 0004")


def test_two_branches_each_adding_a_migration_conflict_in_git(folder: MigrationFolder, tmp_path: Path) -> None:
    base = tmp_path / "base.sum"
    base.write_text(integrity.compute(folder))
    add(folder, "0004_mine")
    mine = tmp_path / "mine.sum"
    mine.write_text(integrity.compute(folder))
    shutil.rmtree(folder.path / "0004_mine")
    add(folder, "0004_theirs")
    theirs = tmp_path / "theirs.sum"
    theirs.write_text(integrity.compute(folder))
    merge = subprocess.run(["git", "merge-file", str(mine), str(base), str(theirs)], capture_output=True)
    assert merge.returncode > 0  # the number of conflicts
    shutil.copy(mine, folder.path / integrity.SUM_FILE)
    add(folder, "0004_mine")
    kinds = problems(folder)
    assert ("sum-conflict", None) in kinds and ("collision", "0004_theirs") in kinds


def test_a_missing_sum_file(folder: MigrationFolder) -> None:
    (folder.path / integrity.SUM_FILE).unlink()
    assert problems(folder) == [("sum-missing", None)]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("", "sum-malformed", "is malformed (its first line must be h1:<hash>)"),
        (f"{H}\n0001_init\n", "sum-malformed", "line 2 is malformed (expected `NNNN_name h1:<hash>`)"),
        (f"{H}\n0001_init h1:abc\n", "sum-malformed", "line 2 is malformed"),
        ("h1:abc\n0001_init h1:abc\n", "sum-malformed", "is malformed (its first line must be h1:<hash>)"),
        (f"{H}\n0001_init {H}\n", "sum-edited", "was edited by hand"),
        ("<<<<<<< HEAD\n", "sum-conflict", "holds git conflict markers: two branches added migrations"),
    ],
)
def test_a_malformed_sum_file(folder: MigrationFolder, text: str, kind: str, message: str) -> None:
    (folder.path / integrity.SUM_FILE).write_text(text)
    found = [p for p in integrity.verify(folder) if p.kind.startswith("sum-")]
    assert [p.kind for p in found] == [kind]
    assert message in found[0].message


def test_a_hand_edited_line_is_reported_with_the_line_it_breaks(folder: MigrationFolder) -> None:
    lines = sum_lines(folder)
    lines[2] = f"0002_tag {H}"
    (folder.path / integrity.SUM_FILE).write_text("\n".join(lines) + "\n")
    assert problems(folder) == [("sum-edited", None), ("edited", "0002_tag"), ("edited", "0003_note")]


def test_a_stray_folder_is_reported(folder: MigrationFolder) -> None:
    (folder.path / "0004-typo").mkdir()
    [problem] = integrity.verify(folder)
    assert (problem.kind, problem.migration) == ("stray", None)
    assert "0004-typo" in problem.message


def test_every_problem_is_one_line(folder: MigrationFolder) -> None:
    shutil.rmtree(folder.path / "0002_tag")
    add(folder, "0003_other")
    (folder.path / "0001_init" / "sqlite.sql").write_text("x")
    found = integrity.verify(folder)
    assert {p.kind for p in found} == {"gap", "collision", "missing", "added", "edited"}
    assert all("\n" not in p.message for p in found)


def _break(folder: MigrationFolder, kind: str) -> None:
    """Make the folder fail its check with a problem of `kind`."""
    sum_file = folder.path / integrity.SUM_FILE
    if kind == "edited":
        (folder.path / "0002_tag" / "sqlite.sql").write_text("-- edited\n")
    elif kind == "missing":
        shutil.rmtree(folder.path / "0003_note")
    elif kind == "added":
        add(folder, "0004_more")
    elif kind == "gap":
        (folder.path / "0003_note").rename(folder.path / "0005_note")
        integrity.write(folder)
    elif kind == "collision":
        add(folder, "0003_other")
    elif kind == "sum-missing":
        sum_file.unlink()
    elif kind == "sum-edited":
        sum_file.write_text(sum_file.read_text().replace("0002_tag", "0002_tag_x"))
    elif kind == "sum-malformed":
        sum_file.write_text("nonsense\n")
    elif kind == "sum-conflict":
        sum_file.write_text("<<<<<<< HEAD\n" + sum_file.read_text() + "=======\n>>>>>>> other\n")


@pytest.mark.parametrize(
    "kind",
    ["edited", "missing", "added", "gap", "collision", "sum-missing", "sum-edited", "sum-malformed", "sum-conflict"],
)
def test_every_fix_that_rewrites_the_sum_names_mizzle_hash(folder: MigrationFolder, kind: str) -> None:
    _break(folder, kind)
    found = [p for p in integrity.verify(folder) if p.kind == kind]
    assert found, integrity.verify(folder)
    for problem in found:
        assert "run `mizzle hash`" in problem.message, problem.message
        assert "rewrite it" not in problem.message.replace("to rewrite the sum file", "")


@pytest.mark.parametrize("kind", ["collision", "sum-conflict"])
def test_after_a_merge_the_advice_is_to_generate_again_not_to_renumber(folder: MigrationFolder, kind: str) -> None:
    _break(folder, kind)
    (problem,) = [p for p in integrity.verify(folder) if p.kind == kind]
    assert "move the migrations your branch added out of the folder" in problem.message
    assert "then `mizzle generate` again" in problem.message
    assert "renumber the" not in problem.message
