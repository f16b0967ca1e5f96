"""Details of a real PostgreSQL schema that Danbooru and Pagila hold, on a real database: pulled to
`.sql` and to `.py`, exported and applied to a fresh database, the catalog comes back
identical, and pushing the pulled schema back plans nothing:

- index keys with operator classes (`text_pattern_ops`, pg_trgm's `gin_trgm_ops`, one in
  another schema), with DESC and on expressions, and with collations other than their
  columns'; a default operator class written out is none;
- serials whose sequence is not the one `serial` makes: a bigint sequence of an integer
  column, a START of 10000000, an increment and a cache;
- a text-cast literal default on a varchar column (`'active'::text`), kept as written.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from mizzle.app.database import parse_url
from tests.catalog import diff
from tests.corpus_apps import psql
from tests.pg import fresh_database, need_extensions
from tests.roundtrip.full_catalog import full_snapshot
from tests.roundtrip.test_pg_roundtrip import mizzle

SCHEMA = """
CREATE SCHEMA ext;
CREATE EXTENSION pg_trgm SCHEMA ext;
CREATE TABLE sessions (
  id serial PRIMARY KEY,
  status varchar NOT NULL DEFAULT 'active'::text,
  kind character varying(20) DEFAULT 'web'::character varying,
  name text,
  token uuid
);
ALTER SEQUENCE sessions_id_seq AS bigint START WITH 10000000 RESTART;
CREATE TABLE votes (id bigserial PRIMARY KEY, session_id int REFERENCES sessions (id));
ALTER SEQUENCE votes_id_seq INCREMENT BY 5 CACHE 20;
CREATE SEQUENCE tags_id_seq AS integer START WITH 100;
CREATE TABLE tags (id integer NOT NULL DEFAULT nextval('tags_id_seq'::regclass) PRIMARY KEY, name varchar(40));
ALTER SEQUENCE tags_id_seq OWNED BY tags.id;
CREATE INDEX sessions_name_pattern ON sessions (name text_pattern_ops);
CREATE INDEX sessions_lower_name ON sessions (lower(name) text_pattern_ops DESC NULLS LAST, status);
CREATE INDEX sessions_name_trgm ON sessions USING gin (name ext.gin_trgm_ops);
CREATE INDEX sessions_token ON sessions USING btree (token uuid_ops, name text_ops);
CREATE INDEX tags_name_prefix ON tags (name varchar_pattern_ops);
CREATE INDEX tags_name_c ON tags (name COLLATE "C" DESC, id);
CREATE INDEX sessions_status_c ON sessions (status COLLATE "POSIX" text_pattern_ops);
"""


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["sql", "py"])
def test_operator_classes_serial_sequences_and_cast_literals_come_back(fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "source.sql"
    source.write_text(SCHEMA, encoding="utf-8")
    with fresh_database("w5details") as original, fresh_database("w5detailscopy") as copy:
        need_extensions(original, "pg_trgm")
        psql(original, source)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema_file)
        assert pulled.returncode == 0, pulled.stderr
        assert "index" not in pulled.stderr and "sequence" not in pulled.stderr, pulled.stderr
        text = schema_file.read_text(encoding="utf-8")
        assert "text_pattern_ops" in text and "ext.gin_trgm_ops" in text
        assert "uuid_ops" not in text and "text_ops" not in text.replace("text_pattern_ops", "")
        assert "'active'::text" in text
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text("CREATE SCHEMA ext;\nCREATE EXTENSION pg_trgm SCHEMA ext;\n" + exported.stdout, encoding="utf-8")
        psql(copy, ddl)
        before, after = full_snapshot(original, ("public",)), full_snapshot(copy, ("public",))
        assert diff(before, after) == []
        assert after[("sequence", "sessions_id_seq")] == ("bigint", 10000000, 1, 1, 2**63 - 1, 1, False)
        assert after[("sequence", "votes_id_seq")] == ("bigint", 1, 5, 1, 2**63 - 1, 20, False)
        assert after[("sequence", "tags_id_seq")] == ("integer", 100, 1, 1, 2**31 - 1, 1, False)

        # a fresh database hands out what the original's first row got
        first = "INSERT INTO sessions (name) VALUES ('a') RETURNING id"
        assert _one(original, first) == _one(copy, first) == 10000000

        (tmp_path / "mizzle.toml").write_text(f'schema = "{schema_file.name}"\ndialects = ["postgresql"]\n')
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout == f"nothing to push: {parse_url(original).redacted} matches the schema\n"


@pytest.mark.postgres
def test_a_changed_operator_class_rebuilds_the_index_and_a_changed_sequence_keeps_its_value(tmp_path: Path) -> None:
    source = tmp_path / "source.sql"
    source.write_text(SCHEMA, encoding="utf-8")
    with fresh_database("w5details") as original:
        need_extensions(original, "pg_trgm")
        psql(original, source)
        _one(original, "INSERT INTO sessions (name) VALUES ('a'), ('b') RETURNING id")
        schema_file = tmp_path / "schema.sql"
        assert mizzle("pull", "--db", original, "--out", schema_file).returncode == 0
        (tmp_path / "mizzle.toml").write_text('schema = "schema.sql"\ndialects = ["postgresql"]\n')
        pulled = schema_file.read_text(encoding="utf-8")
        changed = pulled.replace("(name text_pattern_ops)", "(name varchar_pattern_ops)")
        changed = changed.replace("AS bigint START WITH 10000000", "AS bigint START WITH 20000000 INCREMENT BY 2")
        assert changed.count("varchar_pattern_ops") == 2 and "START WITH 20000000" in changed
        schema_file.write_text(changed, encoding="utf-8")
        pushed = mizzle("push", "--db", original, cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        snapshot = full_snapshot(original, ("public",))
        index = snapshot[("index", "sessions.sessions_name_pattern")]
        assert index == "CREATE INDEX sessions_name_pattern ON sessions USING btree (name varchar_pattern_ops)"
        assert snapshot[("sequence", "sessions_id_seq")] == ("bigint", 20000000, 2, 1, 2**63 - 1, 1, False)
        # the values handed out are kept: the next id follows the last one, with the new increment
        assert _one(original, "INSERT INTO sessions (name) VALUES ('c') RETURNING id") == 10000001 + 2

        again = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert again.stdout.startswith("nothing to push"), again.stdout


def _one(url: str, query: str) -> object:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query.encode()).fetchall()[-1]
    return row[0]
