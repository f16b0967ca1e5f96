"""`mizzle bundle`: write the static folder that upgrades browser databases (see
`mizzle/wasm/bundle.py`), and with `--serve` serve it with its demo page on localhost."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mizzle.cli import output
from mizzle.cli.database import migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from mizzle.core.migrations import MigrationFolder
    from mizzle.wasm.bundle import Bundle


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
    serve: Annotated[bool, typer.Option("--serve", help="Serve the bundle and its demo page on localhost.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve.", min=1, max=65535)] = 8000,
) -> None:
    """Bundle the migrations for browsers: mizzle.js, the manifest, the wheels, a demo page.

    The SQLite migrations of the migrations folder go into manifest.json with their
    checksums; mizzle's wheel and the wheels its model needs in Pyodide go into wheels/.
    An app serves the folder and calls `loadMizzle` (docs/browser.md).
    """
    session = session_of(ctx)
    folder = migrations_folder(session)
    if not folder.path.is_dir():
        raise MizzleError(f"no migrations folder at {folder.path}: run `mizzle generate` first")
    if pyodide is None:
        config = session.optional_config()
        pyodide = _find_pyodide(config.root if config is not None else None)
    if serve and pyodide is None:
        raise MizzleError(
            "--serve needs Pyodide for its demo page: npm install pyodide@314.0.7, "
            "then pass --pyodide node_modules/pyodide"
        )
    # The port is taken before anything is written: a busy port leaves no bundle behind.
    httpd = _listening(out, port) if serve else None
    try:
        made = _written(out, folder, pyodide)
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
    if httpd is not None:
        err.print(f"serving {out} on http://127.0.0.1:{httpd.server_port}/demo/ (Ctrl-C stops)", markup=False)
        try:
            httpd.serve_forever()
        finally:
            httpd.server_close()


def _listening(out: Path, port: int) -> ThreadingHTTPServer:
    from mizzle.wasm.serve import server

    try:
        return server(out, port=port)
    except OSError as err:
        raise MizzleError(
            f"cannot serve on 127.0.0.1:{port}: {err.strerror or err} (another program may be using the port: "
            "pass --port with a free one)"
        ) from None


def _written(out: Path, folder: MigrationFolder, pyodide: Path | None) -> Bundle:
    from mizzle.wasm.bundle import write_bundle

    if not out.parent.is_dir():  # a typo must not create folders (at the filesystem root, even)
        raise MizzleError(f"cannot write the bundle into {out}: there is no folder {out.parent}")
    try:
        out.mkdir(exist_ok=True)
    except OSError as err:
        raise MizzleError(f"cannot create {out}: {err.strerror or err}") from None
    return write_bundle(out, folder, pyodide=pyodide)


def _find_pyodide(config_root: Path | None) -> Path | None:
    for base in [config_root, Path.cwd()]:
        if base is not None and (base / "node_modules" / "pyodide" / "package.json").is_file():
            return base / "node_modules" / "pyodide"
    return None
