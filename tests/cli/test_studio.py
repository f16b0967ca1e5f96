"""`mizzle studio`: the command serves the page on 127.0.0.1 with its token, and its failures
(a busy port, a database that is not there) are one line each."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.cli.conftest import Mizzle

MIZZLE = Path(sys.executable).parent / "mizzle"


def test_a_busy_port_is_one_line_naming_it(mizzle: Mizzle, tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "app.db").close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = mizzle("studio", "--db", f"sqlite:///{tmp_path / 'app.db'}", "--port", str(port), "--no-open")
    assert result.code == 1
    assert result.error_line.startswith(f"error: cannot serve the studio on 127.0.0.1:{port}: ")
    assert result.error_line.endswith("pass --port with a free one)")


def test_a_missing_database_is_one_line(mizzle: Mizzle, tmp_path: Path) -> None:
    result = mizzle("studio", "--db", f"sqlite:///{tmp_path / 'missing.db'}", "--port", "0", "--no-open")
    assert result.code == 1
    assert result.error_line == f"error: no SQLite database at {tmp_path / 'missing.db'}"
    assert not (tmp_path / "missing.db").exists()


def test_the_command_serves_the_page_on_loopback_with_its_token(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    conn.close()
    process = subprocess.Popen(
        [str(MIZZLE), "studio", "--db", f"sqlite:///{db}", "--port", "0", "--no-open"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines = []
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"studio on (http://127\.0\.0\.1:\d+/\?token=[\w-]+)", line)
            url = found.group(1) if found else None
        assert url is not None, "".join(lines)
        base = url.split("/?", 1)[0]
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(url, timeout=20) as page:  # the token, then the redirect with its cookie
            assert page.status == 200 and b"mizzle studio" in page.read()
        try:
            urllib.request.urlopen(base + "/api/databases", timeout=20)
            raise AssertionError("served without the token")
        except urllib.error.HTTPError as err:
            assert err.code == 401
    finally:
        process.terminate()
        process.wait(20)
