"""Running the CLI and SQLAlchemy's own `create_all()` in subprocesses: SQLModel's MetaData is
one per process, so models are imported once per process, as a real app does."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

MODELS = Path(__file__).parent / "models"
PYTHON = sys.executable
MIZZLE = str(Path(sys.executable).parent / "mizzle")


def run_mizzle(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)


def run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300, cwd=cwd)


def create_all(module: str, attr: str, url: str) -> None:
    """`<module>.<attr>.create_all()` on the database at `url`, as the app would run it."""
    done = run_python(
        f"""
        import sys
        sys.path.insert(0, {str(MODELS)!r})
        from sqlalchemy import create_engine
        import {module} as models
        engine = create_engine({url.replace("postgresql://", "postgresql+psycopg://", 1)!r})
        models.{attr}.create_all(engine)
        engine.dispose()
        """
    )
    assert done.returncode == 0, done.stderr


def export(spec: str | Path, dialect: str, cwd: Path | None = None) -> str:
    done = run_mizzle("export", "--dialect", dialect, "--schema", spec, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def psql_text(url: str, sql: str, tmp_path: Path) -> None:
    """Run a script on `url` with psql, stopping at the first error."""
    from tests.test_corpus_roundtrip import psql_file

    path = tmp_path / f"script{len(list(tmp_path.glob('script*.sql')))}.sql"
    path.write_text(sql, encoding="utf-8")
    psql_file(url, path)
