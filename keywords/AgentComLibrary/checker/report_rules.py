"""Contract rules about how the hub answers an agent's reports: ``task_recovering`` and the
token count of a completion (pure, like every rule: a :class:`~.view.View` in, violations out).

- ``recovering-answer``: ``task_continue`` while the task is still assigned, else
  ``task_reassign`` (the contract's WebSocket table). "Still assigned" is the task's status:
  the contract names no agent, and the real hub (``TaskQueue.recover_task``: ``status:
  :assigned``) and the embedded hub answer ``task_continue`` for a task assigned to anyone.
  Judged only where the task's history, placed on our clock through the clock bounds (or a
  completion ack received before the report was sent), proves its status for the whole
  time the hub may have handled the report.
- ``tokens-recorded``: an acknowledged completion's count is the task's ``tokens_used``:
  the frame's top-level ``tokens_used`` when it is an int (the real hub: ``msg["tokens_used"]
  || result["tokens_used"]``), else the one inside ``result``, else null.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..hubapi.task_record import ASSIGNED, COMPLETED, DEAD_LETTER, QUEUED, TaskRecord
from .events import Event
from .rules import Rule, Violation, _agent_text, hub_seen, seen
from .view import ObservedConnection, View

# the status each history event leaves a task in
STATUS_AFTER = {
    "queued": QUEUED, "assigned": ASSIGNED, "reclaimed": QUEUED, "retry": QUEUED,
    "completed": COMPLETED, "dead_letter": DEAD_LETTER,
}  # fmt: skip
ANSWERS = frozenset({"task_continue", "task_reassign"})
NOT_AN_INT = "not an int"  # observe.history.tokens_fields: a count that is no int


def _exchanges(view: View, kind: str) -> Iterator[tuple[ObservedConnection, Event, Event]]:
    """(connection, frame, answer) of every answered frame of ``kind``."""
    for conn in view.connections.values():
        for exchange in conn.exchanges:
            if exchange.frame.type == kind and exchange.answer is not None:
                yield conn, exchange.frame, exchange.answer


# -- recovering-answer -------------------------------------------------------------------------


def _completion_acked_before(view: View, task_id: str, seq: int) -> Event | None:
    """A ``task_ack complete`` of the task any connection received before ``seq``."""
    for conn in view.connections.values():
        for ack in conn.received("task_ack"):
            if ack.task_id == task_id and ack.info.get("status") == "complete" and ack.seq < seq:
                return ack
    return None


def possible_statuses(task: TaskRecord, earliest: float, latest: float) -> set[str]:
    """The statuses the task may have had at some hub time in [earliest, latest]: the one in
    force before ``earliest`` and the one after each event stamped within it."""
    before: str | None = None
    found: set[str] = set()
    for event in task.events:
        after = STATUS_AFTER.get(event.event)
        if after is None or event.timestamp is None:
            return {QUEUED, ASSIGNED, COMPLETED, DEAD_LETTER}  # an event we cannot place
        if event.timestamp < earliest:
            before = after
        elif event.timestamp <= latest:
            found.add(after)
    if before is not None:
        found.add(before)
    return found


def recovering_answer(view: View) -> list[Violation]:
    """``task_recovering`` is answered ``task_continue`` while the task is still assigned,
    else ``task_reassign``.

    The hub handled the report between our sending it and our receiving the answer: on the
    hub's clock within [sent + lo - 1, received + hi + 1] (the clock bounds, 1 ms slack).
    A ``task_continue`` is a violation when the task's history shows it not assigned at
    any moment of that window (completed, dead-lettered or queued throughout), or when a
    completion of it was acknowledged before the report was sent (completed is final); a
    ``task_reassign`` when the history shows it assigned throughout. A task the hub does
    not know is not judged (``task_reassign`` is the contract's answer), nor a history cut
    at its cap, nor one whose window the clock bounds leave open.
    """
    out = []
    for conn, frame, answer in _exchanges(view, "task_recovering"):
        task = view.tasks.get(frame.task_id or "")
        if answer.type not in ANSWERS or task is None or task.history_truncated:
            continue
        acked = _completion_acked_before(view, task.id, frame.seq)
        if acked is not None:
            possible, why = (
                {COMPLETED},
                f"its completion was acknowledged before ({seen(view, acked)})",
            )
        else:
            earliest = frame.wall_ms + view.clock.lo - 1
            latest = answer.wall_ms + view.clock.hi + 1
            possible = possible_statuses(task, earliest, latest)
            why = "its history shows it " + " or ".join(sorted(possible)) + " all that time"
        if answer.type == "task_continue" and ASSIGNED not in possible:
            expected = "task_reassign"
        elif answer.type == "task_reassign" and possible == {ASSIGNED}:
            expected = "task_continue"
        else:
            continue
        out.append(
            Violation(
                "recovering-answer",
                task.id,
                conn.agent_id,
                f"agent {_agent_text(view, conn.agent_id)} reported task {task.id} as recovering "
                f"and the hub answered {answer.type}, but {why}: the contract's answer is "
                f"{expected}",
                (
                    seen(view, frame),
                    seen(view, answer),
                    *(hub_seen(view, task, e) for e in task.events[-4:]),
                ),
            )
        )
    return out


# -- tokens-recorded ---------------------------------------------------------------------------


def reported_tokens(frame: Event) -> tuple[bool, int | None, str]:
    """(judged, the count a completion reports, where): the top-level ``tokens_used`` when
    it is an int, else the one inside ``result``, else None. Not judged: a frame recorded
    without its counts (a sidecar's log), a count that is no int, or a ``result`` that is
    neither an object nor null."""
    info = frame.info
    if "result_shape" not in info:
        return False, None, ""
    top, inside = info.get("tokens_used"), info.get("result_tokens_used")
    if top == NOT_AN_INT:
        return False, None, ""
    if isinstance(top, int):
        return True, top, "top level"
    if info["result_shape"] == "other" or inside == NOT_AN_INT:
        return False, None, ""
    if isinstance(inside, int):
        return True, inside, "inside result"
    return True, None, "none given"


def tokens_recorded(view: View) -> list[Violation]:
    """The task's ``tokens_used`` after an acknowledged completion is what that completion
    reported: its top-level ``tokens_used``, else the one inside ``result`` (the contract:
    "``tokens_used`` may also come inside ``result``"), else null; the history's
    ``completed`` entry says the same. Only a task with exactly one acknowledged completion
    (two are ``completed-once``'s) and counts that are ints or absent are judged."""
    acked: dict[str, list[tuple[ObservedConnection, Event, Event]]] = {}
    for conn, frame, answer in _exchanges(view, "task_complete"):
        if answer.type == "task_ack" and answer.info.get("status") == "complete":
            acked.setdefault(frame.task_id or "", []).append((conn, frame, answer))
    out = []
    for task_id, completions in acked.items():
        task = view.tasks.get(task_id)
        if task is None or len(completions) != 1 or task.status != COMPLETED:
            continue
        conn, frame, answer = completions[0]
        judged, expected, where = reported_tokens(frame)
        if not judged:
            continue
        recorded = task.raw.get("tokens_used")
        entries = [e for e in task.events if e.event == "completed"]
        details = entries[-1].details if entries else None
        in_history = details.get("tokens_used") if isinstance(details, dict) else expected
        if _same(recorded, expected) and _same(in_history, expected):
            continue
        out.append(
            Violation(
                "tokens-recorded",
                task_id,
                conn.agent_id,
                f"agent {_agent_text(view, conn.agent_id)} completed task {task_id} reporting "
                f"tokens_used {expected} ({where}) and the hub acknowledged it, but the task's "
                f"record says tokens_used {recorded!r} (its history's completed entry: "
                f"{in_history!r})",
                (seen(view, frame), seen(view, answer)),
            )
        )
    return out


def _same(value: object, expected: int | None) -> bool:
    if expected is None:
        return value is None
    return isinstance(value, int) and not isinstance(value, bool) and value == expected


REPORT_RULES: tuple[Rule, ...] = (
    Rule(
        "recovering-answer",
        "task_recovering: task_continue only while the task is assigned",
        recovering_answer,
        forbids=(
            "answer `task_recovering` with `task_continue` for a task that was provably not "
            "assigned (to anyone) while it handled the report (completed, dead-lettered or "
            "queued all that time), or with `task_reassign` for one provably assigned all "
            "that time"
        ),
    ),
    Rule(
        "tokens-recorded",
        "acked completions' tokens_used recorded (top level, else result)",
        tokens_recorded,
        forbids=(
            "record a `tokens_used` other than the acknowledged completion's (its top-level "
            "`tokens_used` when an int, else the one inside `result`, else null)"
        ),
    ),
)
