from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mizzle import __version__
from tests.cli.conftest import Mizzle


def test_version(mizzle: Mizzle) -> None:
    assert mizzle("--version") == (0, f"mizzle {__version__}\n", "")


def test_help_lists_every_command(mizzle: Mizzle) -> None:
    result = mizzle("--help")
    assert (result.code, "export" in result.out, "pull" in result.out) == (0, True, True)


def test_no_arguments_shows_the_help(mizzle: Mizzle) -> None:
    result = mizzle()
    assert (result.code, "Usage" in result.out) == (0, True)


def help_text(*command: str) -> str:
    """`mizzle COMMAND --help` as a terminal wide enough for one line per option shows it."""
    script = Path(sys.executable).parent / "mizzle"
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    done = subprocess.run([script, *command, "--help"], capture_output=True, text=True, check=True, env=env)
    return done.stdout


def test_help_shows_square_brackets_as_written() -> None:
    assert "pyproject.toml with [tool.mizzle] [default: searched upward]." in help_text()
    assert "Database URL to read [default: the config's database URL]." in help_text("pull")
    assert "[default: node_modules/pyodide beside the config or here, if present]" in help_text("bundle")


@pytest.mark.parametrize("command", [[], ["generate"], ["push"], ["migrate"], ["bundle"]])
def test_help_labels_no_flag_as_taking_a_value(command: list[str]) -> None:
    text = help_text(*command)
    assert "--help" in text
    assert "<bool>" not in text


def test_help_still_labels_options_that_take_a_value() -> None:
    text = help_text("generate")
    assert "--name" in text
    assert "<str>" in text


def test_console_script_is_installed_and_runs() -> None:
    script = Path(sys.executable).parent / "mizzle"
    done = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, f"mizzle {__version__}\n")


def test_console_script_reports_an_error_with_exit_1_and_no_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "mizzle"
    done = subprocess.run(
        [script, "pull", "--db", "mysql://u:pw@h/db", "--out", tmp_path / "x.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr.count("\n"), done.stderr.startswith("error: "), ":pw@" in done.stderr) == (
        1,
        1,
        True,
        False,
    )


def test_starting_the_cli_loads_neither_sqlglot_nor_the_model() -> None:
    # Every command pays the start-up: the heavy modules load only where a command uses them.
    import subprocess
    import sys

    code = (
        "import sys, mizzle.cli.app; "
        "print(sorted(m for m in ('sqlglot', 'mizzle.core.model', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _modules_loaded_by(code: str, cwd: Path) -> list[str]:
    """Which of the modules a command should not need the Python `code` left loaded."""
    watched = ("pydantic", "psycopg", "sqlglot", "typer", "mizzle.core.model", "mizzle.cli.bundle", "mizzle.cli.adopt")
    code += f"\nprint(sorted(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return out.stdout.splitlines()


def test_version_is_answered_without_building_the_command_line(tmp_path: Path) -> None:
    # The console script's entry point: `mizzle --version` costs little more than Python starting.
    code = "import contextlib, sys, mizzle.cli; sys.argv = ['mizzle', '--version']\n"
    code += "with contextlib.suppress(SystemExit): mizzle.cli.run()"
    assert _modules_loaded_by(code, tmp_path) == [f"mizzle {__version__}", "[]"]


def test_a_sqlite_migrate_loads_no_model_no_driver_and_no_other_command(tmp_path: Path) -> None:
    # Options are converted without pydantic, the other commands' modules stay unloaded, and
    # psycopg is PostgreSQL's alone.
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    (tmp_path / "migrations").mkdir()
    db = tmp_path / "app.db"
    code = f"import sys; from mizzle.cli.app import main; main(['migrate', '--db', 'sqlite:///{db}', '--to', 'x'])"
    lines = _modules_loaded_by(code, tmp_path)
    assert lines[-1] == "['typer']", lines


def test_a_sqlite_migrate_with_nothing_to_do_loads_no_rich(tmp_path: Path) -> None:
    # Its lines are plain text, and help texts are escaped without rich: rich (30-40 ms) is
    # for styled messages (errors, warnings), prompts and help shown.
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    (tmp_path / "migrations").mkdir()
    db = tmp_path / "app.db"
    code = f"import sys; from mizzle.cli.app import main; main(['migrate', '--db', 'sqlite:///{db}'])"
    code += "\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'dotenv', 'pydantic')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.splitlines() == [f"nothing to apply: sqlite:///{db} is up to date (0 migrations)", "[]"]


def test_a_choice_option_is_converted_without_pydantic(tmp_path: Path) -> None:
    # `pull --style` (an Enum) was the one option still converted by a pydantic TypeAdapter
    # built for it (typer's `_adapters`, with pydantic's plugin loader): 0.05 s of each pull.
    db = tmp_path / "app.db"
    code = (
        "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('CREATE TABLE t (id INTEGER PRIMARY KEY)')\n"
        "from mizzle.cli.app import main\n"
        "print(main(['pull', '--db', 'sqlite:///' + sys.argv[1], '--out', 'schema.py', '--style', 'sqlalchemy']))\n"
        "print('typer._adapters' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, db], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.splitlines()[-2:] == ["0", "False"], done.stdout + done.stderr
    assert "--style sqlalchemy" in (tmp_path / "schema.py").read_text().splitlines()[0]


def test_a_bad_choice_is_a_usage_error_naming_the_option(mizzle: Mizzle, tmp_path: Path) -> None:
    result = mizzle("pull", "--db", f"sqlite:///{tmp_path / 'app.db'}", "--out", tmp_path / "s.py", "--style", "ts")
    assert (result.code, result.error_line) == (
        2,
        "error: Invalid value for '--style': 'ts' is not one of 'dsl', 'sqlalchemy'. (see 'mizzle pull --help')",
    )


def test_pull_push_and_check_with_nothing_to_report_load_no_rich(tmp_path: Path) -> None:
    # Their lines are plain text (rich's console, markup and prompts load only for a styled
    # warning, a question or help): 30 ms of CPU of each of these commands.
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    db = tmp_path / "app.db"
    code = (
        "import sqlite3, sys\n"
        f"sqlite3.connect({str(db)!r}).execute('CREATE TABLE tune (id INTEGER NOT NULL PRIMARY KEY, title TEXT)')\n"
        "from mizzle.cli.app import main\n"
        f"url = 'sqlite:///{db}'\n"
        "codes = [main(['pull', '--db', url, '--out', 'schema.py']), main(['push', '--db', url])]\n"
        "codes += [main(['generate', '--name', 'init']), main(['check', '--no-db'])]\n"
        "print(codes, sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.splitlines() == [
        f"wrote schema.py: 1 table from sqlite:///{db}",
        f"nothing to push: sqlite:///{db} matches the schema",
        "wrote migrations/0001_init: 1 operation for sqlite",
        "migrations: 1 migration",
        "ok",
        "[0, 0, 0, 0] []",
    ], out.stdout + out.stderr
