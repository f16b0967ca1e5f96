"""mizzle: one schema, two databases (PostgreSQL on the server, SQLite on the device)."""

__version__ = "0.1.0"
