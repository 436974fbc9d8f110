"""What a failed example found, in a form that says whether another failure is the same one.

A finding is the first broken contract rule (the checker), else the ledger's first problem
category (an end-phase wait that timed out is the ledger's ``unfinished``), else the
failure of the keyword an operation ran (normalised: ids and numbers blanked). Shrinking
keeps only examples that fail the same way, and a reproduction must too (:meth:`matches`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..checker.ledger import PROBLEM_CATEGORIES

CONTRACT = "contract"
LEDGER = "ledger"
KEYWORD = "keyword"

_RULE = re.compile(r"Contract rule '([a-z0-9-]+)' broken")
_LEDGER = re.compile(r"Task ledger is not valid: ([^(]*)\(")
_NOT_FINISHED = "not finished (completed or dead letter)"
_IDS = (
    (re.compile(r"task-[0-9a-f]{16}"), "task-<id>"),
    (re.compile(r"smoke-[0-9a-f]{8}"), "smoke-<run>"),
    (re.compile(r"\d+"), "#"),
)


@dataclass(frozen=True)
class Finding:
    """One way an example failed: ``kind`` (contract, ledger, keyword) and ``key`` (the
    rule, the ledger category, or the keyword's normalised failure); ``message`` in full."""

    kind: str
    key: str
    message: str = ""

    @property
    def signature(self) -> str:
        return f"{self.kind}: {self.key}"

    def __str__(self) -> str:
        if self.kind == CONTRACT:
            return f"contract rule '{self.key}' broken"
        if self.kind == LEDGER:
            return f"task ledger: {self.key}"
        return f"keyword failed: {self.key}"

    def same_as(self, other: Finding | None) -> bool:
        return other is not None and (self.kind, self.key) == (other.kind, other.key)

    def matches(self, message: str) -> bool:
        """Whether a Robot failure message (a reproduction's) is this finding."""
        if self.kind == CONTRACT:
            return f"Contract rule '{self.key}' broken" in message
        if self.kind == LEDGER:
            found = ledger_categories(message)
            if _NOT_FINISHED in message:
                found.append("unfinished")
            return self.key in found
        return any(normalise(part).startswith(self.key) for part in message.splitlines())


def normalise(text: str) -> str:
    """The first line, ids and numbers blanked, cut before what was seen (``got ...``)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    for pattern, replacement in _IDS:
        first = pattern.sub(replacement, first)
    for cut in (", got ", " got "):
        if cut in first:
            first = first.split(cut, 1)[0]
            break
    return first[:120]


def ledger_categories(message: str) -> list[str]:
    """The ledger's problem categories a failure message counts, in the ledger's order."""
    match = _LEDGER.search(message)
    if not match:
        return []
    counted = match.group(1)
    return [name for name in PROBLEM_CATEGORIES if re.search(rf"\d+ {name}\b", counted)]


def classify(body_error: str | None, contract_error: str | None) -> Finding | None:
    """The finding of one example from its failure texts: the body's (an operation, the
    end-phase wait, the ledger check) and the contract checker's; None when both passed."""
    if contract_error:
        match = _RULE.search(contract_error)
        if match:
            return Finding(CONTRACT, match.group(1), contract_error)
        return Finding(KEYWORD, normalise(contract_error), contract_error)
    if not body_error:
        return None
    categories = ledger_categories(body_error)
    if categories:
        return Finding(LEDGER, categories[0], body_error)
    if _NOT_FINISHED in body_error:
        return Finding(LEDGER, "unfinished", body_error)
    return Finding(KEYWORD, normalise(body_error), body_error)
