"""The SQLite dialect: `mizzle.dialects.Dialect` for SQLite (the standard library's sqlite3,
which Pyodide ships too). Each function lives in the module `mizzle.dialects.CONTRACT` names."""

from mizzle.dialects import lazy_package

NAME = "sqlite"
SQLGLOT = "sqlite"
URL_SCHEMES = ("sqlite",)

lazy_package(__name__)
