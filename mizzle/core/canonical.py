"""The model's canonical expression language, read: PostgreSQL's.

Defaults, checks, index predicates and view bodies are held in the model as sqlglot trees of
PostgreSQL SQL (`SqlExpr`), whatever the schema source or the database. This module reads
such text as PostgreSQL stores or prints it into that canonical form: it undoes the
decorations PostgreSQL adds (`'x'::text`, `= ANY (ARRAY[...])`), recognises the neutral
defaults (`now()`, `gen_random_uuid()`, literals, arrays) and parses array literals. Every
schema source (the DSL, `.sql` files, SQLAlchemy models) and every dialect's introspection
reads expressions through it, so they agree on every spelling.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlglot import exp

from mizzle.core.errors import MizzleError
from mizzle.core.expr import SqlExpr, parse_expression
from mizzle.core.model import Default, ExprDefault, LiteralDefault, NowDefault, RandomUuidDefault
from mizzle.core.types import INTEGER_KINDS, NUMBER_KINDS, ColumnType, TypeKind

_TEXT_CASTS = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR}
_NUMBER_CASTS = {
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.DECIMAL,
    exp.DataType.Type.FLOAT,
    exp.DataType.Type.DOUBLE,
}
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return text.strip() == text and "e" not in text.lower() and text.lower() not in ("nan", "infinity", "-infinity")


def _number(text: str) -> exp.Expression:
    literal = exp.Literal.number(text.lstrip("-"))
    return exp.Neg(this=literal) if text.startswith("-") else literal


def normalize_pg_expression(tree: exp.Expression) -> exp.Expression:
    """Undo the decorations PostgreSQL adds when it prints a stored expression, so the
    catalog's text and the schema's text canonicalise alike:
    - `'x'::text` / `'x'::character varying` → `'x'`;
    - `col = ANY (ARRAY['a', 'b'])` → `col IN ('a', 'b')` (how PostgreSQL stores IN lists),
      also for a varchar column (`(col)::text = ANY ((ARRAY[...])::text[])`);
    - `'-100'::integer` → `-100` (how PostgreSQL prints a negative constant);
    - `price > (0)::numeric` → `price > 0` (the cast PostgreSQL adds to a number compared
      with a column of another numeric type; only in comparisons, where it changes nothing).
    """

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Cast) and node.to.this in _NUMBER_CASTS and not node.to.expressions:
            inner = _unparen(node.this)
            if isinstance(inner, exp.Literal) and inner.is_string and _is_number(str(inner.this)):
                return _number(str(inner.this))
        if isinstance(node, _COMPARISONS):
            for arg in ("this", "expression"):
                side = node.args.get(arg)
                if isinstance(side, exp.Cast) and side.to.this in _NUMBER_CASTS and not side.to.expressions:
                    inner = _unparen(side.this)
                    if isinstance(inner, exp.Literal) and not inner.is_string:
                        node.set(arg, inner)
        if (
            isinstance(node, exp.Cast)
            and isinstance(node.this, exp.Literal)
            and node.this.is_string
            and node.to.this in _TEXT_CASTS
            and not node.to.expressions
        ):
            return node.this
        if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
            inner = node.expression.this
            # a varchar IN list is stored as `(col)::text = ANY ((ARRAY['a'::varchar])::text[])`
            while isinstance(inner, exp.Paren) or (isinstance(inner, exp.Cast) and inner.to.is_type("array")):
                inner = inner.this
            if isinstance(inner, exp.Array):
                this = node.this
                if isinstance(this, exp.Cast) and this.to.this in _TEXT_CASTS and not this.to.expressions:
                    column = this.this
                    while isinstance(column, exp.Paren):
                        column = column.this
                    this = column if isinstance(column, exp.Column) else this
                return exp.In(this=this, expressions=[fix(item) for item in inner.expressions])
        if isinstance(node, exp.Paren) and isinstance(node.this, (exp.Column, exp.Literal)):
            return node.this
        return node

    return tree.copy().transform(fix)


def pg_expr(text: str) -> SqlExpr:
    """A stored PostgreSQL expression (from the catalog or a DDL file) as a canonical SqlExpr
    keeping `text` as its PostgreSQL spelling."""
    return SqlExpr(normalize_pg_expression(parse_expression(text, "postgres")), text)


def nextval_sequence(tree: exp.Expression) -> str | None:
    """The sequence name when `tree` is `nextval('seq'::regclass)`, else None."""
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.Anonymous) and str(tree.this).lower() == "nextval" and tree.expressions:
        arg = tree.expressions[0]
        if isinstance(arg, exp.Cast):
            arg = arg.this
        if isinstance(arg, exp.Literal) and arg.is_string:
            return str(arg.this).split(".")[-1].strip('"')
    return None


_NOW_FUNCS = {"now", "current_timestamp", "transaction_timestamp"}
#: how PostgreSQL output writes a `NowDefault` read with no other spelling
NOW_SQL = "now()"
_UUID_FUNCS = {"gen_random_uuid", "uuid_generate_v4"}


def _func_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.CurrentTimestamp):
        return "now"
    if isinstance(node, exp.Uuid):
        return "gen_random_uuid"
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return None


def default_from_pg(tree: exp.Expression, ctype: ColumnType, spelling: str | None = None) -> Default | None:
    """Read a PostgreSQL DEFAULT expression into a neutral default for a column of `ctype`.

    Returns None for `DEFAULT NULL` (the same as no default). `nextval(...)` is returned as an
    expression: the caller decides whether the column is a serial (see `nextval_sequence`).
    An expression default keeps `spelling` (the text `tree` was read from) as PostgreSQL's.
    """
    tree = normalize_pg_expression(tree)
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.Null):
        return None
    fname = _func_name(tree)
    if fname in _NOW_FUNCS and ctype.kind in (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ) and not ctype.array_dims:
        spelled = spelling.strip() if spelling is not None else None
        return NowDefault(pg=spelled if spelled and spelled != NOW_SQL else None)
    if fname in _UUID_FUNCS and ctype.kind is TypeKind.UUID and not ctype.array_dims:
        return RandomUuidDefault()
    literal = _literal_value(tree, ctype)
    if literal is not _NOT_LITERAL:
        return LiteralDefault.model_validate({"value": literal, "pg": _foreign_cast(ctype, spelling)})
    return ExprDefault(expr=SqlExpr(tree, spelling))


_NOT_LITERAL = object()


def _foreign_cast(ctype: ColumnType, spelling: str | None) -> str | None:
    """`spelling` when the default is a text literal cast to `text` on a column of another
    type (`'active'::text` on a varchar column: PostgreSQL keeps the cast as written, and a
    plain literal would come back `'active'::character varying`), else None. Read from the
    spelling: the tree given is canonical already, its cast gone."""
    if spelling is None or ctype.kind is TypeKind.TEXT or ctype.array_dims or "text" not in spelling.lower():
        return None
    try:
        tree = parse_expression(spelling, "postgres").unnest()
    except MizzleError:
        return None
    if not isinstance(tree, exp.Cast) or tree.to.this is not exp.DataType.Type.TEXT:
        return None
    inner = tree.this.unnest()
    return spelling.strip() if isinstance(inner, exp.Literal) and inner.is_string else None


def _literal_value(tree: exp.Expression, ctype: ColumnType) -> object:
    """The Python value of a constant default, or _NOT_LITERAL when it is not a plain constant."""
    inner = tree
    while isinstance(inner, (exp.Cast, exp.Paren)):
        inner = inner.this
    if ctype.array_dims:
        if isinstance(inner, exp.Array):
            items = [_literal_value(e, ctype.element) for e in inner.expressions]
            return _NOT_LITERAL if any(i is _NOT_LITERAL for i in items) else items
        if isinstance(inner, exp.Literal) and inner.is_string:
            texts = parse_array_literal(str(inner.this))
            if texts is None:
                return _NOT_LITERAL
            coerced = [None if i is None else _coerce(i, ctype.element) for i in texts]
            return _NOT_LITERAL if any(c is _NOT_LITERAL for c in coerced) else coerced
        return _NOT_LITERAL
    if isinstance(inner, exp.Boolean):
        return bool(inner.this) if ctype.kind is TypeKind.BOOLEAN else _NOT_LITERAL
    if isinstance(inner, exp.Neg) and isinstance(inner.this, exp.Literal) and not inner.this.is_string:
        return _coerce("-" + str(inner.this.this), ctype)
    if isinstance(inner, exp.Literal):
        return _coerce(str(inner.this), ctype)
    return _NOT_LITERAL


def _coerce(text: str, ctype: ColumnType) -> object:
    kind = ctype.kind
    if kind is TypeKind.BOOLEAN:
        low = text.strip().lower()
        if low in ("t", "true", "yes", "on", "1"):
            return True
        if low in ("f", "false", "no", "off", "0"):
            return False
        return _NOT_LITERAL
    if kind in INTEGER_KINDS:
        try:
            return int(text)
        except ValueError:
            return _NOT_LITERAL
    if kind in NUMBER_KINDS:
        try:
            Decimal(text)
        except InvalidOperation:
            return _NOT_LITERAL
        return text
    return text


def parse_array_literal(text: str) -> list[str | None] | None:
    """Parse a one-dimensional PostgreSQL array literal (`{a,"b c",NULL}`) into strings."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    body = text[1:-1]
    if not body:
        return []
    items: list[str | None] = []
    i = 0
    while i <= len(body):
        if i < len(body) and body[i] == '"':
            j, buf = i + 1, []
            while j < len(body) and body[j] != '"':
                if body[j] == "\\" and j + 1 < len(body):
                    j += 1
                buf.append(body[j])
                j += 1
            items.append("".join(buf))
            i = j + 1
        else:
            j = body.find(",", i)
            j = len(body) if j < 0 else j
            word = body[i:j].strip()
            if "{" in word:
                return None  # multi-dimensional: kept as an expression
            items.append(None if word.upper() == "NULL" else word)
            i = j
        if i < len(body) and body[i] != ",":
            return None
        i += 1
    return items
