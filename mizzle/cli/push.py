"""`mizzle push`: change a database straight to the schema, without migration files (prototyping)."""

from __future__ import annotations

from typing import Annotated

import typer

from mizzle.cli import output, prompts
from mizzle.cli.database import DbOption, database_url
from mizzle.cli.generate import DropOption, RenameOption, renames_of
from mizzle.cli.session import session_of


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

    session = session_of(ctx)
    config = session.config()
    url = database_url(session, db)
    done = pushing.push(
        config,
        url,
        dry_run=dry_run,
        renames=renames_of(rename, drop),
        ask=prompts.rename_asker() if prompts.interactive() else None,
        force=force,
        confirm=_confirm_losses,
        on_unsupported=lambda unsupported: output.warning(f"not carried by mizzle: {unsupported}"),
    )
    plan = done.plan
    if plan.empty:
        output.line(f"nothing to push: {url.redacted} matches the schema")
        return
    if dry_run:
        typer.echo(plan.script(), nl=False)
        for loss in plan.losses:
            output.warning(f"would lose data: {loss}")
        return
    count = len(plan.operations)
    output.line(
        f"pushed {count} change{'' if count == 1 else 's'} to {url.redacted} ({done.duration_ms} ms)",
    )
    for loss in plan.losses:
        output.warning(f"lost: {loss}")


def _confirm_losses(losses: list[str]) -> None:
    prompts.confirm_losses("push", losses, flags=", or --rename if something was renamed")
