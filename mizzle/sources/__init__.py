"""Every way to write a schema, and back: one folder per source.

- `dsl/`: Python classes (`mizzle.dsl`), and the writer `pull` uses to turn a model back
  into such a module;
- `sql/`: PostgreSQL DDL files (`schema.sql`, as `pg_dump --schema-only` writes them);
- `load.py`: the config's `schema` setting → the neutral model, whichever source it names.

A source reads into `mizzle.core.model` and may use the dialects (the `.sql` reader uses
PostgreSQL's type spellings); nothing below this floor imports it.
"""
