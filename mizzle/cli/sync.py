"""`mizzle sync serve`: the sync server over one PostgreSQL database (docs/sync.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mizzle.cli import output
from mizzle.cli.database import migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError

sync_app = typer.Typer(no_args_is_help=True, add_completion=False)


@sync_app.callback()
def sync_group() -> None:
    """The sync server: devices push and pull their sync tables through it."""
    # a callback keeps `sync` a group (typer makes an app of one command that command itself)


@sync_app.command("serve")
def serve(
    ctx: typer.Context,
    rules: Annotated[
        Path,
        typer.Option(
            "--rules", help="TOML file of the tables served, parents first: [tables.<name>] owner/via/shared."
        ),
    ],
    db: Annotated[
        str | None,
        typer.Option("--db", help="PostgreSQL URL [default: the config's database URL].", show_default=False),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to serve on (0: any free port).", min=0, max=65535)] = 4984,
    secret_env: Annotated[
        str, typer.Option("--jwt-secret-env", help="Environment variable holding the HS256 secret.")
    ] = "MIZZLE_SYNC_JWT_SECRET",
    jwks: Annotated[
        str | None, typer.Option("--jwks", help="JWKS file or https URL for RS256 tokens (instead of a secret).")
    ] = None,
    user_claim: Annotated[str, typer.Option("--user-claim", help="The token claim naming the user.")] = "sub",
    audience: Annotated[
        str | None, typer.Option("--audience", help="The token's required aud (Supabase: authenticated).")
    ] = None,
    window: Annotated[
        int, typer.Option("--window", help="How many migrations behind the server a client may be.", min=0)
    ] = 1,
    max_connections: Annotated[
        int,
        typer.Option("--max-connections", help="PostgreSQL connections this process uses at most at once.", min=1),
    ] = 10,
    max_clock_skew: Annotated[
        float,
        typer.Option(
            "--max-clock-skew",
            help="Seconds a pushed row's time may be ahead of the server's; later times become the server's.",
            min=0,
        ),
    ] = 300.0,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="A role the server may take from a token's role claim (SET LOCAL ROLE); repeat."),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-origin", help="A web origin whose pages may call the server (CORS), e.g. https://app.example."
        ),
    ] = None,
) -> None:
    """Serve sync: one POST /sync per round trip (push and pull), JWT bearer tokens, the
    rules of --rules enforced in SQL. Stateless: run as many processes as needed."""
    try:
        from mizzle.app.sync_server import serving
        from mizzle.app.sync_server.auth import Auth
        from mizzle.app.sync_server.config import ServerConfig, rules_file
    except ImportError as err:
        raise MizzleError(
            f"mizzle sync serve needs {err.name or 'its web server'}: pip install 'mizzle[sync]'"
        ) from None
    session = session_of(ctx)
    url = session.database(db, Path.cwd()) if db else session.configured_database()
    if url.sqlite_path is not None:  # a file on this machine: the server serves a PostgreSQL server's
        raise MizzleError(f"the sync server serves a PostgreSQL database, not {url.redacted}")
    secret = None if jwks else os.environ.get(secret_env)
    if jwks is None and not secret:
        raise MizzleError(f"no JWT secret: set {secret_env} (or pass --jwks for RS256 keys)")
    auth = Auth(secret=secret, jwks=jwks, user_claim=user_claim, audience=audience)
    config = ServerConfig(
        url.url,
        rules_file(rules),
        auth,
        window=window,
        roles=frozenset(role or ()),
        max_connections=max_connections,
        allow_origins=tuple(allow_origin or ()),
        max_clock_skew=max_clock_skew,
        # columns renamed after an older client's head are mapped through these
        migrations=folder.path if (folder := migrations_folder(session)).path.is_dir() else None,
    )
    bound = serving.bind(host, port)
    console = output.stderr()
    console.print(f"sync: {url.redacted}, tables {', '.join(config.rules)}", markup=False)
    console.print(f"sync server on {bound.url} (Ctrl-C stops)", markup=False)
    serving.serve(config, bound)
