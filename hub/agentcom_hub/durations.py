"""Parse human durations such as ``250ms``, ``2s``, ``1.5s``, ``5m``, ``1h`` or ``30``."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|)\s*$")


def parse_duration(text: str | float | int) -> float:
    """Return the duration in seconds; a bare number means seconds.

    >>> parse_duration("250ms")
    0.25
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration like 250ms, 2s, 5m or 1h, got {text!r}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"expected a non-negative duration, got {text!r}")
        return float(text)
    match = _PATTERN.match(str(text).lower())
    if not match:
        raise ValueError(f"expected a duration like 250ms, 2s, 1.5s, 5m or 1h, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]
