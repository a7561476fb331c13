"""Argument parsing shared by the pooling lowerings (ATen passes ints or 1- / 2-lists)."""

from __future__ import annotations

from typing import Any


def pair(value: Any, default: tuple[int, int] | None = None) -> tuple[int, int]:
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        if default is None:
            raise ValueError("missing pooling argument")
        return default
    if isinstance(value, int):
        return value, value
    if len(value) == 1:
        return int(value[0]), int(value[0])
    return int(value[0]), int(value[1])


def arg(fx_node: Any, index: int, name: str, default: Any) -> Any:
    if len(fx_node.args) > index:
        return fx_node.args[index]
    return fx_node.kwargs.get(name, default)
