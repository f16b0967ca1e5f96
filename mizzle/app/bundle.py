"""`bundle`: the static folder that upgrades browser databases (`mizzle/wasm/bundle.py`): the
SQLite migrations with their checksums in manifest.json, mizzle's wheel (and with
`--with-model` the wheels its model needs in Pyodide), a demo page; and the local server that
serves it (`--serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.core.errors import MizzleError

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from mizzle.core.migrations import MigrationFolder
    from mizzle.wasm.bundle import Bundle


def find_pyodide(config_root: Path | None) -> Path | None:
    """`node_modules/pyodide` beside the config, else in the working directory; None if neither."""
    for base in [config_root, Path.cwd()]:
        if base is not None and (base / "node_modules" / "pyodide" / "package.json").is_file():
            return base / "node_modules" / "pyodide"
    return None


def check_folder(folder: MigrationFolder) -> None:
    """MizzleError when there is no migrations folder to bundle."""
    if not folder.path.is_dir():
        raise MizzleError(f"no migrations folder at {folder.path}: run `mizzle generate` first")


def listening(out: Path, port: int) -> ThreadingHTTPServer:
    """A server for the folder `out` on 127.0.0.1:`port`, bound but not serving yet (the
    caller runs `serve_forever` and closes it); MizzleError when the port is taken. Taken
    before the bundle is written, a busy port leaves no bundle behind."""
    from mizzle.wasm.serve import server

    try:
        return server(out, port=port)
    except OSError as err:
        raise MizzleError(
            f"cannot serve on 127.0.0.1:{port}: {err.strerror or err} (another program may be using the port: "
            "pass --port with a free one)"
        ) from None


def bundle(
    out: Path,
    folder: MigrationFolder,
    pyodide: Path | None = None,
    *,
    with_model: bool = False,
    model_wheels: Path | None = None,
) -> Bundle:
    """Write the bundle of `folder` as the folder `out` (its parent must exist: a typo must
    not create folders); `pyodide`: the pyodide npm package to copy in; `with_model`: the
    wheels `mz.schema()` needs too (from the folder `model_wheels` if given, else downloaded)."""
    from mizzle.wasm.bundle import write_bundle

    check_folder(folder)
    if not out.parent.is_dir():
        raise MizzleError(f"cannot write the bundle into {out}: there is no folder {out.parent}")
    if model_wheels is not None and not with_model:
        raise MizzleError("--model-wheels is the folder of the --with-model wheels: pass --with-model too")
    return write_bundle(out, folder, pyodide=pyodide, with_model=with_model, model_wheels_dir=model_wheels)
