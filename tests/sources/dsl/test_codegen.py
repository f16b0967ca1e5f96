"""Model → Python DSL source: the exact text on a small schema, and exact round trips
(`load(write(schema_to_python(s))) == s`) on schemas covering every feature, with the code
passing `ruff format --check` and `ruff check` at line length 100."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from mizzle.core.model import Schema
from mizzle.dsl import (
    Enum,
    Table,
    View,
    asc,
    bigint,
    bigserial,
    boolean,
    bytea,
    char,
    check,
    custom,
    date,
    desc,
    double,
    foreign_key,
    index,
    integer,
    json,
    jsonb,
    now,
    numeric,
    primary_key,
    random_uuid,
    real,
    schema_from_classes,
    serial,
    smallint,
    sql,
    text,
    time,
    timestamp,
    timestamptz,
    unique,
    uuid,
    varchar,
)
from mizzle.sources.dsl.codegen import is_attribute_name, pascal_case, schema_to_python
from mizzle.sources.load import load_schema
from mizzle.sources.sql.reader import parse_ddl
from tests.conftest import CORPUS, REPO
from tests.dialects.rich_schema import RICH
from tests.strategies import schemas

RUFF = Path(sys.executable).with_name("ruff")


def small_schema() -> Schema:
    Mood = Enum("mood", ["sad", "ok", "happy"])

    class UserProfile(Table):
        id = serial().primary_key()
        email = varchar(255).not_null().unique()
        displayName = text()
        favourite_id = uuid().references(lambda: Tune.id, on_delete="set null")

    class Tune(Table):
        id = uuid().primary_key().default(random_uuid())
        owner_id = integer().not_null().references(UserProfile.id, on_delete="cascade", deferrable=True)
        title = text().not_null()
        mood = Mood.column().not_null().default("ok")
        tags = text().array().default([])
        created_at = timestamptz().not_null().default(now())
        __checks__ = (check("length(title) > 0", name="tune_title_not_empty"),)
        __indexes__ = (index(sql("lower(title)")), index("owner_id", desc("created_at"), where=sql("title <> ''")))

    class PlaylistTune(Table):
        playlist_id = integer()
        tune_id = uuid().references(Tune.id)
        __primary_key__ = primary_key("tune_id", "playlist_id")

    views = [View("tune_titles", sql("select id, title from tune"))]
    return schema_from_classes([UserProfile, Tune, PlaylistTune], [Mood], views)


SMALL_PYTHON = '''\
"""The database schema in mizzle's Python DSL (written by `mizzle pull`)."""

from mizzle.dsl import (
    Enum,
    Table,
    View,
    check,
    desc,
    index,
    integer,
    now,
    primary_key,
    random_uuid,
    serial,
    sql,
    text,
    timestamptz,
    uuid,
    varchar,
)

Mood = Enum("mood", ["sad", "ok", "happy"])


class Tune(Table):
    id = uuid().primary_key().default(random_uuid())
    owner_id = (
        integer()
        .not_null()
        .references(lambda: UserProfile.id, on_delete="cascade", deferrable=True)
    )
    title = text().not_null()
    mood = Mood.column().not_null().default("ok")
    tags = text().array().default([])
    created_at = timestamptz().not_null().default(now())
    __checks__ = (check("length(title) > 0", name="tune_title_not_empty"),)
    __indexes__ = (
        index(sql("lower(title)")),
        index("owner_id", desc("created_at"), where=sql("title <> ''")),
    )


class UserProfile(Table):
    id = serial().primary_key()
    email = varchar(255).not_null().unique()
    display_name = text()
    favourite_id = uuid().references(Tune.id, on_delete="set null")


class PlaylistTune(Table):
    playlist_id = integer()
    tune_id = uuid().references(Tune.id)
    __primary_key__ = primary_key("tune_id", "playlist_id")


TuneTitles = View("tune_titles", sql("select id, title from tune"))
'''


def test_small_schema_is_written_exactly() -> None:
    assert schema_to_python(small_schema()) == SMALL_PYTHON


def weird_schema() -> Schema:
    """Everything codegen must spell with care: keywords, capitals and odd characters in names,
    names a class body needs for itself, names that differ from PostgreSQL's defaults or
    collide with them, every type, default and index feature, long lines and strings."""
    Mood = Enum("mood", ["ok", "it's", 'say "hi"', "Ünïcode", "back\\slash"])
    Spaced = Enum("Spaced Enum", ["a b"])
    long_name = "a_very_long_column_name_that_takes_up_most_of_the_sixty_three_b"

    class Klass(Table):
        __tablename__ = "class"
        id = bigserial().primary_key(name="class_pk")
        from_ = text().name("from").not_null()
        display = text().name("Display Name")
        two_fa = boolean().name("2fa").not_null().default(False)
        dunder = integer().name("__x__")
        camel = integer().name("camelCase")
        txt = text().name("text")
        date_ = date().name("date").default(sql("current_date"))  # not read later: stays `date`
        notes = text()  # reads `text` after the column "text": that one must be renamed
        parent_id = bigint().references(lambda: Klass.id, on_delete="set null", name="class_parent")
        __uniques__ = (unique("from", "text"), unique("from", "text", name="class_from_text_key1"))
        __checks__ = (check('"from" <> "text"'), check('length("Display Name") < 100', name="display_short"))
        __indexes__ = (index("text"), index("text"), index("from", name="class_text_idx2"))

    class OrderLine(Table):
        __tablename__ = "order"
        a = integer()
        b = text()
        klass_id = bigint()
        quantity = numeric(10, 3).not_null().default("4.990")
        __primary_key__ = primary_key("b", "a", name="order_b_a")
        __foreign_keys__ = (
            foreign_key(
                ["klass_id"],
                Klass,
                ["id"],
                on_delete="cascade",
                on_update="restrict",
                deferrable=True,
                initially_deferred=True,
            ),
        )

    class TableTable(Table):
        __tablename__ = "table"
        id = integer().primary_key()
        order_a = integer()
        order_b = text()
        __foreign_keys__ = (foreign_key(["order_b", "order_a"], OrderLine, ["b", "a"], name="to_order"),)

    class TuneLog(Table):
        __tablename__ = "Tune Log"
        id = uuid().primary_key().default(random_uuid())
        other = integer().references(lambda: HTTPLog.id)
        small = smallint().default(-5)
        medium = integer().not_null().default(2147483647)
        big = bigint().default(9007199254740993)
        flag = boolean().default(True)
        fixed = char(2).default("ab")
        bpchar = char(None)
        short = varchar(8).array().default(["a", None, 'q"uote', "c,d"])
        unbounded = varchar()
        price = numeric(6, 2).default(4.99)
        whole = numeric(5).default(5)
        anything = numeric().default("-0.5")
        ratio = real().default(0.25)
        score = double().default("1e-7")
        born = date().default("2024-02-29")
        at = time(3).default(sql("localtime"))
        stamp = timestamp(0).default(now())
        stamptz = timestamptz(6).not_null().default(now())
        doc = json().default('{"a": [1, 2]}')
        docb = jsonb().not_null().default("{}")
        blob = bytea().default("\\x00ff")
        span = custom("interval").default("1 day")
        vec = custom("tsvector")
        bits = custom("bit(8)")
        grid = integer().array(dims=2)
        moods = Mood.column().array().default(["ok", "it's"])
        mood = Mood.column().not_null().default('say "hi"')
        spaced = Spaced.column()
        note = text().default("line one\nline two\ttab and a long text " * 4)
        expr = integer().default(sql("1 + 2 * 3"))
        ids = uuid().array()
        __checks__ = (check("small < medium AND medium < big AND (flag OR fixed <> 'zz' OR price > 0.5)"),)
        __indexes__ = (
            index(desc("small", nulls="last"), asc("medium", nulls="first"), desc("big")),
            index(sql("lower(fixed)"), sql("small + medium"), unique=True, where=sql("flag AND small > 0")),
            index("docb", method="gin", name="tune_log_doc"),
            index("vec", method="gist"),
        )

    class HTTPLog(Table):
        __tablename__ = "HTTPLog"
        id = integer().primary_key()
        tune_log_id = uuid().references(TuneLog.id, on_update="cascade")

    long_table = type(
        "LongTable",
        (Table,),
        {
            "__tablename__": "a_table_with_a_name_of_sixty_three_characters_which_is_the_limit",
            long_name: integer()
            .not_null()
            .unique(name="u" * 63)
            .references(lambda: TuneLog.medium, on_delete="set default", name="f" * 63),
            "b": text().default(sql("'" + "a long literal " * 12 + "'")),
            "__checks__": (check(" AND ".join(f"{long_name} <> {i}" for i in range(12))),),
        },
    )

    class Unique4(Table):
        """Pointed at by LongTable's foreign key, so tune_log.medium needs a unique."""

        __tablename__ = "tune_log_medium"
        x = integer()

    views = [
        View("Tune View", sql('select id, "from" from "class" where "2fa"')),
        View("tune_view_2", sql('select count(*) as n from "Tune View"')),
    ]
    TuneLog.__uniques__ = (unique("medium"),)
    return schema_from_classes([Klass, OrderLine, TableTable, TuneLog, HTTPLog, long_table, Unique4], [], views)


def corpus_schema(name: str) -> Schema:
    from mizzle.sources.sql.reader import parse_ddl

    path = {
        "chinook": CORPUS / "chinook" / "Chinook_PostgreSql.sql",
        "pagila": CORPUS / "pagila" / "pagila-schema.sql",
    }[name]
    return parse_ddl(path.read_text(), source=str(path)).schema


SCHEMAS: dict[str, Callable[[], Schema]] = {
    "small": small_schema,
    "weird": weird_schema,
    "rich": lambda: RICH,
    "example": lambda: load_schema(REPO / "examples" / "practice_tracker" / "schema.py").schema,
    "chinook": lambda: corpus_schema("chinook"),
    "pagila": lambda: corpus_schema("pagila"),
}


def write_and_load(schema: Schema, folder: Path, name: str = "schema") -> tuple[Path, Schema]:
    path = folder / f"{name}.py"
    path.write_text(schema_to_python(schema))
    return path, load_schema(path).schema


@pytest.mark.parametrize("name", SCHEMAS)
def test_written_schema_loads_back_equal(name: str, tmp_path: Path) -> None:
    schema = SCHEMAS[name]()
    _, loaded = write_and_load(schema, tmp_path)
    assert loaded == schema


def test_written_schema_is_ruff_formatted_and_lint_clean(tmp_path: Path) -> None:
    for name, make in SCHEMAS.items():
        write_and_load(make(), tmp_path, name)
    config = ["--config", str(REPO / "pyproject.toml"), "--line-length", "100"]
    formatted = subprocess.run([RUFF, "format", "--check", "--diff", *config, tmp_path], capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = subprocess.run([RUFF, "check", *config, tmp_path], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schemas())
def test_any_valid_schema_loads_back_equal(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> None:
    _, loaded = write_and_load(schema, tmp_path_factory.mktemp("generated"))
    assert loaded == schema


def test_names_are_written_only_when_they_differ_from_postgresqls() -> None:
    code = schema_to_python(weird_schema())
    # class_from_text_key and class_from_text_key1: both what PostgreSQL would choose
    assert '__uniques__ = (unique("from", "text"), unique("from", "text"))' in code
    # class_text_idx, class_text_idx1; the third is not named after its column
    assert '__indexes__ = (index("text"), index("text"), index("from", name="class_text_idx2"))' in code
    assert 'primary_key(name="class_pk")' in code and 'primary_key("b", "a", name="order_b_a")' in code


def test_attribute_names() -> None:
    code = schema_to_python(weird_schema())
    assert 'from_ = text().name("from").not_null()' in code
    assert 'display_name = text().name("Display Name")' in code
    assert 'c_2fa = boolean().name("2fa").not_null().default(False)' in code
    assert 'x = integer().name("__x__")' in code
    assert 'camel_case = integer().name("camelCase")' in code
    assert 'text_ = text().name("text")' in code  # `text()` is called further down
    assert 'date = date().default(sql("current_date"))' in code  # nothing reads `date` later; the source's spelling
    assert 'class Table_(Table):\n    __tablename__ = "table"' in code
    assert 'class TuneLog(Table):\n    __tablename__ = "Tune Log"' in code
    assert 'class HTTPLog(Table):\n    __tablename__ = "HTTPLog"' in code
    assert "class Class(Table):\n    id =" in code


def test_forward_and_self_references_use_lambdas_and_tables_follow_their_references() -> None:
    code = schema_to_python(weird_schema())
    classes = [line.split("(")[0].removeprefix("class ") for line in code.splitlines() if line.startswith("class ")]
    assert classes.index("Class") < classes.index("Order") < classes.index("Table_")
    assert "references(lambda: Class.id," in code  # self
    # a cycle, taken by name: "HTTPLog" < "Tune Log"
    assert 'tune_log_id = uuid().references(lambda: TuneLog.id, on_update="cascade")' in code
    assert "other = integer().references(HTTPLog.id)" in code


@pytest.mark.parametrize(
    ("name", "expected"),
    [("user_profile", "UserProfile"), ("Tune Log", "TuneLog"), ("2fa", "T2fa"), ("HTTPLog", "HTTPLog"), ("a__b", "AB")],
)
def test_pascal_case(name: str, expected: str) -> None:
    assert pascal_case(name) == expected


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("title", True),
        ("_x", True),
        ("from", False),
        ("camelCase", False),
        ("2fa", False),
        ("__x", False),
        ("a b", False),
    ],
)
def test_which_column_names_can_be_attributes(name: str, ok: bool) -> None:
    assert is_attribute_name(name) is ok


def test_references_to_another_schemas_table_are_written_qualified_and_load_back(tmp_path: Path) -> None:
    schema = parse_ddl(
        "CREATE TABLE users (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,\n"
        "  a int, b int, FOREIGN KEY (a, b) REFERENCES hr.staff (x, y));"
    ).schema
    text = schema_to_python(schema)
    assert 'references("auth.users.id", on_delete="cascade")' in text
    assert 'foreign_key(["a", "b"], "hr.staff", ["x", "y"])' in text
    assert write_and_load(schema, tmp_path)[1] == schema


def test_identity_columns_are_written_with_their_options_and_load_back(tmp_path: Path) -> None:
    schema = parse_ddl(
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY,\n"
        "  n int GENERATED BY DEFAULT AS IDENTITY (CYCLE));"
    ).schema
    text = schema_to_python(schema)
    assert "bigint().primary_key().identity(always=True, start=100, increment=5)" in text
    assert "integer().identity(cycle=True)" in text
    assert write_and_load(schema, tmp_path)[1] == schema


def test_serial_sequences_operator_classes_and_cast_literals_are_written_and_load_back(tmp_path: Path) -> None:
    schema = parse_ddl(
        "CREATE TABLE t (id serial PRIMARY KEY, status varchar NOT NULL DEFAULT 'active'::text, n text);\n"
        "ALTER SEQUENCE t_id_seq AS bigint START WITH 10000000 CACHE 20 RESTART;\n"
        "CREATE TABLE u (id bigserial PRIMARY KEY);\n"
        "ALTER SEQUENCE u_id_seq INCREMENT BY 2;\n"
        "CREATE INDEX t_n_pattern ON t (n text_pattern_ops DESC, lower(n) text_pattern_ops);\n"
        "CREATE INDEX t_n_trgm ON t USING gin (n ext.gin_trgm_ops);\n"
        'CREATE INDEX t_n_c ON t (n COLLATE "C" DESC);'
    ).schema
    text = schema_to_python(schema)
    assert 'serial().primary_key().sequence(data_type="bigint", start=10000000, cache=20)' in text
    assert "bigserial().primary_key().sequence(increment=2)" in text
    assert """.default(sql("'active'::text"))""" in text
    assert 'desc("n", opclass="text_pattern_ops"),' in text
    assert 'asc(sql("lower(n)"), opclass="text_pattern_ops"),' in text
    assert 'asc("n", opclass="ext.gin_trgm_ops")' in text
    assert 'desc("n", collation="C")' in text
    loaded = write_and_load(schema, tmp_path)[1]
    assert loaded == schema
    status = loaded.tables[0].columns[1]
    assert status.default is not None and getattr(status.default, "pg", None) == "'active'::text"


def test_sequence_options_on_a_column_that_is_not_a_serial_are_refused_in_one_line() -> None:
    from mizzle.core.errors import SchemaError

    class T(Table):
        id = integer().primary_key().sequence(start=5)

    with pytest.raises(SchemaError, match="only a serial or bigserial column has sequence options") as err:
        schema_from_classes([T])
    assert "\n" not in str(err.value)


def test_nulls_not_distinct_uniques_and_indexes_are_written_and_load_back(tmp_path: Path) -> None:
    schema = parse_ddl(
        "CREATE TABLE t (id int PRIMARY KEY, p int, n text, m text UNIQUE NULLS NOT DISTINCT,\n"
        "  CONSTRAINT t_p_n_key UNIQUE NULLS NOT DISTINCT (p, n));\n"
        "CREATE UNIQUE INDEX t_n_idx ON t (n) NULLS NOT DISTINCT WHERE p > 0;"
    ).schema
    text = schema_to_python(schema)
    assert 'unique("m", nulls_not_distinct=True)' in text
    assert 'unique("p", "n", nulls_not_distinct=True)' in text
    assert 'index("n", unique=True, where=sql("p > 0"), nulls_not_distinct=True)' in text
    assert write_and_load(schema, tmp_path)[1] == schema
