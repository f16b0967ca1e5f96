"""The write lock of a SQLite database file: what PostgreSQL's advisory lock is to a server.

SQLite has no lock that outlives a transaction, and a mizzle command needs one across
several: it reads the tracking table (or introspects), decides what to do, and then commits
one migration after another, setting `PRAGMA foreign_keys` between them, where SQLite honours
it. So the lock is an OS lock (`flock`, Windows: `msvcrt.locking`) on a file beside the
database, `<database>-mizzle-lock`, named like SQLite's own `-journal` and `-wal`:

- the OS releases it when the process dies, so a crash never leaves a stale lock;
- it is taken per open file description, so two connections of one process exclude each
  other too, and it never touches the locks SQLite keeps on the database file itself (closing
  a second descriptor of the database file would drop those);
- it serialises mizzle's writing commands only: the app's own reads and writes go on;
- the file is left in place (empty): deleting it while another process waits on it would let
  a third one lock a new file of the same name.

In Pyodide there is one process per browser tab and `mizzle.js` holds a Web Lock named after
the database around every call (Emscripten's flock is a no-op anyway): no file is made there.
Standard library only.
"""

from __future__ import annotations

import os
import sys
import time

from mizzle.core.tracking import DatabaseError

#: appended to the database file's path
SUFFIX = "-mizzle-lock"
#: how often a waiting process tries again
_POLL_S = 0.05


def lock_path(database: str) -> str:
    return database + SUFFIX


class FileLock:
    """An exclusive lock on `path` (created if missing), waited for up to `timeout` seconds."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; DatabaseError when it cannot be made or is still held after `timeout`."""
        if sys.platform == "emscripten":
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise DatabaseError(f"cannot create the lock file {self.path}: {err.strerror}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _try_lock(fd)
                self._fd = fd
                return
            except BlockingIOError:
                pass
            except OSError as err:
                os.close(fd)
                raise DatabaseError(f"cannot lock {self.path}: {err.strerror}") from None
            if time.monotonic() >= deadline:
                os.close(fd)
                raise DatabaseError(
                    f"another mizzle command (migrate, rollback or push) is changing this database: its lock "
                    f"{self.path} was still held after {self.timeout:g} s"
                )
            time.sleep(_POLL_S)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor releases the lock


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:  # Windows' word for "held by another process"
            raise BlockingIOError from None

elif sys.platform != "emscripten":  # Pyodide may lack fcntl; `acquire` returns early there
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
