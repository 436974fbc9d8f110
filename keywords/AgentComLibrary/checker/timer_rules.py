"""The rules of the hub's own timers (agentcom-protocol.md, "What the hub does on its own"):
an accepted task is kept, the stuck sweep acts, the overdue sweep acts.

Each judges the hub's task records against what the agents saw on the wire, with the hub's
timers (``View.timers``: the embedded hub's options, or the contract's values) and the clock
bounds of :class:`~.view.Clock`. A moment is claimed only when the bounds prove it; the
sweep rules add a generous margin on top of two sweep intervals (a busy machine delays a
sweep), so a correct hub is never flagged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..hubapi.task_record import TaskEvent, TaskRecord
from .events import OUT, Event
from .rules import Violation, hub_seen, seen
from .view import Clock, ObservedConnection, View, assignment, info_int, next_event

Judged = tuple[TaskRecord, TaskEvent, "TaskEvent | None", float]  # task, assignment, end, due
REFRESHES = frozenset({"task_accepted", "task_progress"})  # the contract's updated_at refreshers


def sweep_margin_ms(timer_s: float) -> float:
    """What a sweep may be late beyond two of its intervals: 1.5 s and a tenth of the timer
    (TEST-02o's own waits allow 2 s after the assignment; the refresh bound comes later)."""
    return 1500 + timer_s * 100


def hub_surely_before(clock: Clock, hub_ms: int, wall_ms: int) -> bool:
    """The hub's event stamped ``hub_ms`` happened before our event at ``wall_ms``."""
    return hub_ms - clock.lo + 1 < wall_ms


def processed_by(conn: ObservedConnection, frame: Event) -> Event | None:
    """The first answer the hub sent on ``conn`` to ``frame`` or to a later frame of it: the
    hub answers one connection's frames in order, so ``frame`` was processed before it."""
    answers = [x.answer for x in conn.exchanges if x.frame.seq >= frame.seq and x.answer]
    return min(answers, key=lambda e: e.seq, default=None)


def open_after(view: View, conn: ObservedConnection, hub_ms: int) -> bool:
    """The hub still served ``conn`` after its moment ``hub_ms``: it answered a frame sent
    surely after it (a hub that closed the connection, e.g. a liveness eviction, answers
    nothing more)."""
    return any(
        x.answer is not None and hub_surely_before(view.clock, hub_ms, x.frame.wall_ms)
        for x in conn.exchanges
    )


# -- accepted-task-kept ------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """An assignment its agent accepted on ``conn`` (the hub acked the ``task_accepted``)."""

    conn: ObservedConnection
    task: TaskRecord
    generation: int
    accept: Event
    ack: Event


def accepted_assignments(view: View) -> Iterator[Accepted]:
    for conn in view.connections.values():
        if not conn.identified or not conn.agent_id:
            continue
        for x in conn.exchanges:
            frame, answer = x.frame, x.answer
            if frame.type != "task_accepted" or answer is None or answer.type != "task_ack":
                continue
            task = view.tasks.get(frame.task_id or "")
            given = [e for e in conn.received("task_assign") if e.task_id == frame.task_id]
            given = [e for e in given if e.seq < frame.seq and e.generation is not None]
            if task is not None and given:
                yield Accepted(conn, task, given[-1].generation or 0, frame, answer)


Frames = dict[str, list[tuple[ObservedConnection, Event]]]


def assigns_by_task(view: View) -> Frames:
    """Every ``task_assign`` any agent received, by task id (built once per judgement: the
    rules look them up per assignment, which over 10,000 tasks must not scan them all)."""
    found: Frames = {}
    for conn in view.connections.values():
        for e in conn.received("task_assign"):
            if e.task_id:
                found.setdefault(e.task_id, []).append((conn, e))
    return found


def reports_by_task(view: View) -> Frames:
    """Every frame an agent sent naming a task, by task id (built once per judgement)."""
    found: Frames = {}
    for conn in view.connections.values():
        for e in conn.events:
            if e.direction == OUT and e.task_id:
                found.setdefault(e.task_id, []).append((conn, e))
    return found


def taken_back(view: View, held: Accepted, assigns: Frames | None = None) -> tuple[int, str] | None:
    """When (hub ms) and how the hub took ``held`` back: the reclaim that ended it in the
    record, or the ``assigned_at`` of a later generation of the task anyone received."""
    index = assignment(held.task, held.conn.agent_id, held.generation)
    if index is None:
        return None  # not in the record (a history at its cap): not judged
    end = next_event(held.task, index)
    if end is not None and end.event not in ("reclaimed", "assigned"):
        return None  # completed or failed: the agent gave it back
    moments = []
    if end is not None and end.event == "reclaimed" and end.timestamp is not None:
        moments.append((end.timestamp, f"reclaimed ({end.details})"))
    assigns = assigns_by_task(view) if assigns is None else assigns
    for conn, e in assigns.get(held.task.id, ()):
        stamp = info_int(e, "assigned_at")
        if (e.generation or 0) > held.generation and stamp:
            moments.append((stamp, f"handed to {view.name(conn.agent_id)} gen {e.generation}"))
    return min(moments, default=None)


def last_refresh(view: View, held: Accepted, hub_ms: int) -> Event | None:
    """The latest ``task_accepted``/``task_progress`` of the held task on its connection
    that the hub surely processed before ``hub_ms`` (a later frame's answer came before)."""
    latest = None
    for e in held.conn.events:
        if e.direction != OUT or e.type not in REFRESHES or e.task_id != held.task.id:
            continue
        if e.seq < held.accept.seq:
            continue
        answer = processed_by(held.conn, e)
        if answer is not None and view.clock.surely_before(answer.wall_ms, hub_ms):
            latest = e
    return latest


def reconnected_meanwhile(view: View, held: Accepted, hub_ms: int) -> bool:
    """Another connection of the same agent may have identified before ``hub_ms``."""
    return any(
        c.number != held.conn.number
        and c.identified is not None
        and c.identified.seq > held.conn.events[0].seq
        and view.clock.maybe_before(c.identified.wall_ms, hub_ms)
        for c in view.agent_connections(held.conn.agent_id)
    )


def accepted_task_kept(view: View) -> list[Violation]:
    """An accepted task is not taken back while its agent's connection is open, before the
    stuck threshold since its last refresh, and before its ``complete_by``.

    The contract takes an assignment back at a disconnect, at the acceptance timeout of an
    assignment not accepted, at the stuck threshold (``updated_at``, refreshed by
    ``task_accepted`` and ``task_progress``, older than it) or past ``complete_by``. So for
    an assignment whose ``task_accepted`` the hub acked surely before the moment it took the
    task back (a ``reclaimed`` ending that assignment in its record, or a higher generation
    of the task anyone received), that moment is a violation when: the task has no
    ``complete_by`` at or before it; the hub answered a frame of that connection sent surely
    after it (the connection was open: a liveness eviction or idle close is allowed); no
    other connection of the agent may have identified before it; and it came less than the
    stuck threshold after the hub processed the connection's last refresh of the task that
    surely came before it (processed: a later frame of that connection was answered before
    the moment; counted from the refresh's sending on the hub clock's lower bound).
    """
    out = []
    assigns = assigns_by_task(view)
    for held in accepted_assignments(view):
        back = taken_back(view, held, assigns)
        if back is None or view.clock.lo == -math.inf:
            continue
        stamp, how = back
        complete_by = held.task.raw.get("complete_by")
        if isinstance(complete_by, int) and stamp >= complete_by - 100:
            continue
        if not view.clock.surely_before(held.ack.wall_ms, stamp):
            continue  # the acceptance may have come after an acceptance timeout
        if not open_after(view, held.conn, stamp) or reconnected_meanwhile(view, held, stamp):
            continue
        refresh = last_refresh(view, held, stamp)
        if refresh is None:
            continue
        since = stamp - (refresh.wall_ms + view.clock.lo)
        if since >= view.stuck_threshold_ms * 0.98 - 50:
            continue
        agent = view.name(held.conn.agent_id)
        out.append(
            Violation(
                "accepted-task-kept",
                held.task.id,
                held.conn.agent_id,
                f"task {held.task.id} (gen {held.generation}), accepted by agent '{agent}', "
                f"was taken back ({how}) at most {since / 1000:.1f} s after its last refresh, "
                f"within the stuck threshold of {view.timers.stuck_threshold:g} s, while the "
                "agent's connection was open and before any complete_by",
                (
                    seen(view, held.accept),
                    seen(view, held.ack),
                    seen(view, refresh),
                    *_record_lines(view, held.task),
                ),
            )
        )
    return out


def _record_lines(view: View, task: TaskRecord) -> tuple[str, ...]:
    return tuple(hub_seen(view, task, e) for e in task.events if e.event != "queued")


# -- stuck-sweep-acts ----------------------------------------------------------------------------


def refreshed_until(
    view: View, task: TaskRecord, start: int, end: int | None, reports: Frames | None = None
) -> float:
    """An upper bound (hub ms) of the task's ``updated_at`` during its assignment stamped
    ``start`` and ended at ``end`` (None: still assigned): the assignment's stamp or the
    latest processing of any frame naming the task (inf when one that may fall in it was
    never proven processed)."""
    latest = float(start)
    reports = reports_by_task(view) if reports is None else reports
    for conn, e in reports.get(task.id, ()):
        if end is not None and e.wall_ms + view.clock.lo > end:
            continue  # processed after the assignment ended
        answer = processed_by(conn, e)
        if answer is None and conn.end is None:
            return math.inf
        last = answer if answer is not None else conn.end
        latest = max(latest, last.wall_ms + view.clock.hi)  # type: ignore[union-attr]
    return latest


def sweep_judged(view: View, task: TaskRecord, deadline: float) -> bool:
    """The hub's record of ``task`` was read surely after the hub's moment ``deadline``."""
    read = view.task_events.get(task.id)
    return read is not None and read.wall_ms + view.clock.lo > deadline


def assignments_with_ends(task: TaskRecord) -> Iterator[tuple[TaskEvent, TaskEvent | None]]:
    for index, event in enumerate(task.events):
        if event.event == "assigned" and event.timestamp is not None:
            yield event, next_event(task, index)


def stuck_deadlines(view: View) -> Iterator[Judged]:
    """Each judged assignment with the moment (hub ms) the stuck sweep must have ended it."""
    timers = view.timers
    wait = (
        timers.stuck_threshold * 1000
        + 2 * timers.stuck_sweep_interval * 1000
        + sweep_margin_ms(timers.stuck_threshold)
    )
    if math.isinf(view.clock.lo) or math.isinf(view.clock.hi):
        return
    reports = reports_by_task(view)
    for task in view.tasks.values():
        if task.history_truncated:
            continue
        for start, end in assignments_with_ends(task):
            until = refreshed_until(
                view, task, start.timestamp or 0, end and end.timestamp, reports
            )
            deadline = until + wait
            if not math.isinf(until) and sweep_judged(view, task, deadline):
                yield task, start, end, deadline


def stuck_sweep_acts(view: View) -> list[Violation]:
    """An assigned task not refreshed for the stuck threshold is taken back within two stuck
    sweeps and a margin.

    Judged for each assignment in the records whose refreshes are all bounded: the latest
    moment the hub may have refreshed the task (the assignment's stamp, or the answer to a
    frame naming the task, or to a later frame of its connection, on the clock's upper
    bound) plus the threshold, two sweep intervals and 1.5 s + 10 % of the threshold; the
    record must have been read surely after that moment. The assignment must have ended
    (reclaimed, completed, failed) by then.
    """
    timers = view.timers
    return _not_ended(
        view,
        "stuck-sweep-acts",
        stuck_deadlines(view),
        lambda start, deadline: (
            f"although no refresh can have come for "
            f"{(deadline - (start.timestamp or 0)) / 1000:.1f} s after the assignment: the "
            f"stuck threshold of {timers.stuck_threshold:g} s, two sweeps of "
            f"{timers.stuck_sweep_interval:g} s and a margin had passed"
        ),
    )


def _not_ended(
    view: View, rule: str, judged: Iterator[Judged], why: Callable[[TaskEvent, float], str]
) -> list[Violation]:
    """A violation of ``rule`` for each judged assignment not ended by its deadline."""
    out = []
    for task, start, end, deadline in judged:
        if end is not None and end.timestamp is not None and end.timestamp <= deadline:
            continue
        what = "was still assigned when read" if end is None else f"ended only by {end.event}"
        out.append(
            Violation(
                rule,
                task.id,
                start.agent_id,
                f"task {task.id}, assigned to agent '{view.name(start.agent_id)}' (gen "
                f"{start.generation}), {what}, {why(start, deadline)}",
                _record_lines(view, task),
            )
        )
    return out


# -- overdue-sweep-acts --------------------------------------------------------------------------


def overdue_deadlines(view: View) -> Iterator[Judged]:
    """Each judged assignment of a task with ``complete_by`` and the moment (hub ms) the
    overdue sweep must have ended it."""
    sweep = view.timers.overdue_sweep_interval
    if math.isinf(view.clock.lo):
        return
    for task in view.tasks.values():
        complete_by = task.raw.get("complete_by")
        if not isinstance(complete_by, int) or task.history_truncated:
            continue
        for start, end in assignments_with_ends(task):
            deadline = max(complete_by, start.timestamp or 0) + 2 * sweep * 1000
            deadline += sweep_margin_ms(sweep)
            if sweep_judged(view, task, deadline):
                yield task, start, end, deadline


def overdue_sweep_acts(view: View) -> list[Violation]:
    """An assigned task past its ``complete_by`` is taken back within two overdue sweeps and
    a margin, and a task completed is not run again.

    Judged for each assignment of a task with ``complete_by`` whose record was read surely
    after the later of ``complete_by`` and the assignment's stamp, plus two overdue sweep
    intervals and 1.5 s + 10 % of one: the assignment must have ended by then. Any assignment
    after a ``completed`` is a violation too.
    """
    sweep = view.timers.overdue_sweep_interval
    out = _not_ended(
        view,
        "overdue-sweep-acts",
        overdue_deadlines(view),
        lambda _start, _deadline: (
            f"past its complete_by by two overdue sweeps of {sweep:g} s and a margin"
        ),
    )
    for task in view.tasks.values():
        if not isinstance(task.raw.get("complete_by"), int):
            continue
        names = [e.event for e in task.events]
        if "completed" in names and "assigned" in names[names.index("completed") :]:
            out.append(
                Violation(
                    "overdue-sweep-acts",
                    task.id,
                    None,
                    f"task {task.id} with a complete_by was assigned again after it was completed",
                    _record_lines(view, task),
                )
            )
    return out


def applicable(view: View) -> dict[str, int]:
    """How many cases each timer rule judged in this view (for measuring, not for verdicts)."""
    kept = 0
    assigns = assigns_by_task(view)
    for held in accepted_assignments(view):
        back = taken_back(view, held, assigns)
        if back is not None and view.clock.surely_before(held.ack.wall_ms, back[0]):
            kept += 1
    return {
        "accepted-task-kept (taken back)": kept,
        "accepted-task-kept (accepted)": sum(1 for _ in accepted_assignments(view)),
        "stuck-sweep-acts": sum(1 for _ in stuck_deadlines(view)),
        "overdue-sweep-acts": sum(1 for _ in overdue_deadlines(view)),
    }
