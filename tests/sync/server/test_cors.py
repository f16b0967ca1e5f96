"""CORS: a browser page of another origin may call the sync server only when its origin is
on the allow-list (`--allow-origin`, `ServerConfig.allow_origins`); none by default. Real
HTTP to a real server on 127.0.0.1, the preflight as Chromium sends it."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mizzle.core.errors import MizzleError
from tests.sync.server.harness import ALICE, config, server_db, serving, token

APP = "http://127.0.0.1:5173"


def preflight(base: str, origin: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        base + "/sync",
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


def post_from(base: str, origin: str) -> dict[str, str]:
    body = b'{"protocol": 1, "schema": "0001_init", "pull": {}}'
    request = urllib.request.Request(
        base + "/sync",
        data=body,
        method="POST",
        headers={"Origin": origin, "Content-Type": "application/json", "Authorization": f"Bearer {token(ALICE)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        return dict(answer.headers)


def test_a_listed_origin_gets_its_preflight_and_its_answers_allowed(pg_url: str) -> None:
    server_db(pg_url)
    with serving(config(pg_url, allow_origins=(APP,))) as base:
        status, headers = preflight(base, APP)
        assert status == 200
        assert headers["access-control-allow-origin"] == APP
        assert {"authorization", "content-type"} <= {
            h.strip().lower() for h in headers["access-control-allow-headers"].split(",")
        }
        assert "POST" in headers["access-control-allow-methods"]
        assert post_from(base, APP)["access-control-allow-origin"] == APP
        # another origin: the preflight is refused, and no answer carries an allowance for it
        status, headers = preflight(base, "http://evil.example")
        assert status == 400 and "access-control-allow-origin" not in headers
        assert "access-control-allow-origin" not in post_from(base, "http://evil.example")


def test_no_origin_is_allowed_by_default(pg_url: str) -> None:
    server_db(pg_url)
    with serving(config(pg_url)) as base:
        status, headers = preflight(base, APP)
        assert status == 405 and "access-control-allow-origin" not in headers  # no CORS at all
        assert "access-control-allow-origin" not in post_from(base, APP)


@pytest.mark.parametrize("origin", ["*", "127.0.0.1:5173", "https://app.example/path", "https://"])
def test_what_is_not_an_origin_is_refused_in_one_line(origin: str, pg_url: str, tmp_path: Path) -> None:
    with pytest.raises(MizzleError, match="is not a web origin"):
        config(pg_url, allow_origins=(origin,))
    rules = tmp_path / "rules.toml"
    rules.write_text("[tables.tag]\nshared = true\n")
    mizzle = str(Path(sys.executable).parent / "mizzle")
    done = subprocess.run(
        [mizzle, "sync", "serve", "--db", pg_url, "--rules", str(rules), "--allow-origin", origin],
        env={"MIZZLE_SYNC_JWT_SECRET": "x" * 40, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "is not a web origin" in done.stderr and "Traceback" not in done.stderr
