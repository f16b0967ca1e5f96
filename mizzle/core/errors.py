"""Error types. Each carries a one-line message meant for the user; the CLI prints it, never a traceback."""

from __future__ import annotations


class MizzleError(Exception):
    """Base of every error mizzle raises on purpose. `str(err)` is the user-facing line."""

    exit_code = 1


class SchemaError(MizzleError):
    """The schema (DSL module, DDL file or model) is invalid: the message names the place."""


class SchemaSyntaxError(SchemaError):
    """A schema source could not be parsed."""


class UnsupportedError(SchemaError):
    """A target dialect cannot hold something the schema asks for."""


class ConfigError(MizzleError):
    """mizzle.toml / pyproject.toml / environment is missing or wrong."""


class DatabaseURLError(MizzleError):
    """A database URL is malformed or names an unknown scheme."""


class ConnectionFailed(MizzleError):
    """A database could not be reached or refused the credentials."""


class IntrospectionError(MizzleError):
    """A live database holds something mizzle failed to read."""
