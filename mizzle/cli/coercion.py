"""Option values converted without pydantic. Typer converts each value through a pydantic
TypeAdapter that it builds on first use for every option of the command that runs, even
for one left at its default: importing pydantic and building the adapters was a third of
the start-up of a command that needs no model (`migrate`, `status`). Text, paths, lists
of text and choices of an Enum, which are nearly all of mizzle's options, are converted here
with the functions typer's adapters call; anything else (numbers with bounds) keeps typer's
own conversion.

This reaches into typer's runtime-conversion hook (`typer._coercion`, typer 0.2x): where a
typer lacks it, `plain_coercion` changes nothing and typer converts every value itself."""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import typer

# Any: private modules of typer, present from typer 0.2x on.
_coercion: Any
_param_types: Any
try:
    _coercion = importlib.import_module("typer._coercion")
    _param_types = importlib.import_module("typer._param_types")
except ImportError:  # pragma: no cover - a typer without the hook: its own conversion stays
    _coercion = None


def plain_coercion(params: Iterable[Any]) -> None:
    """Give those of `params` (a command's options and arguments) whose values are text, a
    path, a list of text, a flag or an Enum's choice a conversion that needs no pydantic."""
    if _coercion is None:  # pragma: no cover
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue
        convert = _conversion(descriptor.annotation, descriptor.parameter_info)
        if convert is not None:
            info = descriptor.parameter_info
            param._runtime_param = _plain_param_class()(info, descriptor.annotation, convert, descriptor)


class _Unplain(Exception):
    """A value the plain conversion leaves to typer's (a flag given as text)."""


def _conversion(annotation: Any, info: Any) -> Callable[[Any, Any, Any], Any] | None:
    if info.parser is not None:
        return None
    if annotation is bool:
        return lambda value, _param, _ctx: _flag(value)
    if annotation is str:
        return lambda value, _param, _ctx: _text(value)
    if annotation == list[str]:
        return lambda value, _param, _ctx: [_text(item) for item in _listed(value)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):  # `pull --style`
        choices = list(annotation)
        return lambda value, param, ctx: _choice(value, choices, info.case_sensitive, param, ctx)
    if annotation is Path and info.path_type is None:
        return lambda value, param, ctx: _param_types.coerce_cli_path(
            value if isinstance(value, Path) else Path(os.fsdecode(value)), info, path_type=Path, param=param, ctx=ctx
        )
    return None


def _choice(value: Any, choices: list[Enum], case_sensitive: bool, param: Any, ctx: Any) -> Any:
    try:
        return _param_types.coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)
    except ValueError as err:  # typer's adapter says it so: a usage error naming the option
        raise typer.BadParameter(str(err), ctx=ctx, param=param) from None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Unplain


def _text(value: Any) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


@functools.cache
def _plain_param_class() -> type:
    """typer's RuntimeParam with a conversion given as a function; a value the function
    leaves (`_Unplain`) gets typer's own conversion."""

    @dataclass(frozen=True)
    class PlainParam(_coercion.RuntimeParam):  # type: ignore[misc]
        convert: Callable[[Any, Any, Any], Any]
        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value, param, ctx)
            except _Unplain:
                return _coercion.build_runtime_param(self.descriptor)._coerce_value(value, param, ctx)

    return PlainParam
