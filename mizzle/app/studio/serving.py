"""Starting the studio: the socket taken first (a busy port is one clear line), the token of
this run, the URL to open, and uvicorn serving the app until Ctrl-C."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from dataclasses import dataclass

from mizzle.app.studio.workspace import Workspace
from mizzle.core.errors import MizzleError

DEFAULT_PORT = 4983
DEFAULT_HOST = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """Whether `host` is an address of this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Listening:
    sock: socket.socket
    host: str
    port: int
    token: str

    @property
    def url(self) -> str:
        """The URL to open: it carries the token (the page then keeps it in a cookie)."""
        return f"http://{_netloc(self.host, self.port)}/?token={self.token}"

    def allowed_hosts(self) -> list[str]:
        names = {self.host, "127.0.0.1", "localhost", "[::1]"} if is_loopback(self.host) else {self.host}
        return sorted({_netloc(n, self.port) for n in names})


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def listening(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Listening:
    """A socket bound to `host`:`port` (0: any free port), with a new token; MizzleError
    naming the port when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise MizzleError(
            f"cannot serve the studio on {_netloc(host, port)}: {err.strerror or err} "
            "(another program may be using the port: pass --port with a free one)"
        ) from None
    return Listening(sock, host, sock.getsockname()[1], secrets.token_urlsafe(32))


def serve(workspace: Workspace, bound: Listening) -> None:
    """Serve the studio on `bound` until interrupted; the socket is closed afterwards."""
    import uvicorn

    from mizzle.app.studio.server import create_app

    app = create_app(workspace, bound.token, bound.allowed_hosts())
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[bound.sock])
    finally:
        bound.sock.close()
