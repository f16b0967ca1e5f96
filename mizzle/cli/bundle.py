"""`mizzle bundle`: write the static folder that upgrades browser databases (see
`mizzle/wasm/bundle.py`), and with `--serve` serve it with its demo page on localhost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mizzle.cli import output
from mizzle.cli.database import migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError


def bundle(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the bundle into.", show_default=False)],
    pyodide: Annotated[
        Path | None,
        typer.Option(
            "--pyodide",
            help="The pyodide npm package's folder (node_modules/pyodide), copied into <out>/pyodide/ "
            "[default: node_modules/pyodide beside the config or here, if present].",
            show_default=False,
        ),
    ] = None,
    with_model: Annotated[
        bool,
        typer.Option(
            "--with-model",
            help="Add the wheels mz.schema() needs in Pyodide (pydantic, pydantic_core, sqlglot; 3 MB, "
            "downloaded once with pip unless --model-wheels is given).",
        ),
    ] = False,
    model_wheels: Annotated[
        Path | None,
        typer.Option(
            "--model-wheels",
            help="A folder holding the --with-model wheels, downloaded beforehand (docs/browser.md): "
            "nothing is downloaded.",
            show_default=False,
        ),
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the bundle and its demo page on localhost.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0: any free port).", min=0, max=65535)] = 8000,
) -> None:
    """Bundle the migrations for browsers: mizzle.js, the manifest, the wheels, a demo page.

    The SQLite migrations of the migrations folder go into manifest.json with their
    checksums; mizzle's wheel (and with --with-model the wheels its model needs in Pyodide)
    go into wheels/. No network is needed without --with-model. The folder is replaced as a
    whole, and only once the new bundle is complete. An app serves the folder and calls
    `loadMizzle` (docs/browser.md).
    """
    from mizzle.app import bundle as bundling

    session = session_of(ctx)
    folder = migrations_folder(session)
    bundling.check_folder(folder)
    if pyodide is None:
        config = session.optional_config()
        pyodide = bundling.find_pyodide(config.root if config is not None else None)
    if serve and pyodide is None:
        raise MizzleError(
            "--serve needs Pyodide for its demo page: npm install pyodide@314.0.7, "
            "then pass --pyodide node_modules/pyodide"
        )
    # The port is taken before anything is written: a busy port leaves no bundle behind.
    httpd = bundling.listening(out, port) if serve else None
    try:
        made = bundling.bundle(out, folder, pyodide, with_model=with_model, model_wheels=model_wheels)
    except BaseException:
        if httpd is not None:
            httpd.server_close()
        raise
    err = output.stderr()
    err.print(
        f"wrote {out}: {made.migrations} migrations (head {made.head or '-'}), {len(made.wheels)} wheels"
        + (", Pyodide" if made.pyodide else ""),
        markup=False,
    )
    if made.fresh_refused and made.migrations:
        # said only when it is so: a new database then costs the whole replay
        err.print(f"new databases replay every migration: {made.fresh_refused}", markup=False)
    if httpd is not None:
        err.print(f"serving {out} on http://127.0.0.1:{httpd.server_port}/demo/ (Ctrl-C stops)", markup=False)
        try:
            httpd.serve_forever()
        finally:
            httpd.server_close()
