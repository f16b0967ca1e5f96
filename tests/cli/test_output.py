"""What the CLI prints: help texts escaped as rich would, without importing rich."""

from __future__ import annotations

import random

import pytest
from rich.markup import escape

from mizzle.cli.output import escape_markup


@pytest.mark.parametrize(
    "text",
    ["[tool.mizzle]", "URL [default: the config's]", "a\\[b]", "ends in \\", "ends in \\\\", "[#fff] [/x] [@h] [A]"],
)
def test_escape_markup_is_riches_escape(text: str) -> None:
    assert escape_markup(text) == escape(text)


def test_escape_markup_agrees_with_rich_on_random_text() -> None:
    r = random.Random(15)
    texts = ["".join(r.choice("[]\\a#/@ :x") for _ in range(r.randint(0, 14))) for _ in range(5000)]
    assert [t for t in texts if escape_markup(t) != escape(t)] == []
