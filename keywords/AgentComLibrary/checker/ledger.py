"""Task ledger: reconcile what the test submitted with what the hub and the agents say.

After Jepsen's total-queue checker: every task whose submission was acknowledged (201)
must end completed exactly once by the agent that acknowledged it, or be explainably
elsewhere (dead letter with ``last_error``). The run is valid only with nothing lost,
duplicated, unexpected, mismatched or unfinished.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..hubapi.task_record import TaskRecord
from ..util.formatting import status_word

PROBLEM_CATEGORIES = ("lost", "duplicated", "unexpected", "mismatched", "unfinished")


@dataclass(frozen=True)
class LedgerNote:
    """Why one task is in one category, in words for the failure message."""

    category: str
    task_id: str
    text: str


@dataclass
class Ledger:
    """Counts and task ids of the reconciliation (lists keep submission order)."""

    attempted: int = 0
    acknowledged: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    ack_lost: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    notes: list[LedgerNote] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when nothing is lost, duplicated, unexpected, mismatched or unfinished."""
        return not any(getattr(self, name) for name in PROBLEM_CATEGORIES)

    def add(self, category: str, task_id: str, text: str = "") -> None:
        """Put ``task_id`` in ``category`` once, remembering why."""
        ids: list[str] = getattr(self, category)
        if task_id not in ids:
            ids.append(task_id)
        if text:
            self.notes.append(LedgerNote(category, task_id, text))


def build_ledger(
    attempted: int,
    acknowledged: list[str],
    hub_tasks: Mapping[str, TaskRecord | Mapping[str, Any] | None],
    agent_completions: dict[str, list[str]],
    agent_names: dict[str, str],
    agent_reports: dict[str, list[str]] | None = None,
) -> Ledger:
    """Reconcile submissions, hub records and agent-acknowledged completions.

    attempted: submissions tried. acknowledged: ids of submissions the hub answered 201.
    hub_tasks: task id -> :class:`TaskRecord` (or TASK object), or None when the hub answered 404.
    agent_completions: short agent name -> task ids whose completion was acknowledged to
    that agent. agent_names: hub agent_id -> short name. agent_reports: short agent name ->
    task ids it sent ``task_complete`` for, answered or not: a completion the hub recorded
    for the agent that sent it, whose ack never came (the connection ended first: a hub
    restart, say), is in ``ack_lost``, not a mismatch.
    """
    ledger = Ledger(attempted=attempted)
    acked_to: dict[str, list[str]] = {}
    for agent, ids in agent_completions.items():
        for task_id in ids:
            acked_to.setdefault(str(task_id), []).append(agent)
    sent_by: dict[str, set[str]] = {}
    for agent, ids in (agent_reports or {}).items():
        for task_id in ids:
            sent_by.setdefault(str(task_id), set()).add(agent)

    seen: set[str] = set()
    for raw_id in acknowledged:
        task_id = str(raw_id)
        if task_id in seen:
            continue
        seen.add(task_id)
        ledger.acknowledged.append(task_id)
        raw = hub_tasks.get(task_id)
        task = None if raw is None else TaskRecord.parse(raw)
        _classify(
            ledger, task_id, task, acked_to.get(task_id, []), agent_names, sent_by.get(task_id)
        )

    for task_id, agents in acked_to.items():
        if task_id not in seen:
            ledger.add(
                "unexpected",
                task_id,
                f"completion acknowledged to {_names(agents)}, expected completions only of "
                "tasks this test submitted, seen an id whose submission the hub never "
                "acknowledged to this test",
            )
    return ledger


def _names(agents: list[str]) -> str:
    return ", ".join(agents) if agents else "no agent"


def _classify(
    ledger: Ledger,
    task_id: str,
    task: TaskRecord | None,
    acked: list[str],
    agent_names: dict[str, str],
    sent_by: set[str] | None = None,
) -> None:
    """Put one acknowledged task in its categories."""
    if task is None:
        ledger.add(
            "lost",
            task_id,
            "submission acknowledged (201), expected the hub to know the task, seen 404 "
            f"task_not_found (completion acknowledged to: {_names(acked)})",
        )
        return
    status = task.status
    hub_id = task.last_assignee
    hub_name = agent_names.get(hub_id, hub_id) if hub_id else None
    if hub_name is None:
        hub_label = "no agent on record"
    elif hub_name != hub_id:
        hub_label = f"{hub_name} ({hub_id})"
    else:
        hub_label = hub_name

    if status == "completed":
        ledger.completed.append(task_id)
        events = task.count("completed")
        reclaims = task.count("reclaimed")
        if reclaims:
            ledger.add("recovered", task_id)
        twice = [name for name, n in Counter(acked).items() if n > 1]
        if events > 1 or len(acked) > 1:
            seen = f"{events} 'completed' history events"
            seen += f", completion acknowledged {len(acked)} time(s) to {_names(acked)}"
            if twice:
                seen += f" ({', '.join(twice)} more than once)"
            ledger.add(
                "duplicated",
                task_id,
                f"expected exactly one completion by {hub_label}, seen {seen}",
            )
        if not acked and hub_name in (sent_by or set()):
            ledger.add(
                "ack_lost",
                task_id,
                f"completed by {hub_label}, which sent the completion; its ack never came",
            )
        elif not acked:
            ledger.add(
                "mismatched",
                task_id,
                f"hub says completed by {hub_label}, expected that agent to have its "
                "completion acknowledged, seen no agent with an acknowledged completion",
            )
        elif hub_name not in acked:
            ledger.add(
                "mismatched",
                task_id,
                f"hub says completed by {hub_label}, expected the completion acknowledged to "
                f"that agent, seen it acknowledged to {_names(acked)}",
            )
        return

    if status == "dead_letter":
        ledger.dead_lettered.append(task_id)
        error = task.last_error
        reason = f"last_error {error!r}" if error else "no last_error recorded"
        if acked:
            ledger.add(
                "mismatched",
                task_id,
                f"completion acknowledged to {_names(acked)}, expected the hub to record it "
                f"as completed, seen status dead_letter ({reason})",
            )
        return

    detail = f"status {status_word(status)}"
    if status == "assigned" and hub_name:
        detail += f" with {hub_label}, generation {task.generation}"
    ledger.add(
        "unfinished", task_id, f"expected completed (or dead letter with an error), seen {detail}"
    )
    if acked:
        ledger.add(
            "mismatched",
            task_id,
            f"completion acknowledged to {_names(acked)}, expected the hub to record it as "
            f"completed, seen {detail}",
        )


def describe_ledger_problems(ledger: Ledger) -> str:
    """Plain text naming each problem task, the agents involved, expected vs seen.

    Returns an empty string when the ledger is valid.
    """
    if ledger.valid:
        return ""
    counts = ", ".join(
        f"{len(getattr(ledger, name))} {name}"
        for name in PROBLEM_CATEGORIES
        if getattr(ledger, name)
    )
    lines = [
        f"Task ledger is not valid: {counts} "
        f"(of {len(ledger.acknowledged)} acknowledged submissions)."
    ]
    for name in PROBLEM_CATEGORIES:
        for note in ledger.notes:
            if note.category == name:
                lines.append(f"- {name} {note.task_id}: {note.text}")
        noted = {n.task_id for n in ledger.notes if n.category == name}
        for task_id in getattr(ledger, name):
            if task_id not in noted:
                lines.append(f"- {name} {task_id}")
    return "\n".join(lines)
