"""PostgreSQL DDL files as a schema source: `reader.parse_ddl` turns a `.sql` file into the
neutral model (`split`: statements and tokens, `draft`: tables being built, `alter`: the
`ALTER TABLE` forms pg_dump writes)."""
