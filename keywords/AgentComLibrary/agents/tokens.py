"""What a simulated agent reports as ``tokens_used`` with a completion.

By default a realistic count per task (as an LLM agent would spend), the same for the same
task id, so a token check has something to judge; a test can set a fixed count, or make
the agent leave the field out. The contract lets the count come at the frame's top level
or inside ``result``: the agent sends it where its ``tokens_in`` says.
"""

from __future__ import annotations

import zlib
from typing import Literal

REALISTIC = "realistic"
OMIT = "omit"
#: an agent's setting: a fixed count, ``realistic`` (per task) or ``omit`` (no field)
TokenSetting = int | Literal["realistic", "omit"]
LOWEST, SPREAD = 100, 350  # realistic counts are 100..449
TOP, IN_RESULT = "top", "result"
#: where a completion carries its count: the frame's ``tokens_used``, or ``result``'s
TokensIn = Literal["top", "result"]


def realistic_tokens(task_id: str) -> int:
    """A count between 100 and 449 derived from the task id (stable across runs)."""
    return LOWEST + zlib.crc32(str(task_id).encode("utf-8")) % SPREAD


def tokens_for(setting: TokenSetting | str, task_id: str) -> int | None:
    """The ``tokens_used`` to report for ``task_id`` (None: leave the field out)."""
    if setting == OMIT:
        return None
    if setting == REALISTIC:
        return realistic_tokens(task_id)
    try:
        return int(setting)
    except (TypeError, ValueError):
        raise ValueError(
            f"tokens_used must be a number, '{REALISTIC}' or '{OMIT}', got {setting!r}."
        ) from None


def place_tokens(fields: dict, tokens: int | None, where: str) -> None:
    """Put ``tokens`` (None: nothing) into a completion's ``fields`` (with its ``result``):
    at the top level, or inside a copy of ``result`` (``where`` ``result``)."""
    if tokens is None:
        return
    if where == IN_RESULT:
        fields["result"] = {**(fields.get("result") or {}), "tokens_used": tokens}
    elif where == TOP:
        fields["tokens_used"] = tokens
    else:
        raise ValueError(f"tokens_in must be '{TOP}' or '{IN_RESULT}', got {where!r}.")
