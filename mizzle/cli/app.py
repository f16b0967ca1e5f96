"""The `mizzle` command: global options, the command table, and `main()`, which turns every
failure into one `error:` line and an exit code (1 for errors, 2 for usage, 130 for Ctrl-C)."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperOption

from mizzle import __version__
from mizzle.app.database import parse_url
from mizzle.cli import output
from mizzle.cli.coercion import plain_coercion
from mizzle.cli.lazy import lazy_group
from mizzle.cli.output import Secrets
from mizzle.cli.session import Session, session_of
from mizzle.core.errors import MizzleError

HELP_OPTIONS = ["-h", "--help"]

#: The commands, in the order `--help` lists them: name → (module of `mizzle.cli`, function).
#: A command's module is imported only when that command runs or shows its help.
COMMANDS = {
    "export": ("export", "export"),
    "pull": ("pull", "pull"),
    "generate": ("generate", "generate"),
    "migrate": ("migrate", "migrate"),
    "rollback": ("migrate", "rollback"),
    "status": ("migrate", "status"),
    "push": ("push", "push"),
    "check": ("check", "check"),
    "hash": ("check", "hash_sum"),
    "rebase": ("rebase", "rebase"),
    "bundle": ("bundle", "bundle"),
    "baseline": ("adopt", "baseline"),
    "adopt": ("adopt", "adopt"),
    "rehash": ("adopt", "rehash"),
    "studio": ("studio", "studio"),
    # a group (`mizzle sync serve`): the module's Typer app, its subcommands loaded with it
    "sync": ("sync", "sync_app"),
}


def plain_help(command: Any) -> Any:
    """`command` (and its subcommands) with help texts shown as written. Typer renders help
    through rich markup, which takes `[tool.mizzle]` or `[default: ...]` for a style tag and
    drops it; and it labels every flag `<bool>`, though a flag takes no value. (`Any`: typer
    types its commands with the click it vendors privately.) The group's subcommands get it
    as they are loaded."""
    escape = output.escape_markup

    command.help = escape(command.help) if command.help else command.help
    # The help option is made on first use and kept: made here, it can be relabelled too.
    help_option = command.get_help_option(typer.Context(command, help_option_names=HELP_OPTIONS))
    for param in [*command.params, help_option]:
        if isinstance(param, TyperOption):
            param.help = escape(param.help) if param.help else param.help
            if param.is_flag:
                param.metavar = ""
    return command


def prepared(command: Any) -> Any:
    """`command` as mizzle runs it: help as written, values converted without pydantic."""
    plain_help(command)
    # The help option too: typer converts its value like any flag's.
    plain_coercion([*command.params, command.get_help_option(typer.Context(command, help_option_names=HELP_OPTIONS))])
    return command


app = typer.Typer(
    name="mizzle",
    help="One schema, two databases: PostgreSQL on the server, SQLite on the device.",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": HELP_OPTIONS},
    cls=lazy_group(COMMANDS, prepared),
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mizzle {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file: mizzle.toml, or pyproject.toml with [tool.mizzle] [default: searched upward].",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    session = session_of(ctx)
    session.config_path = config
    session.debug = debug


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script passes it to sys.exit)."""
    args = list(sys.argv[1:] if argv is None else argv)
    session = Session(debug="--debug" in args)
    command = prepared(typer.main.get_command(app))
    # A command allocates objects by the hundred thousand (model copies, sqlglot trees) and
    # ends soon after: the cycle collector found little to free and cost `generate` a quarter
    # of its time on a large schema at Python's default threshold (still 6% at a threshold
    # of 50,000). So it is off while a command runs (garbage in cycles waits for the end:
    # some ten MB for 1000 tables); a long-running command would have to turn it back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = command.main(args=args or ["--help"], prog_name="mizzle", obj=session, standalone_mode=False)
    except MizzleError as err:
        _report(session, str(err), args)
        return err.exit_code
    except typer.TyperException as err:  # click's usage errors: bad option, missing value, bad choice
        _report(session, _hide_arguments(_usage_message(err), args), args)
        return err.exit_code
    except typer.Abort:  # EOF at a prompt
        _report(session, "aborted", args)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        line = _hide_arguments(_exception_line(err, session.secrets), args)
        _report(session, f"internal error: {line} (run with --debug for the traceback)", args)
        return 1
    finally:
        if collecting:
            gc.enable()
    return result if isinstance(result, int) else 0


def run() -> NoReturn:
    """The `mizzle` console script: `main()` with the command line, then the process ends
    without tearing the interpreter down (freeing every object one by one and a last cycle
    collection: 0.1 s after a large `generate`). Output is flushed first; files and database
    connections are closed by the commands themselves."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe (`mizzle export | head`)
            stream.flush()
    os._exit(code)


def _report(session: Session, message: str, args: Sequence[str]) -> None:
    """Print `message` (built by mizzle from redacted URLs); with --debug, the traceback first
    (where a usage error's message quotes the arguments as given)."""
    if session.debug:
        sys.stderr.write(_hide_arguments(_traceback(session.secrets), args))
    output.error(message)


_WITHHELD = "(message not shown: it may hold a password)"


def _exception_line(err: BaseException, secrets: Secrets) -> str:
    """`Type: message` of an exception mizzle did not raise on purpose; its message is foreign
    text (a driver's, the standard library's) and is withheld whole if it holds a password."""
    message = str(err)
    return f"{type(err).__name__}: {_WITHHELD if secrets.reveals(message) else message}"


def _traceback(secrets: Secrets) -> str:
    """The current traceback, with the message of each exception in its chain that holds a
    password withheld (a traceback shows code and messages, not the values of variables).
    MizzleError messages are mizzle's own, built from redacted URLs, and stay."""
    text = traceback.format_exc()
    err = sys.exc_info()[1]
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if not isinstance(err, MizzleError) and secrets.reveals(str(err)):
            shown = "".join(traceback.format_exception_only(type(err), err))
            text = text.replace(shown, f"{type(err).__qualname__}: {_WITHHELD}\n")
        err = err.__cause__ or (None if err.__suppress_context__ else err.__context__)
    return text


def _hide_arguments(message: str, args: Sequence[str]) -> str:
    """click's usage messages quote arguments (`Got unexpected extra argument (URL)`): an
    argument that is a database URL is shown redacted, and one that does not parse but could
    hold a password (it has `@`, `:` or `=`) is not shown."""
    for arg in sorted(args, key=len, reverse=True):
        value = arg.partition("=")[2] if arg.startswith("-") else arg
        if not value or value not in message or not any(c in value for c in "@:="):
            continue
        try:
            shown = parse_url(value).redacted
        except MizzleError:
            shown = "an argument not shown: it may hold a password"
        message = message.replace(value, shown)
    return message


def _usage_message(err: typer.TyperException) -> str:
    ctx = getattr(err, "ctx", None)
    command = ctx.command_path if ctx is not None else "mizzle"
    return f"{err.format_message()} (see '{command} --help')"
