"""The browser's sync client and the Python one agree: from the same database they build the
same request, and they apply the same response to the same rows, for every column type,
including values a JS number or JSON would change (integers beyond 2^53, decimals, times with
microseconds, blobs, unicode). The browser side runs `mz.sync` on a sql.js handle and a
sqlite-wasm one (the bridge whose values travel tagged) and on a file in Pyodide's file system,
against a canned server (a `fetch` that records the request and answers)."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.sync_api import BrowserContext

from mizzle import dsl
from mizzle.dialects.sqlite.sync_device import DeviceSync
from mizzle.dsl import (
    Table,
    bigint,
    boolean,
    bytea,
    char,
    date,
    double,
    integer,
    jsonb,
    numeric,
    real,
    smallint,
    text,
    time,
    timestamp,
    timestamptz,
    uuid,
    varchar,
)
from mizzle.sources.dsl import schema_from_classes
from tests.browser.harness import NODE_MODULES
from tests.browser.server import StaticServer
from tests.browser.sync_setup import build, image, load, rows_of
from tests.sync.dbs import create, sqlite_db


class Every(Table):
    id = bigint().primary_key()
    big = bigint()
    amount = numeric(30, 10)
    at = timestamptz(6)
    data = bytea()
    body = text()
    doc = jsonb()
    flag = boolean()
    ref = uuid()
    ratio = double()
    counts = bigint().array()
    small = smallint()
    whole = integer()
    single = real()
    day = date()
    clock = time(6)
    local = timestamp(6)
    short = varchar(20)
    fixed = char(5)
    plain = dsl.json()
    tags = text().array()
    free = numeric()
    __sync__: ClassVar[bool] = True


SCHEMA = schema_from_classes([Every])
BIG = 2**62 + 1  # a JS number would read 4611686018427387904
LOCAL = (
    "INSERT INTO every (id, big, amount, at, data, body, doc, flag, ref, ratio, counts, small, whole, single, day, "
    "clock, local, short, fixed, plain, tags, free) VALUES "
    f"({BIG}, {-BIG}, '12345678901234567890.0123456789', '2026-01-02T03:04:05.123456Z', x'00ff10', "
    '\'naïve — 日本 🎻\', \'{"n": 9007199254740993, "s": "é"}\', 1, '
    "'6f1c0000-0000-4000-8000-000000000001', 0.1, '[1,2,3]', -32768, 2147483647, 1.5, '2026-01-02', "
    "'03:04:05.123456', '2026-01-02T03:04:05.654321', 'ünïcødé', 'ab', '[1, \"x\", null]', "
    '\'["a", "b,c", ""]\', \'3.14159265358979\')'
)
#: what the canned server answers: its push results and one pulled row of every type
RESPONSE = {
    "protocol": 1,
    "schema": None,
    "push": {"every": {"applied": 1, "deleted": 0, "unchanged": 0, "rows": [], "deletes": []}},
    "pull": {
        "every": {
            "rows": [
                {
                    "id": BIG + 2,
                    "big": 2**63 - 1,
                    "amount": "-0.0000000001",
                    "at": "1999-12-31T23:59:59.999999Z",
                    "data": base64.b64encode(bytes(range(256))).decode(),
                    "body": "zero\u200bwidth, Ωmega, 🎶",
                    "doc": {"deep": [1, 2.5, {"x": None}], "big": 12345678901234567890},
                    "flag": False,
                    "ref": "6f1c0000-0000-4000-8000-0000000000ff",
                    "ratio": 1e-300,
                    "counts": [9007199254740993, -1],
                    "small": 32767,
                    "whole": -2147483648,
                    "single": 0.25,
                    "day": "0001-01-01",
                    "clock": "23:59:59.000001",
                    "local": "2026-12-31T23:59:59.999999",
                    "short": "二十文字まで",
                    "fixed": "xy",
                    "plain": [{"a": 1}, "b"],
                    "tags": ["x", 'y"z'],
                    "free": "0.000000000000000000001",
                    "sync_version": 3,
                    "last_modified_at": "2026-02-03T04:05:06.789Z",
                    "device_id": "server",
                },
                # one this database refuses: 11 decimals in a numeric(30, 10) (nothing is rounded)
                {"id": 7, "amount": "1.00000000001", "sync_version": 1, "last_modified_at": "2026-02-03T04:05:06.789Z"},
            ],
            "deletes": [],
            "cursor": "xid:42",
            "more": False,
        }
    },
    "more": False,
}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, static_server: StaticServer) -> Iterator[dict[str, Path]]:
    built = build(tmp_path_factory.mktemp("sync-bundles"), NODE_MODULES / "pyodide")
    static_server.mount("/agree/", built["v1"])
    yield built
    static_server.unmount("/agree/")


@pytest.fixture
def device_file(tmp_path: Path) -> Path:
    path = tmp_path / "device.db"
    db = sqlite_db(str(path))
    create(db, SCHEMA)
    db.run(LOCAL)
    db.conn.close()
    return path


def python_side(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        device = DeviceSync(conn, ["every"], device="d1")
        request = json.loads(json.dumps(device.request(push=True)))  # as it goes over the wire
        step = device.take(request, json.loads(json.dumps(RESPONSE)))
    finally:
        conn.close()
    return request, rows_of(path, "every"), step.to_dict()


def without_batch(request: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(request.pop("batch"), str)  # a new uuid each time
    return request


@pytest.mark.parametrize("where", ["sqljs", "sqlite-wasm", "path"])
def test_the_browser_and_python_clients_send_the_same_request_and_apply_a_response_alike(
    where: str,
    bundles: dict[str, Path],
    device_file: Path,
    static_server: StaticServer,
    browser_context: BrowserContext,
    tmp_path: Path,
) -> None:
    python_copy = tmp_path / "python.db"
    shutil.copy(device_file, python_copy)
    python_request, python_rows, python_step = python_side(python_copy)
    assert python_request["push"]["every"]["rows"][0]["big"] == -BIG  # the value itself, not a float

    page = browser_context.new_page()
    load(page, static_server.url("/pages/blank.html"), "agree")
    db = {"sqljs": "sqljs:a", "sqlite-wasm": "wasm:a", "path": "/agree-data/device.db"}[where]
    sent = page.evaluate(
        """async ([db, bytes64, response]) => {
            const bytes = Uint8Array.from(atob(bytes64), (c) => c.charCodeAt(0));
            let target;
            if (db.startsWith("sqljs:")) target = dbs[db.slice(6)] = new SQL.Database(bytes);
            else if (db.startsWith("wasm:")) {
                const { default: init } = await import("/sqlite-wasm/index.mjs");
                window.sqlite3 ??= await init();
                target = dbs[db.slice(5)] = new sqlite3.oo1.DB(":memory:", "c");
                const p = sqlite3.wasm.allocFromTypedArray(bytes);
                const { SQLITE_DESERIALIZE_FREEONCLOSE: free, SQLITE_DESERIALIZE_RESIZEABLE: grow } = sqlite3.capi;
                const n = bytes.length;
                const rc = sqlite3.capi.sqlite3_deserialize(target.pointer, "main", p, n, n, free | grow);
                if (rc !== 0) throw new Error(`sqlite3_deserialize: ${rc}`);
            } else {
                mz.pyodide.FS.mkdirTree("/agree-data");
                mz.pyodide.FS.writeFile(db, bytes);
                target = { path: db, storage: "memory" };
            }
            const sent = [];
            let saved = 0;
            const count = async (bytes) => {
                saved += bytes.length > 0 ? 1 : 0;
            };
            const persist = db.startsWith("sqljs:") ? count : undefined;
            const fetch = async (url, init) => {
                sent.push(init.body);   // the text as it goes out
                return new Response(response, { status: 200, headers: { "Content-Type": "application/json" } });
            };
            const options = { url: "http://127.0.0.1:9/", token: "t", tables: ["every"], device: "d1", fetch, persist };
            const result = await mz.sync(target, options);
            return { sent, result, saved };
        }""",
        [db, base64.b64encode(device_file.read_bytes()).decode(), json.dumps(RESPONSE)],
    )
    assert len(sent["sent"]) == 1 and sent["result"]["pulled"] == 2
    [refused] = python_step["local_rejected"]
    assert sent["result"]["localRejected"] == [refused]
    assert (refused["table"], refused["pk"]) == ("every", [7]) and "decimals" in refused["reason"]
    # a sql.js database kept as an image is handed over after each step that wrote
    assert sent["saved"] == (2 if where == "sqljs" else 0)
    js_request = json.loads(sent["sent"][0])  # Python's json: exact integers
    assert without_batch(js_request) == without_batch(python_request)
    js_rows = rows_of(image(page, db, tmp_path / "js.db"), "every")
    assert js_rows == python_rows
    pulled = next(r for r in js_rows if r["id"] == BIG + 2)
    assert (pulled["big"], pulled["counts"], pulled["data"]) == (
        2**63 - 1,
        [9007199254740993, -1],
        base64.b64encode(bytes(range(256))).decode(),  # rows are in to_dict()'s form
    )
    assert pulled["doc"]["big"] == 12345678901234567890 and pulled["at"] == "1999-12-31T23:59:59.999999Z"
