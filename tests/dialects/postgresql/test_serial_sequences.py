"""A serial's own sequence where it is not the one `serial`/`bigserial` makes (`Column.sequence`):
read from a real database (a bigint sequence of an integer column, a START of 10000000), made
by a fresh database as the model says, and changed by ALTER SEQUENCE keeping the values
handed out (undone the same way). SQLite's rowid alias has none of it."""

from __future__ import annotations

import pytest

from mizzle.core.diff import diff
from mizzle.core.model import Column, Schema, SerialSequence
from mizzle.core.types import t
from mizzle.dialects.postgresql import connect, introspect, plan, render_schema
from mizzle.dialects.sqlite.capabilities import project
from mizzle.dialects.urls import parse_url
from tests.dialects.postgresql.planning import RoundTrip, fetch, open_database, round_trip, run_plan, table


def serial(kind: str = "serial", **options: object) -> Column:
    sequence = SerialSequence.model_validate(options) if options else None
    return Column(name="id", type=t(kind), sequence=sequence)


def schema(column: Column) -> Schema:
    return Schema(tables=(table("w", column, Column(name="n", type=t("text"))),))


BIG_START = schema(serial("bigserial", start=10000000))
BIGINT_SEQUENCE = schema(serial(data_type="bigint"))


def test_what_the_serial_makes_anyway_is_no_sequence_of_its_own() -> None:
    assert serial(data_type="integer", start=1, cache=1, max_value=2**31 - 1).sequence is None
    assert serial("bigserial", data_type="bigint", min_value=1).sequence is None
    kept = serial(data_type="bigint", max_value=2**63 - 1, start=1).sequence
    assert kept == SerialSequence(data_type="bigint")
    with pytest.raises(ValueError, match="only a serial or bigserial column has sequence options"):
        Column(name="id", type=t("integer"), sequence=SerialSequence(start=2))


def test_a_fresh_database_makes_the_sequence_the_model_holds() -> None:
    statements = render_schema(BIG_START)
    assert "ALTER SEQUENCE w_id_seq START WITH 10000000 RESTART" in statements
    assert "ALTER SEQUENCE w_id_seq AS bigint RESTART" in render_schema(BIGINT_SEQUENCE)


def test_a_database_made_by_hand_reads_back_as_serials_with_their_sequences(pg_url: str) -> None:
    with connect(parse_url(pg_url)) as conn:
        conn.execute(
            b"""CREATE TABLE a (id integer NOT NULL PRIMARY KEY);
                CREATE SEQUENCE a_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
                ALTER SEQUENCE a_id_seq OWNED BY a.id;
                ALTER TABLE a ALTER COLUMN id SET DEFAULT nextval('a_id_seq'::regclass);
                CREATE TABLE b (id bigserial PRIMARY KEY);
                ALTER SEQUENCE b_id_seq START WITH 10000000 CYCLE;
                CREATE TABLE c (id serial PRIMARY KEY)"""
        )
        conn.commit()
        found = introspect(conn)
    assert found.unsupported == ()
    a, b, c = found.schema.tables
    assert (a.columns[0].type, a.columns[0].sequence) == (t("serial"), SerialSequence(data_type="bigint"))
    assert (b.columns[0].type, b.columns[0].sequence) == (t("bigserial"), SerialSequence(start=10000000, cycle=True))
    assert (c.columns[0].type, c.columns[0].sequence) == (t("serial"), None)
    assert found.schema.sequences == ()


@pytest.mark.parametrize("target", [BIG_START, BIGINT_SEQUENCE], ids=["start", "type"])
def test_a_schema_built_fresh_reads_back_equal(pg_url: str, target: Schema) -> None:
    with open_database(pg_url, target) as conn:
        assert introspect(conn).schema == target
        assert fetch(conn, "SELECT nextval(pg_get_serial_sequence('w', 'id'))") == [
            (10000000 if target is BIG_START else 1,)
        ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (schema(serial("bigserial")), BIG_START),
        (BIG_START, schema(serial("bigserial", start=20000000, increment=2, cache=10))),
        (schema(serial()), BIGINT_SEQUENCE),
        (BIGINT_SEQUENCE, schema(serial("bigserial"))),
    ],
    ids=["set-start", "change-options", "widen-sequence", "to-bigserial"],
)
def test_a_changed_sequence_is_altered_keeping_its_value_and_undone(pg_url: str, before: Schema, after: Schema) -> None:
    ops = diff(before, after)
    assert [type(op).__name__ for op in ops] == ["AlterColumn"]
    rows = ("INSERT INTO w (n) VALUES ('a'), ('b')",)
    kept = [("a",), ("b",)]
    case = RoundTrip("sequence", before, ops, rows=rows, read="SELECT n FROM w ORDER BY id", up=kept, down=kept)
    p = round_trip(pg_url, case)
    text = "\n".join(s for step in p.steps for s in step.statements)
    assert "ALTER SEQUENCE %s" in text and "RESTART" not in text


def test_the_next_value_follows_the_rows_after_a_change(pg_url: str) -> None:
    before, after = schema(serial("bigserial")), BIG_START
    with open_database(pg_url, before, ("INSERT INTO w (n) VALUES ('a'), ('b')",)) as conn:
        run_plan(conn, plan(diff(before, after), before, after))
        assert introspect(conn).schema == after
        assert fetch(conn, "INSERT INTO w (n) VALUES ('c') RETURNING id") == [(3,)]


def test_sqlite_leaves_the_sequence_out_and_says_so() -> None:
    projected, notes = project(BIG_START)
    assert projected.tables[0].columns[0] == Column(name="id", type=t("serial"))
    assert 'table "w", column "id": SQLite\'s rowid alias has no sequence options; left out' in notes
