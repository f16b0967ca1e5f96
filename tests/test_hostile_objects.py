"""Hostile names and literals in the object kinds beside tables (`test_hostile_input.py` covers
tables, columns, enums, views, checks and defaults): PostgreSQL's domains, standalone
sequences, materialized views (with an index) and aggregates, and SQLite's virtual tables.

Names mix quotes, spaces, Unicode, SQL key words and the migration file's own markers, and
some run past PostgreSQL's 63 bytes (which it truncates); literals hold quotes, backslashes,
line ends and smuggled statements, in a domain's DEFAULT and CHECK, a materialized view's
query and an aggregate's INITCOND. Written as a DSL or a `.sql` schema, they go through the
real commands: generate → migrate (PostgreSQL and SQLite) → check → rollback → migrate →
push (nothing to push) → pull from PostgreSQL → push of the pulled schema (nothing to push),
and a sentinel table's rows survive every run. Bounded like the other property suite
(`hostile` marker, MIZZLE_HOSTILE_EXAMPLES).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, replace

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from mizzle.core.quoting import quoted_name, text_literal
from tests.pg import fresh_database
from tests.test_hostile_input import (
    _EXAMPLES,
    SENTINEL,
    _fits,
    literals,
    mizzle,
    names,
    ok,
    project,
    sentinel,
    with_sentinel,
)

#: SQL key words (PostgreSQL's and SQLite's), which a name must survive being
KEYWORDS = ["select", "VALUE", "user", "order", "table", "default", "Group", "fts5"]

#: a name both databases take (at most 40 bytes), or a key word
short_names = st.one_of(names.filter(_fits), st.sampled_from(KEYWORDS))
#: what makes a name run past PostgreSQL's 63 bytes, which it cuts such a name to
LONG_TAIL = " " + "長" * 20


@dataclass(frozen=True)
class HostileObjects:
    table: str
    domain: str
    check: str
    sequence: str
    matview: str
    index: str
    aggregate: str
    virtual: str
    default: str
    forbidden: str
    label: str
    start: int
    as_sql: bool

    def statements(self) -> list[str]:
        """The PostgreSQL objects, as a `.sql` schema writes them."""
        table, domain, matview = quoted_name(self.table), quoted_name(self.domain), quoted_name(self.matview)
        return [
            f"CREATE DOMAIN {domain} AS text DEFAULT {text_literal(self.default)} "
            f"CONSTRAINT {quoted_name(self.check)} CHECK (VALUE IS DISTINCT FROM {text_literal(self.forbidden)})",
            f"CREATE TABLE {table} (id serial PRIMARY KEY, c {domain})",
            f"CREATE SEQUENCE {quoted_name(self.sequence)} AS integer START WITH {self.start} INCREMENT BY 3",
            f"CREATE MATERIALIZED VIEW {matview} AS {self.matview_query()}",
            f"CREATE INDEX {quoted_name(self.index)} ON {matview} (c)",
            f"CREATE AGGREGATE {quoted_name(self.aggregate)} (text) "
            f"(SFUNC = textcat, STYPE = text, INITCOND = {text_literal(self.label)})",
        ]

    def matview_query(self) -> str:
        return f"SELECT c, {text_literal(self.label)} AS label FROM {quoted_name(self.table)}"

    def virtual_sql(self) -> str:
        return f"CREATE VIRTUAL TABLE {quoted_name(self.virtual)} USING fts5(body)"

    def ddl(self) -> str:
        note = json.dumps({"virtual_table": self.virtual, "definition": self.virtual_sql()}, ensure_ascii=False)
        base = "CREATE TABLE sentinel (id serial PRIMARY KEY, note text);\n"
        return base + "".join(f"{s};\n" for s in self.statements()) + f"-- mizzle:sqlite {note}\n"

    def dsl(self) -> str:
        statements = self.statements()
        return textwrap.dedent(
            f"""\
            from mizzle.dsl import Table, aggregate, domain, materialized_view, sequence, serial, text, virtual_table

            class Sentinel(Table):
                id = serial().primary_key()
                note = text()

            Kind = domain(
                {self.domain!r},
                "text",
                default={text_literal(self.default)!r},
                checks={{{self.check!r}: {f"VALUE IS DISTINCT FROM {text_literal(self.forbidden)}"!r}}},
            )

            class Evil(Table):
                __tablename__ = {self.table!r}
                id = serial().primary_key()
                c = text().domain({self.domain!r})

            Counter = sequence({self.sequence!r}, data_type="integer", start={self.start}, increment=3)
            Seen = materialized_view({self.matview!r}, {self.matview_query()!r}, indexes=[{statements[4]!r}])
            Joined = aggregate({statements[5]!r})
            Search = virtual_table({self.virtual!r}, {self.virtual_sql()!r})
            """
        )


@st.composite
def hostile_objects(draw: st.DrawFn) -> HostileObjects:
    picked = draw(st.lists(short_names, min_size=8, max_size=8, unique_by=str.casefold))
    # one name in four or so runs past 63 bytes (the others take the whole path)
    long_at = draw(st.integers(min_value=-16, max_value=7))
    if long_at >= 0:
        picked[long_at] += LONG_TAIL
    if any(n.casefold() in ("sentinel", "evil") for n in picked):
        picked = [f"{n}_" for n in picked]
    default = draw(literals)
    forbidden = draw(literals.filter(lambda v: v != default))
    label = draw(literals)
    start = draw(st.integers(min_value=1, max_value=10**6))
    return HostileObjects(
        *picked, default=default, forbidden=forbidden, label=label, start=start, as_sql=draw(st.booleans())
    )


#: key words for names; literals with quotes, backslashes, dollar quotes and statements
KEYWORDS = HostileObjects(
    table="order",
    domain="VALUE",
    check='c"heck; --',
    sequence="user é",
    matview="select",
    index="it's 🎻",
    aggregate="Group",
    virtual="fts5 \\ table",
    default="it's a \\ default\n--> statement-breakpoint\n",
    forbidden="');DELETE FROM sentinel;--",
    label="$$ \\x $x$",
    start=10000000,
    as_sql=True,
)
#: names past PostgreSQL's 63 bytes, which it would cut: a DSL declaring them is refused before
#: anything is written; a `.sql` file is read with them cut, as PostgreSQL does
LONG = replace(KEYWORDS, domain="VALUE " + "長" * 22, sequence="user" + "é" * 40, index="it's " + "🎻" * 16)


def long_names_of(case: HostileObjects) -> list[str]:
    """The names a DSL schema declares past 63 bytes that PostgreSQL would cut and mizzle
    refuses (a long table name is carried: `long_names.py`). A `.sql` schema is read as
    PostgreSQL reads it, names cut already, but for the statements it keeps verbatim (a
    materialized view's index, an aggregate)."""
    verbatim = [case.index, case.aggregate]
    names = verbatim if case.as_sql else [case.domain, case.check, case.sequence, case.matview, *verbatim]
    return [n for n in names if len(n.encode()) > 63]


@pytest.mark.hostile
@pytest.mark.postgres
@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=hostile_objects())
@example(case=LONG)
@example(case=replace(LONG, as_sql=False))
@example(case=KEYWORDS)
@example(case=replace(KEYWORDS, as_sql=False))
def test_hostile_names_in_the_other_object_kinds_run_as_written_and_spare_the_sentinel(case: HostileObjects) -> None:
    schema_file = "schema.sql" if case.as_sql else "schema.py"
    with project(schema_file) as root, fresh_database("mzho") as pg_url:
        lite_url = f"sqlite:///{root / 'device.db'}"
        urls = [pg_url, lite_url]
        with_sentinel(root, schema_file, urls)
        (root / schema_file).write_text(case.ddl() if case.as_sql else case.dsl(), encoding="utf-8")
        if long_names_of(case):
            code, out, err = mizzle(root, "generate", "--name", "hostile")
            assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, out + err
            assert "bytes, but PostgreSQL keeps at most 63" in err
            assert [p.name for p in (root / "migrations").iterdir() if p.is_dir()] == ["0001_sentinel"]
            return
        ok(root, "generate", "--name", "hostile")
        for url in urls:
            ok(root, "migrate", "--db", url)
            assert sentinel(url) == SENTINEL
            ok(root, "check", "--db", url)
            # undoing drops the virtual table with what it holds: rollback asks for --force
            ok(root, "rollback", "--db", url, "--steps", "1", "--force")
            assert sentinel(url) == SENTINEL
            ok(root, "migrate", "--db", url)
            assert sentinel(url) == SENTINEL
            assert ok(root, "push", "--db", url).startswith("nothing to push")
        # the literals went through the files exactly as written
        with psycopg.connect(pg_url, autocommit=True) as pg:
            table = quoted_name(case.table)
            pg.execute(f"INSERT INTO {table} DEFAULT VALUES".encode())
            assert pg.execute(f"SELECT c FROM {table}".encode()).fetchall() == [(case.default,)]
            assert pg.execute(f"SELECT nextval({text_literal(quoted_name(case.sequence))})".encode()).fetchall() == [
                (case.start,)
            ]
            joined = pg.execute(f"SELECT {quoted_name(case.aggregate)}(c) FROM {table}".encode()).fetchall()
            assert joined == [(case.label + case.default,)]
        # pulled back from PostgreSQL, the schema is the database's: nothing to push
        pulled = root / "pulled"
        pulled.mkdir()
        (pulled / "mizzle.toml").write_text(f'schema = "{schema_file}"\ndialects = ["postgresql"]\n')
        ok(pulled, "pull", "--db", pg_url, "--out", str(pulled / schema_file))
        assert ok(pulled, "push", "--db", pg_url).startswith("nothing to push"), (pulled / schema_file).read_text()
        assert sentinel(pg_url) == SENTINEL
