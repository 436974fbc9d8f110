"""Strict JSON parsing for untrusted input."""

from __future__ import annotations

import json
from typing import Any


def _no_constant(name: str) -> Any:
    raise ValueError(f"expected standard JSON, got {name}")


MAX_DEPTH = 200


def _depth(value: Any) -> int:
    """Nesting depth of containers, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in item)
    return deepest


def loads(data: str | bytes) -> Any:
    """Parse JSON; ValueError for anything that is not standard JSON (NaN, Infinity,
    invalid UTF-8) or nested deeper than MAX_DEPTH (so it can always be encoded again)."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    marks = data.count(b"{" if isinstance(data, bytes) else "{") + data.count(
        b"[" if isinstance(data, bytes) else "["
    )
    if marks > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


def is_text(value: Any) -> bool:
    """True for a non-empty string that can be stored as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
