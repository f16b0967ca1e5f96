"""`mizzle migrate`, `mizzle rollback` and `mizzle status`: the migrations folder against one
database's tracking table, through the migration runner (`mizzle.core.runner`).

migrate and rollback first verify the folder against `mizzle.sum` and refuse to run on any
problem: an edited, missing or colliding migration is settled before anything runs. Each
migration is printed as it commits, so when a later one fails, the ones above the error line
are those that stay applied (or rolled back). A rollback that loses data (rows of a dropped
table, values of a dropped column) lists it with the counts and needs a yes on a terminal,
or --force."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from mizzle.app import migrate as migrating
from mizzle.cli import output
from mizzle.cli.database import DbOption, database_url, migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError
from mizzle.core.runner import Outcome, Report

if TYPE_CHECKING:
    from mizzle.app.rollback import Loss

DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Print the SQL that would run; change nothing.")]


def migrate(
    ctx: typer.Context,
    db: DbOption = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Stop after this migration (e.g. 0003_add_session).", show_default=False),
    ] = None,
    dry_run: DryRunOption = False,
    allow_out_of_order: Annotated[
        bool,
        typer.Option(
            "--allow-out-of-order",
            help="Also apply pending migrations that sort before the last applied one (merged from another branch).",
        ),
    ] = False,
) -> None:
    """Apply the pending migrations to the database, each in its own transaction.

    Pending means not in the database's tracking table (by name, not by date). The folder is
    checked against mizzle.sum first; an applied migration that was edited stops the run.
    """
    session = session_of(ctx)
    url = database_url(session, db)
    done = migrating.migrate(
        url,
        migrations_folder(session),
        to=to,
        dry_run=dry_run,
        allow_out_of_order=allow_out_of_order,
        on_done=_printer("applied"),
    )
    for warning in done.report.warnings:
        output.warning(warning)
    _print(done.report, url.redacted, done.local)


def rollback(
    ctx: typer.Context,
    db: DbOption = None,
    steps: Annotated[
        int | None,
        typer.Option("--steps", help="How many of the last applied migrations to undo [default: 1].", min=1),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Undo every migration applied after this one (it stays applied).", show_default=False
        ),
    ] = None,
    dry_run: DryRunOption = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Roll back even when it loses data, without asking.")
    ] = False,
) -> None:
    """Undo applied migrations with their down files, newest first, each in its own transaction.

    What it would destroy (rows of a dropped table, values of a dropped column, as the down
    files' headers say) is counted first and needs a yes on a terminal, or --force.
    """
    if steps is not None and to is not None:
        raise typer.BadParameter("give --steps or --to, not both", param_hint="--steps / --to")
    session = session_of(ctx)
    url = database_url(session, db)
    done = migrating.rollback(
        url,
        migrations_folder(session),
        steps=steps or 1,
        to=to,
        dry_run=dry_run,
        force=force,
        confirm=_confirm_losses,
        on_done=_printer("rolled back"),
    )
    _print(done.report, url.redacted, None)
    for loss in done.losses:
        if dry_run:
            output.warning(f"would lose: {loss}")
        elif loss.real:  # a count of 0 lost nothing
            output.warning(f"lost: {loss}")


def _confirm_losses(losses: list[Loss]) -> None:
    from mizzle.cli import prompts  # rich's prompts: only when there is something to confirm

    prompts.confirm_losses("rollback", losses)


def status(ctx: typer.Context, db: DbOption = None) -> None:
    """List the applied migrations (with when and how long), the pending ones, and problems.

    Exit code 1 when there is a problem: an applied migration edited or missing locally, an
    out-of-order pending one, or the folder failing its mizzle.sum check.
    """
    session = session_of(ctx)
    url = database_url(session, db)
    found = migrating.status(url, migrations_folder(session))
    st, problems = found.status, found.problems

    out = output.line
    out(f"{url.redacted}: {len(st.applied)} applied, {len(st.pending)} pending")
    width = max((len(name) for name in [*(a.name for a in st.applied), *st.pending]), default=0)
    for row in st.applied:
        out(f"  applied  {row.name:<{width}}  {row.applied_at}  {row.duration_ms} ms")
    for name in st.pending:
        out(f"  pending  {name}")
    for problem in problems:
        out(f"  problem  {problem}")
    if problems:
        raise MizzleError(f"{len(problems)} problem{'' if len(problems) == 1 else 's'} (listed above)")


def _printer(verb: str) -> Callable[[Outcome], None]:
    """Print one migration's line as soon as it has committed (the runner's `on_done`)."""

    def done(outcome: Outcome) -> None:
        if outcome.skipped:
            output.line(f"skipped {outcome.name}: another process {verb} it meanwhile")
        else:
            output.line(f"{verb} {outcome.name} ({outcome.duration_ms} ms)")

    return done


def _print(report: Report, where: str, local: int | None) -> None:
    """What follows the migrations' own lines (printed as each committed): a dry run's SQL, or
    that there was nothing to do."""
    out = output.line  # plain lines: no markup to escape, and no rich to import
    if report.dry_run:
        if report.outcomes:
            typer.echo(report.sql(), nl=False)
        else:
            out(f"nothing to {'apply' if report.direction == 'up' else 'roll back'} on {where}")
        return
    if not report.done:
        if report.direction == "up":
            out(f"nothing to apply: {where} is up to date ({local} migrations)")
        elif not report.outcomes:
            out(f"nothing to roll back on {where}")
