"""The Schema tab's diagram: every table of a schema as a box (columns, keys), an arrow per
foreign key, laid out in columns by how deep each table sits in the chain of references
(a referenced table left of the tables pointing at it), drawn as one standalone SVG."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from mizzle.core.model import Schema, Table

ROW = 18
HEADER = 24
CHAR = 7.2
GAP_X = 80
GAP_Y = 28
MARGIN = 20


@dataclass(frozen=True)
class Box:
    table: Table
    x: float
    y: float
    width: float

    @property
    def height(self) -> float:
        return HEADER + ROW * len(self.table.columns) + 6

    def row_y(self, column: str) -> float:
        names = [c.name for c in self.table.columns]
        index = names.index(column) if column in names else 0
        return self.y + HEADER + ROW * index + ROW / 2


def _depths(schema: Schema) -> dict[str, int]:
    """Each table's column: 0 for a table that references none, else one more than the
    deepest table it references (cycles and self-references are cut)."""
    names = {t.name for t in schema.tables}
    refs = {
        t.name: {fk.ref_table for fk in t.foreign_keys if fk.ref_table in names and fk.ref_table != t.name}
        for t in schema.tables
    }
    depth: dict[str, int] = {}

    def visit(name: str, path: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        parents = [visit(p, path | {name}) for p in sorted(refs[name]) if p not in path]
        depth[name] = 1 + max(parents) if parents else 0
        return depth[name]

    for table in sorted(schema.tables, key=lambda t: t.name):
        visit(table.name, frozenset())
    return depth


def layout(schema: Schema) -> list[Box]:
    depth = _depths(schema)
    columns: dict[int, list[Table]] = {}
    for table in sorted(schema.tables, key=lambda t: t.name):
        columns.setdefault(depth[table.name], []).append(table)
    boxes = []
    x = float(MARGIN)
    for level in sorted(columns):
        tables = columns[level]
        width = max(_width(t) for t in tables)
        y = float(MARGIN)
        for table in tables:
            box = Box(table, x, y, width)
            boxes.append(box)
            y += box.height + GAP_Y
        x += width + GAP_X
    return boxes


def _width(table: Table) -> float:
    longest = max([len(table.name) + 2, *(len(c.name) + len(c.type.kind.value) + 5 for c in table.columns)])
    return max(140.0, (longest + 2) * CHAR + 16)


def svg(schema: Schema) -> str:
    """The diagram as a standalone SVG document (no external font, style or script)."""
    boxes = layout(schema)
    by_name = {b.table.name: b for b in boxes}
    width = max((b.x + b.width for b in boxes), default=0) + MARGIN
    height = max((b.y + b.height for b in boxes), default=0) + MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="erd" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for box in boxes:
        for fk in box.table.foreign_keys:
            target = by_name.get(fk.ref_table)
            if target is None:
                continue
            y1 = box.row_y(fk.columns[0])
            y2 = target.row_y(fk.ref_columns[0])
            if target is box:  # a self-reference loops on the right side
                x1 = box.x + box.width
                d = f"M{x1:.1f},{y1:.1f} C{x1 + 40:.1f},{y1:.1f} {x1 + 40:.1f},{y2:.1f} {x1:.1f},{y2:.1f}"
            else:
                x1 = box.x
                x2 = target.x + target.width if target.x < box.x else target.x
                mid = (x1 + x2) / 2
                d = f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
            out.append(
                f'<path class="fk" data-from="{escape(box.table.name)}" data-to="{escape(fk.ref_table)}" d="{d}" '
                'fill="none" stroke="#555" marker-end="url(#arrow)"/>'
            )
    for box in boxes:
        out.append(_box(box))
    out.append("</svg>")
    return "\n".join(out)


def _box(box: Box) -> str:
    t = box.table
    pk = set(t.primary_key.columns) if t.primary_key else set()
    fks = {c for fk in t.foreign_keys for c in fk.columns}
    parts = [
        f'<g class="table" data-table="{escape(t.name)}">',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="4" '
        'fill="#fff" stroke="#345"/>',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{HEADER}" rx="4" fill="#345"/>',
        f'<text x="{box.x + 8:.1f}" y="{box.y + 16:.1f}" fill="#fff" font-weight="bold">{escape(t.name)}'
        f"{' (sync)' if t.sync else ''}</text>",
    ]
    for i, column in enumerate(t.columns):
        y = box.y + HEADER + ROW * i + 13
        mark = "PK " if column.name in pk else "FK " if column.name in fks else "   "
        kind = column.type.name if column.type.name else column.type.kind.value
        parts.append(
            f'<text x="{box.x + 8:.1f}" y="{y:.1f}" xml:space="preserve">{escape(mark)}{escape(column.name)}'
            f"{'' if column.nullable else ' *'}</text>"
            f'<text x="{box.x + box.width - 8:.1f}" y="{y:.1f}" text-anchor="end" fill="#777">{escape(kind)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
