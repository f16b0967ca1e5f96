"""What one `mizzle` invocation shares between the global options and the command: the
options, the configuration (read only when a command needs it) and the passwords to keep
out of foreign text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from mizzle.app.config import Config, ConfigNotFound, load_config
from mizzle.app.database import dialect_names, parse_url
from mizzle.cli import output
from mizzle.cli.output import Secrets
from mizzle.core.errors import ConfigError
from mizzle.core.urls import DatabaseURL


def known_dialect(value: str | None) -> str | None:
    """The callback of a `--dialect` option: a known dialect's name (`mizzle.dialects.REGISTRY`,
    read when the command runs, so a dialect registered by a plugin is a choice too)."""
    if value is not None and value not in dialect_names():
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(dialect_names())}")
    return value


@dataclass
class Session:
    config_path: Path | None = None
    debug: bool = False
    secrets: Secrets = field(default_factory=Secrets)
    _config: Config | None = None

    def config(self) -> Config:
        """The project configuration; ConfigError when there is none or it is wrong."""
        if self._config is None:
            self._config = load_config(config_path=self.config_path)
        return self._config

    def optional_config(self) -> Config | None:
        """The configuration, or None when no config file exists (a broken one still fails)."""
        try:
            return self.config()
        except ConfigNotFound:
            return None

    def database(self, text: str, base_dir: Path) -> DatabaseURL:
        """Parse a database URL (relative SQLite paths from `base_dir`) and remember its secrets
        so that no foreign text (an exception's message, a traceback) can show them."""
        return self.secrets.remember(parse_url(text, base_dir=base_dir))

    def configured_database(self) -> DatabaseURL:
        config = self.config()
        return self.database(config.database_url(), config.root)

    def optional_database(self, unset: str, hint: str = "") -> DatabaseURL | None:
        """The config's database URL; None when there is none (no config, or no URL in it),
        and None said in a note when it needs a variable that is unset (a CI job with no
        database): `unset` says what goes without it, `hint` what to do about it."""
        config = self.optional_config()
        if config is None or config.database_url_template is None:
            return None
        try:
            return self.configured_database()
        except ConfigError as err:
            output.note(f"{unset}: {err}" + (f"; {hint}" if hint else ""))
            return None


def session_of(ctx: typer.Context) -> Session:
    obj = ctx.find_object(Session)
    return obj if obj is not None else ctx.ensure_object(Session)
