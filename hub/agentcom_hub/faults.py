"""The named defects the hub can be started with (``--fault NAME``), all off by default.

Each fault is one small named branch in the rule it breaks; grep for ``Fault.<NAME>``.
``faults.toml`` beside this file is the one list of what each fault means and what proves
the suites catch it: the contract clauses it breaks, the contract-checker rule that must
name it (the fault matrix requires it), or, for a fault no rule judges, what catches it
instead; ``DECLARED`` holds it. The fault matrix (tools/fault_matrix.py), its quick mode's
listener and docs/fault-matrix.md's fault table (tools/check_rule_docs.py) read it here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[no-redef]


class Fault(str, Enum):
    """A switchable defect; the value is the command-line name."""

    NO_IDLE_SCHEDULING = "no-idle-scheduling"
    NO_RECLAIM_ON_DISCONNECT = "no-reclaim-on-disconnect"
    NO_GENERATION_FENCING = "no-generation-fencing"
    IGNORE_PRIORITY = "ignore-priority"
    UNFAIR_AGENT_CHOICE = "unfair-agent-choice"
    VOLATILE_STORE = "volatile-store"
    NO_AUTH = "no-auth"
    LOSE_ASSIGNMENT = "lose-assignment"
    NO_LIVENESS_EVICTION = "no-liveness-eviction"
    DOUBLE_ASSIGN = "double-assign"
    STALE_ACK = "stale-ack"
    ASSIGN_DISCONNECTED = "assign-disconnected"
    IGNORE_CAPABILITIES = "ignore-capabilities"
    HISTORY_MISORDER = "history-misorder"
    NO_PRESENCE = "no-presence"
    NO_FAIL_FENCING = "no-fail-fencing"
    ACCEPT_KEEPS_TIMER = "accept-keeps-timer"
    FLAT_HIGH_NORMAL = "flat-high-normal"
    HEAD_OF_LINE_BLOCKING = "head-of-line-blocking"
    PROGRESS_IGNORED = "progress-ignored"
    NO_STUCK_SWEEP = "no-stuck-sweep"
    NO_OVERDUE_SWEEP = "no-overdue-sweep"
    FILTER_IGNORES_ASSIGNED_TO = "filter-ignores-assigned-to"
    STATS_COUNT_DEAD_LETTER = "stats-count-dead-letter"
    REVOKE_ONE_TOKEN = "revoke-one-token"
    UNKNOWN_PRIORITY_LOW = "unknown-priority-low"
    RECOVER_ALWAYS_CONTINUE = "recover-always-continue"
    RESULT_TOKENS_IGNORED = "result-tokens-ignored"
    PING_NOT_COUNTED = "ping-not-counted"
    NO_WORKING_STATE = "no-working-state"
    AGENTS_LIST_RACE = "agents-list-race"

    @property
    def description(self) -> str:
        """One line saying what breaks."""
        return DECLARED[self].meaning

    @property
    def rule(self) -> str:
        """The contract-checker rule that must name this fault ("" when none judges it)."""
        return DECLARED[self].rule

    @classmethod
    def parse(cls, name: str) -> Fault:
        """The fault called ``name``; ValueError naming the known faults otherwise."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            known = ", ".join(f.value for f in cls)
            raise ValueError(f"unknown fault {name!r}; expected one of: {known}") from None


@dataclass(frozen=True)
class Declaration:
    """What a fault breaks and what proves the suites catch it."""

    meaning: str  # one line saying what breaks
    clauses: tuple[str, ...] = ()  # ids of docs/contract/clauses.toml it breaks
    rule: str = ""  # the contract-checker rule a failure must name (checker/rules.py)
    caught_by: str = ""  # with no rule: which tests or checks catch it instead


DECLARATIONS_FILE = Path(__file__).with_name("faults.toml")


class DeclarationError(ValueError):
    """faults.toml does not declare each fault exactly once, or declares one badly."""


def load_declarations(text: str) -> dict[Fault, Declaration]:
    """Each fault's declaration from the text of faults.toml; DeclarationError naming the
    fault that is undeclared, unknown, declared twice, or declares neither or both of
    ``rule`` and ``caught_by``."""
    declared: dict[Fault, Declaration] = {}
    for entry in tomllib.loads(text).get("fault", []):
        name = entry.get("name", "")
        try:
            fault = Fault.parse(name)
        except ValueError as error:
            raise DeclarationError(f"{DECLARATIONS_FILE.name}: {error}") from None
        if fault in declared:
            raise DeclarationError(f"{DECLARATIONS_FILE.name}: fault {name!r} declared twice")
        rule, caught_by = entry.get("rule", ""), entry.get("caught_by", "")
        if not entry.get("meaning") or bool(rule) == bool(caught_by):
            raise DeclarationError(
                f"{DECLARATIONS_FILE.name}: fault {name!r} needs a meaning and either the "
                "contract rule that names it (rule) or what catches it instead (caught_by)"
            )
        declared[fault] = Declaration(
            entry["meaning"], tuple(entry.get("clauses", ())), rule, caught_by
        )
    missing = [f.value for f in Fault if f not in declared]
    if missing:
        raise DeclarationError(f"{DECLARATIONS_FILE.name}: no declaration of {', '.join(missing)}")
    return declared


DECLARED: dict[Fault, Declaration] = load_declarations(
    DECLARATIONS_FILE.read_text(encoding="utf-8")
)


def describe_all() -> str:
    """One line per fault: ``name  description``."""
    width = max(len(f.value) for f in Fault)
    return "\n".join(f"{f.value:<{width}}  {f.description}" for f in Fault)
