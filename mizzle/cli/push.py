"""`mizzle push`: change a database straight to the schema, without migration files (prototyping)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

import typer
from rich.markup import escape

from mizzle.cli import output, prompts
from mizzle.cli.database import DbOption, database_url, opened
from mizzle.cli.generate import DropOption, RenameOption, check_fits, renames_of
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError
from mizzle.core.runner import write_lock


def push(
    ctx: typer.Context,
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the SQL that would run; change nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Apply changes that lose data without asking.")] = False,
    rename: RenameOption = None,
    drop: DropOption = None,
) -> None:
    """Change the database to match the schema, in one transaction (no migration is written).

    Changes that lose data (a dropped table or column) are listed with the rows they hold
    and need a yes on a terminal, or --force. Renames are settled as for `generate`.
    """
    from mizzle.app import push as pushing
    from mizzle.sources.load import load_schema

    session = session_of(ctx)
    config = session.config()
    url = database_url(session, db)
    loaded = load_schema(config.require_schema(), config.sync_tables)
    check_fits(loaded.schema, url.dialect)
    for unsupported in loaded.unsupported:
        output.warning(f"not carried by mizzle: {unsupported}")
    out = output.stdout()
    ask = prompts.rename_asker() if prompts.interactive() else None
    with opened(url, create=not dry_run, missing_as_empty=dry_run) as database:
        # Read and planned while no other migrate, rollback or push changes the database (its
        # introspection and loss counts are several queries); the confirmation below waits
        # outside the lock, and `apply` checks, holding it again, that nothing changed since.
        # A dry run changes nothing, not even by making SQLite's lock file: it takes no lock.
        with write_lock(database.db) if not dry_run else nullcontext():
            plan = pushing.prepare(database.db, database.conn, loaded.schema, renames_of(rename, drop), ask)
        if plan.empty:
            out.print(f"nothing to push: {escape(url.redacted)} matches the schema")
            return
        if dry_run:
            typer.echo(plan.script(), nl=False)
            for loss in plan.losses:
                output.warning(f"would lose data: {loss}")
            return
        if plan.losses and not force:
            _confirm_losses(list(plan.losses))
        duration = pushing.apply(database.db, database.conn, plan)
    count = len(plan.operations)
    out.print(
        f"pushed {count} change{'' if count == 1 else 's'} to {escape(url.redacted)} ({duration} ms)", markup=False
    )
    for loss in plan.losses:
        output.warning(f"lost: {loss}")


def _confirm_losses(losses: list[str]) -> None:
    if not prompts.interactive():
        raise MizzleError(
            f"push would lose data: {'; '.join(losses)}. Pass --force to push anyway "
            "(--dry-run shows the SQL), or --rename if something was renamed"
        )
    for loss in losses:
        output.warning(f"this push loses data: {loss}")
    if not prompts.confirm("push anyway?"):
        raise MizzleError("push cancelled: nothing was changed")
