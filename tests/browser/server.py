"""A static HTTP server on 127.0.0.1 for the browser tests.

It serves a mapping of URL prefixes to directories (``/pyodide/`` → the npm package, ``/pages/`` →
the test pages, ``/bundle/`` → a ``mizzle bundle`` output, ...), which tests extend at run time.

Why not ``http.server``'s ``SimpleHTTPRequestHandler``: it serves one directory, lists
directories, logs every request to stderr, takes its MIME types from the host's
``/etc/mime.types`` (which differ between machines), and cannot send the cross-origin isolation
headers that SharedArrayBuffer (and with it sqlite-wasm's ``opfs`` VFS) needs.
"""

from __future__ import annotations

import collections
import email.utils
import http.server
import os
import shutil
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import ClassVar

# Chromium refuses module scripts that are not served with a JavaScript MIME type, and
# WebAssembly.instantiateStreaming / compileStreaming require application/wasm. Wheels and zips
# are fetched as bytes by Pyodide, so a neutral type keeps every browser from trying to sniff them.
MIME_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".whl": "application/octet-stream",
    ".zip": "application/octet-stream",
    ".tar": "application/x-tar",
    ".py": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".sql": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
DEFAULT_MIME_TYPE = "application/octet-stream"

# Headers that make a page cross-origin isolated (crossOriginIsolated === true), which enables
# SharedArrayBuffer + Atomics.wait. Only sqlite-wasm's "opfs" VFS needs it; Pyodide, sql.js and
# sqlite-wasm's "opfs-sahpool" work without (see the WASM spike report).
ISOLATION_HEADERS: Mapping[str, str] = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_COPY_CHUNK = 1 << 20


def mime_type(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower(), DEFAULT_MIME_TYPE)


def _normalise_prefix(prefix: str) -> str:
    """``pyodide``, ``/pyodide`` and ``/pyodide/`` all mean the URL folder ``/pyodide/``."""
    stripped = prefix.strip("/")
    if not stripped:
        raise ValueError("a mount prefix must name a folder: '/' would shadow every other mount")
    if any(part in ("", ".", "..") for part in stripped.split("/")):
        raise ValueError(f"bad mount prefix {prefix!r}")
    return f"/{stripped}/"


@dataclass(frozen=True)
class ServedRequest:
    """One request the server answered, for tests that check what a page fetched."""

    method: str
    path: str
    status: int


class _Handler(http.server.BaseHTTPRequestHandler):
    # Keep-alive: a Pyodide start makes a handful of large requests and Chromium reuses the
    # connection; every response below carries a Content-Length, which HTTP/1.1 requires.
    protocol_version = "HTTP/1.1"
    server_version = "mizzle-test-static"
    sys_version = ""
    static: ClassVar[StaticServer]

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, *, body: bool) -> None:
        url_path = urllib.parse.urlsplit(self.path).path
        file = self.static.resolve(url_path)
        if file is None:
            self._error(404, url_path, body=body)
            return
        try:
            handle = file.open("rb")
        except OSError:
            # Vanished or unreadable between the lookup and the open: still simply not there.
            self._error(404, url_path, body=body)
            return
        with handle:
            stat = os.fstat(handle.fileno())  # the file being sent, even if replaced meanwhile
            # Recorded before answering: a client that has its answer finds it in the log.
            self.static.record(ServedRequest(self.command, url_path, 200))
            self.send_response(200)
            self.send_header("Content-Type", mime_type(file))
            self.send_header("Content-Length", str(stat.st_size))
            self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
            self.end_headers()
            if body:
                try:
                    shutil.copyfileobj(handle, self.wfile, _COPY_CHUNK)
                except (BrokenPipeError, ConnectionResetError):
                    # The page was closed or navigated away mid-download: nothing to report.
                    self.close_connection = True

    def _error(self, status: int, url_path: str, *, body: bool) -> None:
        payload = f"{status} {self.responses[status][0]}: {url_path}\n".encode()
        self.static.record(ServedRequest(self.command, url_path, status))
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def end_headers(self) -> None:
        if self.static.cache:
            # A returning visitor: Chromium keeps the HTTP cache and V8's compiled-wasm cache.
            self.send_header("Cache-Control", "public, max-age=3600")
        else:
            # Every page load fetches what is on disk now: a rebuilt bundle is never masked by a
            # copy cached earlier in the same browser session.
            self.send_header("Cache-Control", "no-store")
        if self.static.isolated:
            for name, value in ISOLATION_HEADERS.items():
                self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        # Quiet: pytest output stays readable; `StaticServer.requests` keeps what was served.
        return


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Chromium holds keep-alive connections open; closing the server must not wait for them.
    block_on_close = False


class StaticServer:
    """Serve directories under URL prefixes on ``http://127.0.0.1:<free port>``.

    Use as a context manager, or call ``start()`` and ``stop()``::

        with StaticServer({"/pages/": pages_dir}) as server:
            page.goto(server.url("/pages/index.html"))

    Only files are served: a folder, a missing file, a path that leaves its mount (``..``) or a
    path under no mount is a 404. Mounts can be added and removed while the server runs.
    """

    def __init__(
        self,
        mounts: Mapping[str, Path] | None = None,
        *,
        isolated: bool = False,
        cache: bool = False,
        request_log_size: int = 10_000,
    ) -> None:
        self.isolated = isolated
        self.cache = cache
        self._mounts: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._requests: collections.deque[ServedRequest] = collections.deque(maxlen=request_log_size)
        self._httpd: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None
        for prefix, directory in (mounts or {}).items():
            self.mount(prefix, directory)

    # -- mounts -------------------------------------------------------------------------------

    def mount(self, prefix: str, directory: Path) -> str:
        """Serve ``directory`` under the URL folder ``prefix``; returns the folder (``/bundle/``).

        Mounting a prefix again replaces its directory (a test can point ``/bundle/`` at its own
        build). The longest matching prefix wins, so ``/bundle/extra/`` may sit inside ``/bundle/``.
        """
        folder = _normalise_prefix(prefix)
        root = Path(directory).resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"cannot mount {folder}: {root} is not a directory")
        with self._lock:
            self._mounts[folder] = root
        return folder

    def unmount(self, prefix: str) -> None:
        folder = _normalise_prefix(prefix)
        with self._lock:
            del self._mounts[folder]

    @property
    def mounts(self) -> dict[str, Path]:
        with self._lock:
            return dict(self._mounts)

    def resolve(self, url_path: str) -> Path | None:
        """The file that ``url_path`` (already split from its query) names, or None for a 404."""
        try:
            decoded = urllib.parse.unquote(url_path, errors="strict")
        except UnicodeDecodeError:
            return None
        if "\x00" in decoded or "\\" in decoded:
            return None
        with self._lock:
            mounts = sorted(self._mounts.items(), key=lambda item: len(item[0]), reverse=True)
        for folder, root in mounts:
            if not decoded.startswith(folder):
                continue
            parts = [part for part in decoded[len(folder) :].split("/") if part not in ("", ".")]
            # Checked on the URL's segments rather than by resolving the path: a mounted folder may
            # legitimately contain symlinks, but a URL may never climb out of its mount.
            if not parts or ".." in parts:
                return None
            candidate = root.joinpath(*parts)
            return candidate if candidate.is_file() else None
        return None

    # -- request log --------------------------------------------------------------------------

    def record(self, request: ServedRequest) -> None:
        self._requests.append(request)

    @property
    def requests(self) -> list[ServedRequest]:
        """What the server answered, oldest first (bounded by ``request_log_size``)."""
        return list(self._requests)

    def clear_requests(self) -> None:
        self._requests.clear()

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (``/pages/x.html``, with or without a leading slash)."""
        return f"{self.origin}/{path.lstrip('/')}"

    def start(self) -> StaticServer:
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        handler = type("Handler", (_Handler,), {"static": self})
        # Port 0: the kernel picks a free port, so parallel test workers never collide.
        self._httpd = _ThreadingServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="static-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
