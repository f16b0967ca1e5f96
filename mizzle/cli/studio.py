"""`mizzle studio`: a local web page over the databases: their data (paged, filtered,
edited), a SQL editor, the ERD and each table's DDL, the migrations and the drift."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from mizzle.cli import output
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError


def studio(
    ctx: typer.Context,
    db: Annotated[
        list[str] | None,
        typer.Option(
            "--db",
            help="Database URL; repeat it for one tab per database [default: the config's database URL].",
            show_default=False,
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port to serve on (0: any free port).", min=0, max=65535)] = 4983,
    host: Annotated[
        str, typer.Option("--host", help="Address to serve on; anything but a loopback address warns.")
    ] = "127.0.0.1",
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Refuse every change: no row edit, no SQL editor.")
    ] = False,
    no_open: Annotated[bool, typer.Option("--no-open", help="Print the URL without opening a browser.")] = False,
) -> None:
    """Browse the data, the schema, the migrations and the drift in a local web page.

    The page is served on 127.0.0.1 with every asset from the package (it works offline);
    the URL printed carries this run's secret token, which every request must present.
    """
    try:
        from mizzle.app.studio import serving
        from mizzle.app.studio.workspace import workspace_for
    except ImportError as err:
        raise MizzleError(f"mizzle studio needs {err.name or 'its web server'}: pip install 'mizzle[studio]'") from None
    session = session_of(ctx)
    urls = [session.database(text, Path.cwd()) for text in db] if db else [session.configured_database()]
    workspace = workspace_for(urls, session.optional_config(), read_only=read_only)
    console = output.stderr()
    if not serving.is_loopback(host):
        console.print(
            f"warning: serving on {host}, reachable from other machines: whoever has the URL can "
            + ("read" if read_only else "read and change")
            + " these databases",
            markup=False,
        )
    bound = serving.listening(host, port)
    for target in workspace.targets:
        console.print(f"studio: {target.url.redacted}{' (read-only)' if read_only else ''}", markup=False)
    console.print(f"studio on {bound.url} (Ctrl-C stops)", markup=False)
    if not no_open:
        webbrowser.open(bound.url)
    serving.serve(workspace, bound)
