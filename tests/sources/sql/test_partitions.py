"""Declarative partitioning in a `.sql` schema and in the DSL (`core/partitions.py`): written by
hand, or as pg_dump writes it (partitions made as tables, then attached; the copies of the
parent's index attached with ALTER INDEX), both read as one model; the DSL's writer gives
back code that loads the same model."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.partitions import Partition, PartitionConstraint, parse_partition_key
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.load import load_schema
from mizzle.sources.sql.reader import parse_ddl

BY_HAND = """
CREATE TABLE customer (id int PRIMARY KEY);
CREATE TABLE payment (id int NOT NULL, at date NOT NULL, customer_id int, PRIMARY KEY (at, id))
    PARTITION BY RANGE (at);
CREATE INDEX payment_customer ON payment (customer_id);
CREATE TABLE payment_2024 PARTITION OF payment FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE payment_2025 PARTITION OF payment FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
    PARTITION BY HASH (id);
CREATE TABLE payment_2025_0 PARTITION OF payment_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE payment_other PARTITION OF payment DEFAULT;
CREATE INDEX payment_2024_id ON payment_2024 (id);
ALTER TABLE payment_2024 ADD CONSTRAINT payment_2024_customer_fkey FOREIGN KEY (customer_id) REFERENCES customer(id);
GRANT SELECT ON payment_2024 TO PUBLIC;
"""

#: the same schema as pg_dump writes it
DUMPED = """
CREATE TABLE public.customer (id integer NOT NULL);
CREATE TABLE public.payment (id integer NOT NULL, at date NOT NULL, customer_id integer)
PARTITION BY RANGE (at);
CREATE TABLE public.payment_2024 (id integer NOT NULL, at date NOT NULL, customer_id integer);
CREATE TABLE public.payment_2025 (id integer NOT NULL, at date NOT NULL, customer_id integer)
PARTITION BY HASH (id);
CREATE TABLE public.payment_2025_0 (id integer NOT NULL, at date NOT NULL, customer_id integer);
CREATE TABLE public.payment_other (id integer NOT NULL, at date NOT NULL, customer_id integer);
ALTER TABLE ONLY public.payment ATTACH PARTITION public.payment_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY public.payment ATTACH PARTITION public.payment_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ONLY public.payment_2025 ATTACH PARTITION public.payment_2025_0 FOR VALUES WITH (modulus 2, remainder 0);
ALTER TABLE ONLY public.payment ATTACH PARTITION public.payment_other DEFAULT;
ALTER TABLE ONLY public.customer ADD CONSTRAINT customer_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.payment ADD CONSTRAINT payment_pkey PRIMARY KEY (at, id);
ALTER TABLE ONLY public.payment_2024 ADD CONSTRAINT payment_2024_pkey PRIMARY KEY (at, id);
CREATE INDEX payment_customer ON ONLY public.payment USING btree (customer_id);
CREATE INDEX payment_2024_customer_id_idx ON public.payment_2024 USING btree (customer_id);
CREATE INDEX payment_2024_id ON public.payment_2024 USING btree (id);
ALTER INDEX public.payment_pkey ATTACH PARTITION public.payment_2024_pkey;
ALTER INDEX public.payment_customer ATTACH PARTITION public.payment_2024_customer_id_idx;
ALTER TABLE ONLY public.payment_2024
    ADD CONSTRAINT payment_2024_customer_fkey FOREIGN KEY (customer_id) REFERENCES public.customer(id);
GRANT SELECT ON TABLE public.payment_2024 TO PUBLIC;
"""


def test_a_partitioned_table_and_its_partitions_read_alike_by_hand_and_from_pg_dump() -> None:
    by_hand, dumped = parse_ddl(BY_HAND), parse_ddl(DUMPED)
    assert by_hand.unsupported == () and dumped.unsupported == ()
    payment = by_hand.schema.table("payment")
    assert payment is not None and payment.partition_by == parse_partition_key("RANGE (at)")
    by_name = {p.name: p for p in by_hand.schema.partitions}
    fkey = "FOREIGN KEY (customer_id) REFERENCES customer(id)"
    assert by_name["payment_2024"].constraints == (
        PartitionConstraint(name="payment_2024_customer_fkey", definition=fkey),
    )
    assert by_name["payment_2025"].partition_by == parse_partition_key("HASH (id)")
    assert by_name["payment_2025_0"] == Partition(
        name="payment_2025_0", parent="payment_2025", bound="FOR VALUES WITH (modulus 2, remainder 0)"
    )
    assert by_name["payment_other"].is_default
    assert [g.object for g in by_hand.schema.security.grants] == ["payment_2024"]
    # pg_dump's copies of the parent's key and index are PostgreSQL's, not the partition's own
    (dumped_index,) = {p.name: p for p in dumped.schema.partitions}["payment_2024"].indexes
    assert dumped_index == "CREATE INDEX payment_2024_id ON public.payment_2024 USING btree (id)"
    assert by_name["payment_2024"].indexes == ("CREATE INDEX payment_2024_id ON payment_2024 (id)",)
    same = [p.model_copy(update={"indexes": ()}) for p in dumped.schema.partitions]
    assert same == [p.model_copy(update={"indexes": ()}) for p in by_hand.schema.partitions]
    assert dumped.schema.tables == by_hand.schema.tables


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        (
            "CREATE TABLE p (a int); CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)",
            'partition "p1": table "p" is not partitioned',
        ),
        ("CREATE TABLE p1 PARTITION OF nowhere FOR VALUES IN (1)", 'the file does not create table "nowhere"'),
        (
            "CREATE TABLE p (a int) PARTITION BY LIST (a);"
            "CREATE TABLE p1 PARTITION OF p (CHECK (a > 0)) FOR VALUES IN (1)",
            "columns or constraints declared in CREATE TABLE ... PARTITION OF are not carried",
        ),
    ],
)
def test_what_cannot_be_a_partition_is_refused_in_one_line(ddl: str, message: str) -> None:
    with pytest.raises(SchemaError) as refused:
        parse_ddl(ddl)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_the_python_the_writer_gives_loads_the_same_partitions(tmp_path: Path) -> None:
    schema = parse_ddl(BY_HAND).schema
    path = tmp_path / "schema.py"
    path.write_text(schema_to_python(schema), encoding="utf-8")
    text = path.read_text()
    assert '__partition_by__ = "RANGE (at)"' in text and "partition(" in text
    loaded = load_schema(path).schema
    assert loaded.partitions == schema.partitions
    assert loaded.tables == schema.tables


def test_a_partitions_own_trigger_is_named_as_introspection_names_it() -> None:
    read = parse_ddl(
        BY_HAND
        + "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
        + "CREATE TRIGGER on_all BEFORE INSERT ON payment FOR EACH ROW EXECUTE FUNCTION touch();"
        + "CREATE TRIGGER on_one BEFORE INSERT ON payment_2024 FOR EACH ROW EXECUTE FUNCTION touch();"
    )
    payment = read.schema.table("payment")
    assert payment is not None and [t.name for t in payment.triggers] == ["on_all"]
    assert [str(u) for u in read.unsupported] == ["trigger on_one: on payment_2024; not modelled"]
