"""Running the sync server: the socket taken first (a busy port is one clear line), then
uvicorn serving the app until interrupted."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from mizzle.app.sync_server.config import ServerConfig
from mizzle.core.errors import MizzleError


@dataclass
class Bound:
    sock: socket.socket
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def bind(host: str, port: int) -> Bound:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError as err:
        sock.close()
        raise MizzleError(
            f"cannot serve sync on {host}:{port}: {err.strerror or err} (pass --port with a free one)"
        ) from None
    return Bound(sock, host, sock.getsockname()[1])


def serve(config: ServerConfig, bound: Bound) -> None:
    """Serve until interrupted; the socket is closed afterwards."""
    import uvicorn

    from mizzle.app.sync_server.asgi import create_app

    uv = uvicorn.Config(create_app(config), log_level="warning", access_log=False, lifespan="on")
    try:
        uvicorn.Server(uv).run(sockets=[bound.sock])
    finally:
        bound.sock.close()
