"""Hide secrets in anything that may be logged or raised: tokens show 8 characters."""

from __future__ import annotations

import re

SHOWN = 8
HEAD_MARGIN = 128  # longer than any token: a token that starts in the head is masked whole

_HEX_TOKEN = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_JSON_TOKEN = re.compile(r'("token"\s*:\s*")([^"]*)(")')
_BEARER = re.compile(r"(Bearer\s+)(\S+)")


def mask(token: object) -> str:
    """The first 8 characters of a token followed by ``...`` (``''`` stays ``''``)."""
    text = "" if token is None else str(getattr(token, "value", token))
    if not text:
        return ""
    return text[:SHOWN] + "..."


def mask_text(text: str) -> str:
    """Mask every token-like value in ``text``: long hex strings, JSON ``"token"``
    values and ``Bearer`` credentials."""
    text = _JSON_TOKEN.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)
    text = _BEARER.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return _HEX_TOKEN.sub(lambda m: mask(m.group(0)), text)


def masked_head(text: str, limit: int) -> str:
    """``mask_text(text)`` cut to ``limit`` characters (then ``... (N characters)``). Only
    the head is masked, so logging a long answer (a listing of 10,000 tasks) costs what a
    short one does."""
    if len(text) <= limit:
        return mask_text(text)
    head = mask_text(text[: limit + HEAD_MARGIN])[:limit]
    return f"{head}... ({len(text)} characters)"
