"""`mizzle rebase`: after a merge, the migrations your branch added are generated again after
the other branch's, so that each holds only your change and its snapshot holds both.

A migration's snapshot is the schema after it. Renumbered as they are, your migrations would
keep snapshots without the other branch's changes, and the next `generate` would repeat
them. So each of yours is taken apart into its change (its snapshot compared with the one
before it on your branch), the change is applied to the merged history's last snapshot
(`core/evolve.py`: a change that no longer fits, such as a column both branches added, is an
error), and the migration is written anew from that: SQL, down files, snapshot, next number.
A `--custom` migration keeps its SQL; a generated one edited by hand, or one whose change
mizzle cannot tell apart from a rename, is refused (generate it again yourself). Nothing is
changed unless every migration can be rebased; the sum file is rewritten at the end.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mizzle.app.folder import shown
from mizzle.cli import output
from mizzle.cli.session import session_of


def rebase(
    ctx: typer.Context,
    migrations: Annotated[
        list[str],
        typer.Argument(help="The migrations your branch added (0004_add_tag ...).", show_default=False),
    ],
) -> None:
    """Generate your branch's migrations again after the other branch's (after a merge).

    Each named migration is moved after the other migrations of the folder and generated
    again against their last snapshot: its SQL holds only its own change, its snapshot both
    branches'. Then mizzle.sum is rewritten. A database that applied the old ones must roll
    them back first (on your branch, before the merge), or be recreated.
    """
    from mizzle.app.rebase import rebase as rebasing

    out = output.stdout()
    for moved in rebasing(session_of(ctx).config(), migrations):
        out.print(f"{escape(moved.old)} → {escape(shown(moved.path))}")
