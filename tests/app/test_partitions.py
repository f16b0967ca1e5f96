"""Declarative partitioning (`core/partitions.py`) through push, generate, migrate and rollback
with rows, on both databases: on PostgreSQL rows inserted into the partitioned table land in
the partition their key falls in, a partition comes and goes by ATTACH/DETACH, another bound
keeps the rows (DETACH, then ATTACH), and a changed partition key is refused in one line; on
SQLite the partitioned table is one plain table holding every row, and the migration's header
says so."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from mizzle.app.generate import generate
from mizzle.app.migrate import migrate, rollback
from mizzle.app.pull import pull
from mizzle.app.push import push
from mizzle.core.errors import MizzleError
from mizzle.core.urls import DatabaseURL
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.app.conftest import Project
from tests.cli.project import sql

SCHEMA = """
from mizzle.dsl import Table, integer, numeric, partition, primary_key, text, timestamptz


class Payment(Table):
    id = integer().not_null()
    paid_at = timestamptz().not_null()
    amount = numeric(5, 2).not_null()
    note = text()
    __primary_key__ = primary_key("paid_at", "id")
    __partition_by__ = "RANGE (paid_at)"


P2025 = partition(
    "payment_2025",
    of="payment",
    values="FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')",
    indexes=["CREATE INDEX payment_2025_note ON public.payment_2025 USING btree (note)"],
    constraints={"payment_2025_amount_check": "CHECK ((amount > (0)::numeric))"},
)
P2026 = partition(
    "payment_2026", of="payment", values="FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')"
)
"""

ROWS = (
    "INSERT INTO payment (id, paid_at, amount) VALUES"
    " (1, '2025-03-01 00:00:00+00', 10), (2, '2026-03-01 00:00:00+00', 20), (3, '2026-07-01 00:00:00+00', 30)"
)
WHERE = "SELECT tableoid::regclass::text, id FROM payment ORDER BY id"


@pytest.fixture
def partitioned(project: Project) -> Project:
    project.write_schema(SCHEMA)
    return project


def _partitions(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c"
            " WHERE c.relispartition AND c.relkind IN ('r', 'p') ORDER BY 1"
        ).fetchall()
        return [(str(a), str(b)) for a, b in rows]


def test_push_partitions_the_table_and_a_second_push_finds_nothing(partitioned: Project, db_url: DatabaseURL) -> None:
    done = push(partitioned.config, db_url)
    sql(db_url.url, ROWS)
    if db_url.dialect == "postgresql":
        assert [op.describe() for op in done.plan.operations] == [
            "create table payment",
            "create partition payment_2025",
            "create partition payment_2026",
        ]
        assert sql(db_url.url, WHERE) == [("payment_2025", 1), ("payment_2026", 2), ("payment_2026", 3)]
        # its own index and check, beside the copy of the parent's key PostgreSQL made
        indexes = sql(db_url.url, "SELECT indexname FROM pg_indexes WHERE tablename = 'payment_2025' ORDER BY 1")
        assert indexes == [("payment_2025_note",), ("payment_2025_pkey",)]
        with pytest.raises(psycopg.errors.CheckViolation):
            sql(db_url.url, "INSERT INTO payment (id, paid_at, amount) VALUES (9, '2025-05-01', -1)")
        with pytest.raises(psycopg.errors.CheckViolation):  # no partition holds 2030
            sql(db_url.url, "INSERT INTO payment (id, paid_at, amount) VALUES (9, '2030-05-01', 1)")
    else:  # one plain table, every row in it
        assert [op.describe() for op in done.plan.operations] == ["create table payment"]
        assert sql(db_url.url, "SELECT id FROM payment ORDER BY id") == [(1,), (2,), (3,)]
    again = push(partitioned.config, db_url).plan
    assert again.empty, [op.describe() for op in again.plan.operations]


def test_partitions_come_go_and_move_with_rows_kept_and_roll_back(partitioned: Project, db_url: DatabaseURL) -> None:
    first = generate(partitioned.config, name="init").path
    assert first is not None
    if db_url.dialect == "sqlite":
        head = [line for line in (first / "sqlite.sql").read_text().splitlines() if "server-only" in line]
        assert head == [
            "-- server-only: 2 partitions: PostgreSQL only, not on SQLite",
            "-- server-only: 1 partitioned table: one plain table on SQLite",
        ], head
    migrate(db_url, partitioned.folder)
    sql(db_url.url, ROWS)
    # a new partition, 2026 cut in two halves (its rows stay where their key falls), 2025 gone
    text = partitioned.schema.read_text()
    text = text.replace("TO ('2027-01-01 00:00:00+00')", "TO ('2026-07-01 00:00:00+00')")
    text = text[: text.index("P2025 = ")] + text[text.index("P2026 = ") :]
    text += (
        'P2026b = partition("payment_2026b", of="payment",'
        " values=\"FOR VALUES FROM ('2026-07-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')\")\n"
        'Other = partition("payment_other", of="payment", values="DEFAULT")\n'
    )
    partitioned.schema.write_text(text)
    sql(db_url.url, "DELETE FROM payment WHERE id = 3")  # 2026-07 no longer fits payment_2026
    done = generate(partitioned.config, name="halves")
    assert done.path is not None
    migrate(db_url, partitioned.folder)
    if db_url.dialect == "postgresql":
        up = (done.path / "postgresql.sql").read_text()
        assert "ALTER TABLE payment DETACH PARTITION payment_2025" in up and "DROP TABLE payment_2025" in up
        assert "ALTER TABLE payment DETACH PARTITION payment_2026" in up
        assert "ALTER TABLE payment ATTACH PARTITION payment_2026 FOR VALUES FROM" in up
        assert _partitions(db_url.url) == [
            ("payment_2026", "FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-07-01 00:00:00+00')"),
            ("payment_2026b", "FOR VALUES FROM ('2026-07-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')"),
            ("payment_other", "DEFAULT"),
        ]
        # the 2025 row went with its partition; new rows land where their key falls
        sql(db_url.url, ROWS.replace("(2, '2026-03-01 00:00:00+00', 20), ", ""))
        assert sql(db_url.url, WHERE) == [("payment_other", 1), ("payment_2026", 2), ("payment_2026b", 3)]
    else:
        head = next(line for line in (done.path / "sqlite.sql").read_text().splitlines() if "server-only" in line)
        assert head == "-- server-only: 4 partitions: PostgreSQL only, not on SQLite", head
        assert sql(db_url.url, "SELECT id FROM payment ORDER BY id") == [(1,), (2,)]
    sql(db_url.url, "DELETE FROM payment WHERE id IN (1, 3)")
    rollback(db_url, partitioned.folder, steps=1, force=True)
    assert sql(db_url.url, "SELECT id FROM payment ORDER BY id") == [(2,)]
    if db_url.dialect == "postgresql":
        assert [name for name, _ in _partitions(db_url.url)] == ["payment_2025", "payment_2026"]


def test_a_changed_partition_key_is_refused_in_one_line(partitioned: Project, db_url: DatabaseURL) -> None:
    generate(partitioned.config, name="init")
    migrate(db_url, partitioned.folder)
    partitioned.edit_schema('__partition_by__ = "RANGE (paid_at)"', '__partition_by__ = "RANGE (paid_at, id)"')
    if db_url.dialect == "sqlite":
        push(partitioned.config, db_url)  # nothing on SQLite: the table is a plain one there
        return
    with pytest.raises(MizzleError) as refused:
        push(partitioned.config, db_url)
    message = str(refused.value)
    assert message == (
        "table payment: the partition key changes (RANGE (paid_at) -> RANGE (paid_at, id)), which PostgreSQL "
        "cannot do in place; mizzle refuses it: make the table again in a custom migration (generate --custom) "
        "and move its rows"
    )
    assert "\n" not in message


#: partitions written by hand: PostgreSQL prints the bounds, the index and the key its own way
HAND_WRITTEN = """
CREATE TABLE customer (id int PRIMARY KEY);
CREATE TABLE payment (id int NOT NULL, paid_at timestamptz NOT NULL, customer_id int, note text,
                      PRIMARY KEY (paid_at, id)) PARTITION BY RANGE (paid_at);
CREATE TABLE payment_2025 PARTITION OF payment FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE payment_rest PARTITION OF payment DEFAULT;
CREATE INDEX payment_2025_note ON payment_2025 (note);
ALTER TABLE payment_2025 ADD CONSTRAINT payment_2025_customer FOREIGN KEY (customer_id) REFERENCES public.customer;
"""


@pytest.mark.postgres
def test_partitions_written_by_hand_push_once_and_then_nothing(project: Project, pg_url: str) -> None:
    db_url = parse_url(pg_url)
    (project.root / "schema.sql").write_text(HAND_WRITTEN)
    (project.root / "mizzle.toml").write_text('schema = "schema.sql"\ndialects = ["postgresql"]\n')
    first = push(project.config, db_url).plan
    assert [op.describe() for op in first.operations][-2:] == [
        "create partition payment_2025",
        "create partition payment_rest",
    ]
    sql(db_url.url, "INSERT INTO customer VALUES (1); INSERT INTO payment VALUES (1, '2025-05-01', 1, 'x')")
    again = push(project.config, db_url).plan
    assert again.empty, [op.describe() for op in again.plan.operations]
    assert sql(db_url.url, WHERE) == [("payment_2025", 1)]


def test_the_example_of_schema_md_loads(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "docs" / "schema.md").read_text()
    section = text.split("### Partitioned tables and partitions", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```py\n(.*?)```", section, flags=re.DOTALL)
    (tmp_path / "schema.py").write_text(block)
    schema = load_schema(tmp_path / "schema.py").schema
    payment = schema.table("payment")
    assert payment is not None and payment.partition_by is not None
    assert [(p.name, p.parent, p.is_default) for p in schema.partitions] == [
        ("payment_2025", "payment", False),
        ("payment_2026", "payment", False),
        ("payment_rest", "payment", True),
    ]
    assert schema.partitions[1].partition_by is not None


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["sql", "py"])
def test_a_partitions_grants_and_comment_are_pulled_and_pushed_back_unchanged(
    project: Project, pg_url: str, fmt: str
) -> None:
    sql(pg_url, HAND_WRITTEN)
    sql(pg_url, "GRANT SELECT ON payment_2025 TO PUBLIC; COMMENT ON TABLE payment_2025 IS 'the year 2025'")
    out = project.root / f"schema.{fmt}"
    pull(parse_url(pg_url), out, force=True)
    (project.root / "mizzle.toml").write_text(f'schema = "schema.{fmt}"\ndialects = ["postgresql"]\n')
    schema = load_schema(out).schema
    assert [(g.object, g.privilege) for g in schema.security.grants] == [("payment_2025", "SELECT")]
    assert [(c.on, c.object, c.text) for c in schema.security.comments] == [("table", "payment_2025", "the year 2025")]
    again = push(project.config, parse_url(pg_url)).plan
    assert again.empty, [op.describe() for op in again.plan.operations]
