"""The DSL's security declarations (`dsl/security.py`) and their writer: what a module
declares is what the model holds, and what `pull` writes loads back equal."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.security import Comment, DefaultPrivilege, Grant, Policy, RowSecurity
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.load import load_schema

MODULE = """
from mizzle.dsl import ServerOnly, Table, View, comment, default_privilege, grant, policy, serial, sql, text, uuid

class Tune(Table):
    id = serial().primary_key()
    owner = uuid()
    title = text()
    __rls__ = "force"
    __policies__ = (policy("own", command="select", to="authenticated", using="(owner = auth.uid())"),)
    __grants__ = (grant("select", "insert", to="authenticated"), grant("update", to="anon", columns=("title",)))
    __comment__ = "tunes"
    __comments__ = (comment("who", column="owner"),)

Titles = View("titles", sql("select id, title from tune"))
server_only = ServerOnly(
    grant("usage", to="anon", schema="public"),
    default_privilege("all", on="sequences", to="anon", schema="public"),
    comment("titles", view="titles"),
)
"""


def load(tmp_path: Path, text: str) -> object:
    (tmp_path / "schema.py").write_text(text)
    return load_schema(tmp_path / "schema.py").schema


def test_a_module_declares_the_tables_security_and_the_rest(tmp_path: Path) -> None:
    schema = load(tmp_path, MODULE)
    security = schema.security  # type: ignore[attr-defined]
    assert security.row_security == (RowSecurity(table="tune", forced=True),)
    assert security.policies == (
        Policy(table="tune", name="own", command="SELECT", roles=("authenticated",), using="(owner = auth.uid())"),
    )
    assert Grant(on="column", object="tune", column="title", grantee="anon", privilege="UPDATE") in security.grants
    assert Grant(on="schema", object="public", grantee="anon", privilege="USAGE") in security.grants
    assert len(security.default_privileges) == 3
    assert DefaultPrivilege(schema_name="public", on="sequences", grantee="anon", privilege="USAGE") in (
        security.default_privileges
    )
    assert Comment(on="view", object="titles", text="titles") in security.comments


def test_what_pull_writes_loads_back_equal(tmp_path: Path) -> None:
    schema = load(tmp_path, MODULE)
    written = schema_to_python(schema)  # type: ignore[arg-type]
    assert load(tmp_path, written) == schema


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('__rls__ = "yes"', '__rls__ must be True, False or "force"'),
        ('__policies__ = ("own",)', "__policies__ holds 'own', not a policy()"),
        ('__comments__ = (comment("x", view="v"),)', "__comments__ holds comment(..., column=...) only"),
    ],
)
def test_a_misdeclared_option_is_refused_naming_the_table(tmp_path: Path, body: str, message: str) -> None:
    text = f"from mizzle.dsl import Table, serial, comment\nclass T(Table):\n    id = serial()\n    {body}\n"
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(tmp_path, text)
