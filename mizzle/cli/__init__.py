"""The `mizzle` command line: typer commands at the edge, the work done by `mizzle.core` and
`mizzle.dialects`. `app.main()` runs it; `run()` is the console script. One module per
command, loaded only when that command runs, so that starting the CLI stays cheap."""

from __future__ import annotations

import sys
from typing import NoReturn


def run() -> NoReturn:
    """The `mizzle` console script. `mizzle --version` alone is answered before the command
    line is built (typer, the command table): a version check, often scripted, should cost
    no more than starting Python; everything else goes to `mizzle.cli.app.run`."""
    if sys.argv[1:] == ["--version"]:
        from mizzle import __version__

        sys.stdout.write(f"mizzle {__version__}\n")
        sys.stdout.flush()
        raise SystemExit(0)
    from mizzle.cli.app import run as run_app

    run_app()
