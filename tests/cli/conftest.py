from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

from mizzle.cli.app import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "practice_tracker"


class Result(NamedTuple):
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one `error:` line a failing command prints (asserting that it is all it prints)."""
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        return lines[0]


Mizzle = Callable[..., Result]


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture
def mizzle(capsys: pytest.CaptureFixture[str]) -> Mizzle:
    """Run the CLI in-process, as the console script does: `mizzle("pull", "--db", url)`."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@dataclass(frozen=True)
class PasswordServer:
    """A PostgreSQL server that checks passwords (scram-sha-256), on 127.0.0.1."""

    port: int
    password: str

    def url(self, password: str | None = None) -> str:
        return f"postgresql://postgres:{password or self.password}@127.0.0.1:{self.port}/postgres"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def password_server() -> Iterator[PasswordServer]:
    """Our own server from the pgserver wheel's binaries: the test servers trust everyone,
    and a wrong password can only be refused by a server that asks for one."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver import utils

    bin_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    password = "s3cr3t-Pa55word"
    root = Path(tempfile.mkdtemp(prefix="mizzle-pgpw-"))
    data = root / "data"
    (root / "pwfile").write_text(password + "\n")
    # initdb and postgres refuse to run as root: run them as pgserver's own system user.
    user = None
    if os.geteuid() == 0:
        user = "pgserver"
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(root)
        utils.ensure_folder_permissions(bin_dir.parent, 0o055)
        shutil.chown(root, user)
        shutil.chown(root / "pwfile", user)
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "user": user, "check": True}
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={root / 'pwfile'}"],
        **quiet,  # type: ignore[call-overload]
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n")
    # pg_ctl's server inherits its output handles: files, not pipes, or the call never returns.
    subprocess.run([bin_dir / "pg_ctl", "-D", data, "-w", "-l", root / "log", "start"], **quiet)  # type: ignore[call-overload]
    try:
        yield PasswordServer(port, password)
    finally:
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-w", "-m", "fast", "stop"], **quiet)  # type: ignore[call-overload]
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def own_server(settings: str) -> Iterator[str]:
    """A PostgreSQL server of our own from the pgserver wheel's binaries, trusting everyone,
    with `settings` added to postgresql.conf (what a test needs that the shared server must
    not get); yields its URL."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver import utils

    bin_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    root = Path(tempfile.mkdtemp(prefix="mizzle-pgown-"))
    data = root / "data"
    user = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        user = "pgserver"
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(root)
        utils.ensure_folder_permissions(bin_dir.parent, 0o055)
        shutil.chown(root, user)
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "user": user, "check": True}
    subprocess.run([bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust"], **quiet)  # type: ignore[call-overload]
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n{settings}\n")
    subprocess.run([bin_dir / "pg_ctl", "-D", data, "-w", "-l", root / "log", "start"], **quiet)  # type: ignore[call-overload]
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-w", "-m", "immediate", "stop"], **quiet)  # type: ignore[call-overload]
        shutil.rmtree(root, ignore_errors=True)
