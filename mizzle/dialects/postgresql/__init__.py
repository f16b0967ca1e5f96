"""The PostgreSQL dialect: `mizzle.dialects.Dialect` for PostgreSQL (psycopg 3). Each function
lives in the module `mizzle.dialects.CONTRACT` names.

psycopg is imported only where a connection is used, so rendering PostgreSQL DDL, reading
`.sql` schema files and the type tables work where psycopg is absent (Pyodide).
"""

from mizzle.dialects import lazy_package

NAME = "postgresql"
SQLGLOT = "postgres"
URL_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")

lazy_package(__name__)
