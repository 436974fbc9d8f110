"""The contract rules: small pure functions from a :class:`~.view.View` to violations.

Each rule judges the HUB, and only what the history proves: wire order on one connection
(the hub sends one connection's frames in order and answers its frames in order), the
hub's own timestamps compared with each other, and our clock compared with the hub's only
through the bounds of :class:`~.view.Clock`. What an agent does on purpose (stale or
garbage reports) is never a violation; how the hub answers it may be.

Rule names are stable: failure messages start with ``Contract rule '<name>' broken:``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..hubapi.task_record import TaskEvent, TaskRecord
from .events import CONN, IN, OUT, Event
from .view import RELEASING_ACKS, ObservedConnection, View, assignment, info_int, next_event

QUEUE_ENTRIES = frozenset({"queued", "reclaimed", "retry"})
KNOWN_EVENTS = frozenset({"queued", "assigned", "completed", "retry", "dead_letter", "reclaimed"})
# task state machine of the contract: (state, event) -> new state
TRANSITIONS = {
    ("queued", "assigned"): "assigned",
    ("assigned", "reclaimed"): "queued",
    ("assigned", "retry"): "queued",
    ("assigned", "completed"): "completed",
    ("assigned", "dead_letter"): "dead_letter",
    ("dead_letter", "queued"): "queued",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the events that prove it."""

    rule: str
    task_id: str | None
    agent_id: str | None
    text: str
    evidence: tuple[str, ...] = ()
    hub_log: tuple[str, ...] = ()  # the hub's own log lines of that moment (observe.hublog)


@dataclass(frozen=True)
class Rule:
    """One rule of the contract. ``RULES`` is the one list of them: the rule tables of
    docs/checker.md and of `Contract Should Hold` are generated from (or checked against) it
    by ``tools/check_rule_docs.py``."""

    name: str
    summary: str  # the keyword docs' line: what holds
    check: Callable[[View], list[Violation]]
    forbids: str = ""  # docs/checker.md's line: what the hub must not do
    # False: skips task records that history-well-formed found malformed (their order
    # proves nothing); True: counts in them still mean something
    reads_malformed: bool = False


# -- describing evidence ---------------------------------------------------------------------


def seen(view: View, event: Event) -> str:
    """``+1.234 s  worker-1 <- task_assign task-… gen 2``."""
    arrow = {IN: "<-", OUT: "->"}.get(event.direction, "--")
    parts = [
        f"{view.rel(event):+.3f} s",
        view.name(event.agent_id) if event.agent_id else event.actor,
        arrow,
        event.type,
    ]
    if event.task_id:
        parts.append(event.task_id)
    if event.generation is not None or event.info.get("has_generation"):
        parts.append(f"gen {event.generation if event.generation is not None else '(none)'}")
    for key in ("status", "error"):
        if key in event.info:
            parts.append(f"{key} {event.info[key]}")
    if event.conn is not None:
        parts.append(f"(connection #{event.conn})")
    if event.info.get("log_line"):  # a sidecar's frame, read from its log
        parts.append(f"[{event.info.get('from_log')}: {event.info['log_line']}]")
    return " ".join(str(p) for p in parts)


def hub_seen(view: View, task: TaskRecord, event: TaskEvent) -> str:
    """``hub +1.230 s  task-…: assigned to worker-1 gen 2`` (hub clock, estimated)."""
    when = view.hub_rel(event.timestamp)
    stamp = f"{when:+.3f} s" if when is not None else f"at {event.timestamp} (hub ms)"
    what = event.event
    if event.event == "assigned":
        what = f"assigned to {view.name(event.agent_id)} gen {event.generation}"
    elif isinstance(event.details, str):
        what = f"{event.event} ({event.details})"
    return f"hub {stamp} {task.id}: {what}"


def _agent_text(view: View, agent_id: str | None) -> str:
    return f"'{view.name(agent_id)}' ({agent_id})"


# -- connection walk shared by several rules ---------------------------------------------------


@dataclass
class Holding:
    """A task a connection received and has not been released from."""

    task_id: str
    generation: int | None
    received: Event


def _released_by_hub(
    view: View, held: Holding, agent_id: str | None, by_hub_ms: int | None
) -> bool:
    """True when the hub's record shows the held assignment ended (reclaimed, retried,
    dead-lettered, completed) at or before ``by_hub_ms`` on the hub's clock, or when the
    record cannot tell (missing, truncated): then nothing is claimed."""
    task = view.tasks.get(held.task_id)
    if task is None:
        return True
    index = assignment(task, agent_id, held.generation)
    if index is None:
        return True  # not recorded (another rule's business) or cut off at the cap
    for event in task.events[index + 1 :]:
        if by_hub_ms is None or event.timestamp is None:
            return True
        if event.event == "reclaimed" and event.timestamp <= by_hub_ms:
            return True  # no message tells the agent: the hub's own clock decides
        if event.event in ("completed", "retry", "dead_letter") and event.timestamp < by_hub_ms:
            return True  # finished in an earlier millisecond than the new assignment
        if event.timestamp > by_hub_ms:
            return False
    return False


def _holding_frames(conn: ObservedConnection) -> Iterator[Event]:
    """The frames the connection received that change what it holds: each ``task_assign``
    with a task id, and each hub ack that releases a task (of a completion or failure)."""
    for event in conn.events:
        releases = event.type == "task_ack" and event.info.get("status") in RELEASING_ACKS
        assigns = event.type == "task_assign" and bool(event.task_id)
        if event.direction == IN and (releases or assigns):
            yield event


def _without(held: list[Holding], task_id: str | None) -> list[Holding]:
    """``held`` less any holding of ``task_id``."""
    return [h for h in held if h.task_id != task_id]


def walk_holdings(view: View, conn: ObservedConnection) -> Iterator[tuple[Event, list[Holding]]]:
    """For each ``task_assign`` the connection received: the event and what the connection
    still held at that moment (released by the hub's ack of a completion or failure on the
    wire, or by a reclaim the hub stamped no later than the new assignment)."""
    held: list[Holding] = []
    for event in _holding_frames(conn):
        if event.type == "task_ack":
            held = _without(held, event.task_id)
            continue
        at = info_int(event, "assigned_at")
        held = [h for h in held if not _released_by_hub(view, h, conn.agent_id, at)]
        yield event, list(held)
        held = [*_without(held, event.task_id), Holding(event.task_id, event.generation, event)]


def final_holdings(view: View, conn: ObservedConnection) -> list[Holding]:
    """What the connection holds after its last event (hub reclaims at any time count)."""
    held: list[Holding] = []
    for event in _holding_frames(conn):
        held = _without(held, event.task_id)
        if event.type == "task_assign":
            held.append(Holding(event.task_id, event.generation, event))
    return [h for h in held if not _released_by_hub(view, h, conn.agent_id, None)]


def _report_generation(frame: Event) -> int:
    """The generation a report carried, as the hub must count it (missing or not an int: 0)."""
    return frame.generation if frame.generation is not None else 0


def _acked_reports(view: View) -> Iterator[tuple[ObservedConnection, Event, Event]]:
    """(connection, report, ack) for every completion/failure report the hub acknowledged."""
    for conn in view.connections.values():
        for exchange in conn.exchanges:
            answer = exchange.answer
            if (
                answer is not None
                and answer.type == "task_ack"
                and answer.info.get("status") in RELEASING_ACKS
                and exchange.frame.type in ("task_complete", "task_failed")
                and not exchange.frame.info.get("generation_unknown")
                and view.before_snapshot(answer)
            ):
                yield conn, exchange.frame, answer


# -- the rules -------------------------------------------------------------------------------


def one_task_per_agent(view: View) -> list[Violation]:
    """No task_assign reaches a connection that still holds another task."""
    out = []
    for conn in view.connections.values():
        if not conn.identified:
            continue
        for event, held in walk_holdings(view, conn):
            others = [h for h in held if h.task_id != event.task_id]
            if not others:
                continue
            first = others[0]
            task = view.tasks.get(first.task_id)
            trail = [hub_seen(view, task, e) for e in task.events[-4:]] if task else []
            out.append(
                Violation(
                    "one-task-per-agent",
                    event.task_id,
                    conn.agent_id,
                    f"task {event.task_id} was assigned to agent "
                    f"{_agent_text(view, conn.agent_id)} "
                    f"while it still held task {first.task_id} (assigned gen {first.generation}, "
                    "not completed, failed or reclaimed since)",
                    (seen(view, first.received), seen(view, event), *trail),
                )
            )
    return out


def assignment_delivered(view: View) -> list[Violation]:
    """Every assignment the hub records reaches its agent, when that agent's connection
    was identified before the assignment and stayed open to the end."""
    received = {
        (c.agent_id, r.task_id, r.generation)
        for c in view.connections.values()
        if c.identified
        for r in c.received("task_assign")
    }
    out = []
    for task in view.tasks.values():
        for event in task.assignments:
            agent_id = event.agent_id
            conns = view.agent_connections(agent_id)
            if not conns or event.timestamp is None:
                continue
            if (agent_id, task.id, event.generation) in received:
                continue
            last = conns[-1]
            if (
                last.open_at_end
                and last.identified is not None
                and view.clock.surely_before(last.identified.wall_ms, event.timestamp)
            ):
                out.append(
                    Violation(
                        "assignment-delivered",
                        task.id,
                        agent_id,
                        f"the hub recorded assigning {task.id} (gen {event.generation}) to agent "
                        f"{_agent_text(view, agent_id)}, but no task_assign for it ever reached "
                        "that agent, whose connection was open from before the assignment to the "
                        "end of the test",
                        (seen(view, last.identified), hub_seen(view, task, event)),
                    )
                )
    return out


def assignment_recorded(view: View) -> list[Violation]:
    """Every task_assign an agent gets is one the hub records (task, agent, generation)."""
    out = []
    for conn in view.connections.values():
        if not conn.identified:
            continue
        for event in conn.received("task_assign"):
            if not event.task_id or not view.before_snapshot(event):
                continue
            task = view.tasks.get(event.task_id)
            if task is None:
                if event.task_id in view.missing_tasks:
                    out.append(
                        Violation(
                            "assignment-recorded",
                            event.task_id,
                            conn.agent_id,
                            f"agent {_agent_text(view, conn.agent_id)} was sent task_assign for "
                            f"{event.task_id}, a task the hub does not know (404)",
                            (seen(view, event),),
                        )
                    )
                continue
            if assignment(task, conn.agent_id, event.generation) is not None:
                continue
            if task.history_truncated:
                continue
            others = [hub_seen(view, task, e) for e in task.assignments]
            out.append(
                Violation(
                    "assignment-recorded",
                    task.id,
                    conn.agent_id,
                    f"agent {_agent_text(view, conn.agent_id)} was sent task_assign for {task.id} "
                    f"gen {event.generation}, but the hub's history of the task has no such "
                    "assignment",
                    (seen(view, event), *(others or ["hub: no assignment recorded"])),
                )
            )
    return out


def generation_increases(view: View) -> list[Violation]:
    """Each new assignment of a task has a higher generation than the ones before (in the
    hub's history, and in the task_assign frames agents received)."""
    out = []
    for task in view.tasks.values():
        last: TaskEvent | None = None
        for event in task.assignments:
            if event.generation is None or (
                last and last.generation is not None and event.generation <= last.generation
            ):
                out.append(
                    Violation(
                        "generation-increases",
                        task.id,
                        event.agent_id,
                        f"the hub assigned {task.id} with generation {event.generation} after an "
                        f"assignment with generation {last.generation if last else '-'}",
                        tuple(hub_seen(view, task, e) for e in (last, event) if e),
                    )
                )
            last = event
    by_task: dict[str, list[Event]] = {}
    for conn in view.connections.values():
        for e in conn.received("task_assign"):
            if e.task_id and info_int(e, "assigned_at") is not None:
                by_task.setdefault(e.task_id, []).append(e)
    for task_id, received in by_task.items():
        frames = sorted(received, key=lambda e: (info_int(e, "assigned_at"), e.seq))
        for before, after in itertools.pairwise(frames):
            if before.generation is None or after.generation is None:
                continue
            later = info_int(after, "assigned_at") > info_int(before, "assigned_at")  # type: ignore[operator]
            if (after.generation < before.generation and later) or (
                after.generation == before.generation
            ):
                out.append(
                    Violation(
                        "generation-increases",
                        task_id,
                        after.agent_id,
                        f"{task_id} was assigned with generation {after.generation} after an "
                        f"assignment with generation {before.generation}",
                        (seen(view, before), seen(view, after)),
                    )
                )
    return out


def ack_current_generation(view: View) -> list[Violation]:
    """The hub acknowledges a completion or failure only for the current generation: the
    report's generation is the assignment that the completion (retry, dead letter) ended."""
    out = []
    for conn, report, ack in _acked_reports(view):
        task = view.tasks.get(report.task_id or "")
        if task is None:
            continue
        generation = _report_generation(report)
        index = assignment(task, None, generation)
        wanted = {"complete": {"completed"}, "retried": {"retry"}, "dead_letter": {"dead_letter"}}[
            str(ack.info.get("status"))
        ]
        if index is None and task.history_truncated:
            continue
        after = next_event(task, index) if index is not None else None
        if after is not None and after.event in wanted:
            continue
        current = [e for e in task.assignments if e.generation != generation][-1:]
        shown = "(none)" if not report.info.get("has_generation") else generation
        out.append(
            Violation(
                "ack-current-generation",
                task.id,
                conn.agent_id,
                f"the hub acknowledged {report.type} of {task.id} with generation {shown} "
                f"('{ack.info.get('status')}') from agent {_agent_text(view, conn.agent_id)}, "
                f"but generation {shown} was not the assignment that the hub's record shows "
                f"ending with {'/'.join(sorted(wanted))}",
                (
                    seen(view, report),
                    seen(view, ack),
                    *(hub_seen(view, task, e) for e in task.events[-3:]),
                    *(hub_seen(view, task, e) for e in current if e not in task.events[-3:]),
                ),
            )
        )
    return out


def completed_once(view: View) -> list[Violation]:
    """No task completed twice: one ``completed`` in its history, one completion ack."""
    out = []
    acks: dict[str, list[Event]] = {}
    for _conn, _report, ack in _acked_reports(view):
        if ack.info.get("status") == "complete" and ack.task_id:
            acks.setdefault(ack.task_id, []).append(ack)
    for task_id, found in acks.items():
        if len(found) > 1:
            out.append(
                Violation(
                    "completed-once",
                    task_id,
                    found[1].agent_id,
                    f"the hub acknowledged {len(found)} completions of {task_id}",
                    tuple(seen(view, e) for e in found),
                )
            )
    for task in view.tasks.values():
        done = task.events_named("completed")
        if len(done) > 1:
            out.append(
                Violation(
                    "completed-once",
                    task.id,
                    task.last_assignee,
                    f"the hub's history of {task.id} records {len(done)} completions",
                    tuple(hub_seen(view, task, e) for e in done),
                )
            )
    return out


def completion_to_holder(view: View) -> list[Violation]:
    """No completion (or failure) is acknowledged for a generation the hub never handed
    out: some agent must have been sent that task with the report's generation, or the
    hub's record must show that assignment.

    The contract does not check WHO reports: a report with the current generation
    completes the task whoever sends it (the real hub and the embedded one both do), so a
    report from an agent that was never sent the task is allowed when its generation is
    that of a real assignment. Missing generations count as 0, which no assignment has.
    """
    sent: set[tuple[str | None, int | None]] = set()
    for conn in view.connections.values():
        sent.update((e.task_id, e.generation) for e in conn.received("task_assign"))
    out = []
    for conn, report, ack in _acked_reports(view):
        generation = _report_generation(report)
        task = view.tasks.get(report.task_id or "")
        if (report.task_id, generation) in sent:
            continue
        if task is not None and (
            task.history_truncated or assignment(task, None, generation) is not None
        ):
            continue
        out.append(
            Violation(
                "completion-to-holder",
                report.task_id,
                conn.agent_id,
                f"the hub acknowledged {report.type} of {report.task_id} "
                f"('{ack.info.get('status')}') from agent {_agent_text(view, conn.agent_id)} "
                f"with generation {generation}, which no agent was ever assigned",
                (seen(view, report), seen(view, ack)),
            )
        )
    return out


def capabilities(view: View) -> list[Violation]:
    """No task is handed to an agent that lacks one of its needed capabilities."""
    out = []
    for conn in view.connections.values():
        if not conn.identified or conn.capabilities is None:
            continue
        have = set(conn.capabilities)
        for event in conn.received("task_assign"):
            task = view.tasks.get(event.task_id or "")
            if task is None:
                continue
            lacking = [c for c in task.needed_capabilities if c not in have]
            if lacking:
                out.append(
                    Violation(
                        "capabilities",
                        task.id,
                        conn.agent_id,
                        f"{task.id} needs {', '.join(task.needed_capabilities)} but was assigned "
                        f"to agent {_agent_text(view, conn.agent_id)}, which declared "
                        f"{', '.join(conn.capabilities) or 'no capabilities'} (lacks "
                        f"{', '.join(lacking)})",
                        (seen(view, conn.identified), seen(view, event)),
                    )
                )
    return out


def no_assign_after_disconnect(view: View) -> list[Violation]:
    """No assignment to an agent whose connection had closed, until it identified again.

    Proof that the hub knew of the close: it reclaimed a task the connection had accepted
    (so no acceptance timeout; not overdue; younger than the stuck threshold). Any later
    assignment to that agent that no connection of it received, made before it identified
    again, went to a closed connection.
    """
    out = []
    for conn in view.connections.values():
        if conn.end is None or not conn.identified or not conn.agent_id:
            continue
        accepted = {
            x.frame.task_id
            for x in conn.exchanges
            if x.frame.type == "task_accepted"
            and x.answer is not None
            and x.answer.type == "task_ack"
        }
        later = [c for c in view.agent_connections(conn.agent_id) if c.number > conn.number]
        for holding in final_holdings_before_end(view, conn):
            task = view.tasks.get(holding.task_id)
            if task is None or holding.task_id not in accepted:
                continue
            index = assignment(task, conn.agent_id, holding.generation)
            reclaim = next_event(task, index) if index is not None else None
            if (
                reclaim is None
                or reclaim.event != "reclaimed"
                or reclaim.details == "overdue"
                or reclaim.timestamp is None
                or task.events[index].timestamp is None
                or reclaim.timestamp - task.events[index].timestamp >= view.stuck_threshold_ms
                or not view.clock.maybe_before(conn.end.wall_ms, reclaim.timestamp)
            ):
                continue
            out.extend(_ghost_assignments(view, conn, later, task, reclaim))
    return out


def final_holdings_before_end(view: View, conn: ObservedConnection) -> list[Holding]:
    """What the connection held when it ended (acks released; reclaims do not)."""
    held: list[Holding] = []
    for event in conn.events:
        if (
            event.direction == IN
            and event.type == "task_ack"
            and event.info.get("status") in RELEASING_ACKS
        ):
            held = [h for h in held if h.task_id != event.task_id]
        elif event.direction == IN and event.type == "task_assign" and event.task_id:
            held = [h for h in held if h.task_id != event.task_id]
            held.append(Holding(event.task_id, event.generation, event))
    return held


def _ghost_assignments(
    view: View,
    conn: ObservedConnection,
    later: list[ObservedConnection],
    held: TaskRecord,
    reclaim: TaskEvent,
) -> list[Violation]:
    out = []
    agent_id = conn.agent_id
    received = {
        (e.task_id, e.generation)
        for c in view.agent_connections(agent_id)
        for e in c.received("task_assign")
    }
    for task in view.tasks.values():
        for event in task.assignments:
            if event.agent_id != agent_id or event.timestamp is None:
                continue
            if event.timestamp < reclaim.timestamp or (task.id, event.generation) in received:
                continue
            if any(
                c.identified and view.clock.maybe_before(c.identified.wall_ms, event.timestamp)
                for c in later
            ):
                continue
            out.append(
                Violation(
                    "no-assign-after-disconnect",
                    task.id,
                    agent_id,
                    f"the hub assigned {task.id} (gen {event.generation}) to agent "
                    f"{_agent_text(view, agent_id)} after that agent's connection had closed "
                    f"(the hub had already reclaimed {held.id} from it) and before it identified "
                    "again",
                    (
                        seen(view, conn.end),
                        hub_seen(view, held, reclaim),
                        hub_seen(view, task, event),
                    ),
                )
            )
    return out


def history_well_formed(view: View) -> list[Violation]:
    """Task histories are newest first, capped at 50, start with ``queued``, follow the
    task lifecycle (a reclaim only after an assignment, nothing after ``completed``) and
    end in the task's status."""
    out = []
    for task in view.tasks.values():
        problem = _history_problem(task)
        if problem:
            raw = task.raw.get("history") if isinstance(task.raw, dict) else None
            shown = [
                f"raw[{i}] {h.get('event')} at {h.get('timestamp')}"
                for i, h in enumerate(raw[:6] if isinstance(raw, list) else [])
                if isinstance(h, dict)
            ]
            out.append(
                Violation(
                    "history-well-formed",
                    task.id,
                    task.last_assignee,
                    f"the hub's history of {task.id} is not well formed: {problem}",
                    (
                        f"status {task.status}, raw history (newest first expected): "
                        f"{len(raw) if isinstance(raw, list) else '?'} entries",
                        *shown,
                    ),
                )
            )
    return out


def _history_problem(task: TaskRecord) -> str | None:
    raw = task.raw.get("history") if isinstance(task.raw, dict) else None
    if not isinstance(raw, list):
        return "it has no history list"
    if len(raw) > 50:
        return f"{len(raw)} entries, more than the cap of 50"
    stamps = [h.get("timestamp") for h in raw if isinstance(h, dict)]
    for index, (newer, older) in enumerate(itertools.pairwise(stamps)):
        if isinstance(newer, int) and isinstance(older, int) and newer < older:
            return (
                f"entry {index} (at {newer}) is older than entry {index + 1} (at {older}): "
                "not newest first"
            )
    events = task.events
    truncated = task.history_truncated
    if not events:
        return "it is empty"
    if not truncated and events[0].event != "queued":
        return f"its oldest entry is '{events[0].event}', not 'queued'"
    state: str | None = None if truncated else "queued"
    for event in events[1:] if not truncated else events:
        if event.event not in KNOWN_EVENTS:
            return f"unknown event '{event.event}'"
        if state is None:
            state = {
                "assigned": "assigned",
                "completed": "completed",
                "dead_letter": "dead_letter",
            }.get(event.event, "queued")
            continue
        new = TRANSITIONS.get((state, event.event))
        if new is None:
            return f"'{event.event}' while the task was {state}"
        state = new
    if state is not None and state != task.status:
        return f"its last entry leaves the task {state}, but its status is {task.status}"
    if (
        task.status == "assigned"
        and task.assignments
        and task.assignments[-1].agent_id != task.assigned_to
    ):
        return (
            f"assigned_to is {task.assigned_to} but the last assignment went to "
            f"{task.assignments[-1].agent_id}"
        )
    return None


def agent_states_agree(view: View) -> list[Violation]:
    """At the end, the hub's agent states agree with what each agent knows.

    Judged only for connections open at the end, quiet since the snapshot began, with no
    report unanswered, whose hub state did not change while the snapshot was taken.
    Allowed by the contract: a task completed without ``task_accepted`` leaves the agent
    ``assigned`` to it until the acceptance timeout.
    """
    if view.states_before is None or view.states_after is None or view.snapshot_seq is None:
        return []
    before = {s.get("agent_id"): s for s in view.states_before if isinstance(s, dict)}
    after = {s.get("agent_id"): s for s in view.states_after if isinstance(s, dict)}
    out = []
    for agent_id in sorted(view.observed_agents):
        conns = view.agent_connections(agent_id)
        conn = conns[-1]
        if not conn.open_at_end or any(e.seq > view.snapshot_seq for e in conn.events):
            continue
        if conn.unanswered():
            continue
        state_a, state_b = before.get(agent_id), after.get(agent_id)
        if state_a != state_b:
            continue  # changed while we looked
        problem = _state_problem(view, conn, state_b)
        if problem:
            out.append(
                Violation(
                    "agent-states-agree",
                    problem[1],
                    agent_id,
                    f"the hub says agent {_agent_text(view, agent_id)} is {problem[0]}",
                    tuple(seen(view, e) for e in conn.events[-4:]),
                )
            )
    return out


def _state_problem(
    view: View, conn: ObservedConnection, state: dict | None
) -> tuple[str, str | None] | None:
    held = final_holdings(view, conn)
    if len(held) > 1:
        return None  # one-task-per-agent says it
    if state is None:
        return (
            "not connected (missing from GET /api/agents/states), although its "
            "connection is open and identified",
            None,
        )
    fsm, current = state.get("fsm_state"), state.get("current_task_id")
    if not held:
        if fsm == "idle" and current is None:
            return None
        if fsm == "assigned" and current in _finished_unaccepted(conn):
            return None  # the contract's quirk: stays assigned until the acceptance timeout
        if fsm == "assigned" and _reattached(view, conn, current):
            return None  # the real hub's reconnection: waits for it until the acceptance timeout
        return (
            f"'{fsm}' with task {current}, but the agent holds no task (all finished, "
            "failed or reclaimed)",
            current,
        )
    holding = held[0]
    accepted = _accepted_since(conn, holding.received.seq)
    want = "working" if holding.task_id in accepted else "assigned"
    if fsm == want and current == holding.task_id:
        return None
    if holding.received.info.get("rejected"):  # a busy sidecar turned it down
        return (
            f"'{fsm}' with task {current}, but it was sent {holding.task_id}, which its "
            "record still shows assigned to the agent (the sidecar turned it down as busy; "
            "expected 'assigned')",
            holding.task_id,
        )
    return (
        f"'{fsm}' with task {current}, but the agent holds {holding.task_id}, which it "
        f"{'accepted' if want == 'working' else 'has not accepted'} (expected '{want}')",
        holding.task_id,
    )


def _accepted_since(
    conn: ObservedConnection, seq: int, until: int | None = None
) -> set[str | None]:
    """Tasks whose ``task_accepted`` the hub acknowledged, sent after event ``seq`` (and
    before ``until``): an acceptance of an earlier assignment of the same task does not
    count, as after an acceptance timeout the hub may hand the same task to the same agent
    again."""
    return {
        x.frame.task_id
        for x in conn.exchanges
        if x.frame.type == "task_accepted"
        and seq < x.frame.seq < (until if until is not None else math.inf)
        and x.answer is not None
        and x.answer.type == "task_ack"
    }


def _reattached(view: View, conn: ObservedConnection, task_id: object) -> bool:
    """Whether the hub gave this connection, when it identified, a task it had recorded
    for the agent earlier and never sent on it: the real hub starts a reconnecting agent's
    state in ``assigned`` with the task its store still assigns to it (after a hub restart,
    say) and takes it back at the acceptance timeout unless the agent reports on it
    (``task_recovering``, ``task_accepted``, a completion). Only an assignment that reached
    one of the agent's earlier connections counts (one recorded but never sent is
    ``assignment-delivered``'s). The contract is silent; this strands nothing, so it is
    allowed."""
    task = view.tasks.get(task_id) if isinstance(task_id, str) else None
    if task is None or task.status != "assigned" or task.assigned_to != conn.agent_id:
        return False
    if any(e.task_id == task_id for e in conn.received("task_assign")):
        return False
    # the current assignment reached one of the agent's earlier connections
    return any(
        e.task_id == task_id and e.generation == task.generation
        for earlier in view.agent_connections(conn.agent_id or "")
        if earlier is not conn
        for e in earlier.received("task_assign")
    )


def _finished_unaccepted(conn: ObservedConnection) -> set[str | None]:
    """Tasks with an acknowledged completion or failure on this connection but no
    acknowledged ``task_accepted`` between receiving the task and reporting it: the hub's
    agent state then stays ``assigned`` to that task until the acceptance timeout (the
    contract's quirk; the real hub applies the report to the task, but its agent state
    machine only goes back to idle from ``working``, for completions and failures alike)."""
    out: set[str | None] = set()
    assigns = conn.received("task_assign")
    for x in conn.exchanges:
        if (
            x.frame.type in ("task_complete", "task_failed")
            and x.answer is not None
            and x.answer.type == "task_ack"
            and x.answer.info.get("status") in RELEASING_ACKS
        ):
            since = max(
                (e.seq for e in assigns if e.task_id == x.frame.task_id and e.seq < x.frame.seq),
                default=-1,
            )
            if x.frame.task_id not in _accepted_since(conn, since, x.frame.seq):
                out.add(x.frame.task_id)
    return out


def priority_order(view: View) -> list[Violation]:
    """No lower-priority task is handed to an agent by a pass that began after a
    higher-priority task the agent could take was queued, while that task stayed queued.

    The contract's scheduler works in passes over a snapshot, one pass after another: each
    pass lists the idle agents, then the queued tasks, and pairs them in (priority, age)
    order, one assignment after another; a task queued while a pass runs waits for the next
    one. So "an urgent task was queued when a low one was assigned" proves nothing. What
    proves an inversion, all on the hub's clock:

    - a task L was assigned to agent A at ``t`` (L's history);
    - ``b`` is a moment the pass that assigned L surely began after: the send time of the
      ``identify`` of the connection that received L, moved onto the hub's clock by the
      lower bound of :class:`~.view.Clock` (the hub cannot have listed A before it
      identified), or the queue entry of any task M that was assigned before ``t`` (M was in
      the snapshot of its own pass, and L's pass is that pass or a later one);
    - a task H of a higher priority whose needed capabilities A declared (on that
      connection) entered the queue (``queued``, ``reclaimed``, ``retry``) at ``q < b``;
    - H stayed queued past ``t``: its next event is stamped after ``t``, or it is still
      queued in the end.

    Then H was in the snapshot of L's pass, ahead of L, with A idle in it; a (priority, age)
    pass gives H an agent before it reaches L, so H would have been assigned no later than
    ``t``. Equal milliseconds prove nothing. No grace window is assumed. The end of A's
    previous task is NOT taken as such a moment: a hub whose agent states lag behind its
    task records (the real hub's race, ``one-task-per-agent``) may list A idle before that
    end, in a pass that began before H was queued.
    """
    waiting = _QueuedIndex(view, _queued_spans(view))
    passes = _PassStarts(view)
    receivers = {
        (conn.agent_id, e.task_id, e.generation): conn
        for conn in view.connections.values()
        if conn.identified
        for e in conn.received("task_assign")
    }
    identifies = {c.number: _identify_frame(c) for c in view.connections.values()}
    out = []
    for task in view.tasks.values():
        if task.priority is None:
            continue
        for event in task.assignments:
            if event.timestamp is None or not event.agent_id:
                continue
            conn = receivers.get((event.agent_id, task.id, event.generation))
            agent_caps = _caps_for(view, event.agent_id, conn)
            identify = identifies.get(conn.number) if conn is not None else None
            idle = _pass_began_after(view, passes, identify, event.timestamp)
            if agent_caps is None or idle is None:
                continue
            found = waiting.find(task.priority, agent_caps, idle[0], event.timestamp)
            if found is None:
                continue
            other, entry = view.tasks[found[0]], found[1]
            out.append(_inversion(view, task, event, idle[1], other, entry))
    return out


def _inversion(
    view: View, task: TaskRecord, event: TaskEvent, idle: str, other: TaskRecord, entry: int
) -> Violation:
    left = next_event(other, entry)
    after = (
        hub_seen(view, other, left)
        if left is not None
        else f"hub: {other.id} still queued when the records were read"
    )
    return Violation(
        "priority-order",
        task.id,
        event.agent_id,
        f"{task.id} ({task.priority_name}) was assigned to agent "
        f"{_agent_text(view, event.agent_id)} while {other.id} ({other.priority_name}), "
        "which that agent could take, had been queued since before that pass began and "
        "stayed queued past the assignment",
        (
            hub_seen(view, other, other.events[entry]),
            f"{idle}: the pass that assigned {task.id} began after this",
            hub_seen(view, task, event),
            after,
        ),
    )


def _queued_spans(view: View) -> dict[str, list[tuple[int, int | None, int]]]:
    """Per task with a priority: (entered the queue, left it or None, index of the entry
    event) for each stay in the queue its history shows."""
    queued: dict[str, list[tuple[int, int | None, int]]] = {}
    for task in view.tasks.values():
        spans = []
        for index, event in enumerate(task.events):
            if event.event in QUEUE_ENTRIES and event.timestamp is not None:
                nxt = next_event(task, index)
                if nxt is None and task.status != "queued":
                    continue
                if nxt is not None and nxt.timestamp is None:
                    continue
                spans.append((event.timestamp, nxt.timestamp if nxt else None, index))
        if spans and task.priority is not None:
            queued[task.id] = spans
    return queued


class _PassStarts:
    """For a hub time ``t``: the latest queue entry of a task assigned before ``t`` (a
    moment any pass that assigns at ``t`` or later began after), with its evidence."""

    def __init__(self, view: View) -> None:
        pairs: list[tuple[int, int, str]] = []  # (assigned, queued, evidence)
        for task in view.tasks.values():
            entry: TaskEvent | None = None
            for event in task.events:
                if event.event in QUEUE_ENTRIES and event.timestamp is not None:
                    entry = event
                elif event.event == "assigned" and event.timestamp is not None and entry:
                    line = f"{hub_seen(view, task, entry)}, then assigned at +{event.timestamp}"
                    pairs.append((event.timestamp, entry.timestamp or 0, line))
                    entry = None
        pairs.sort()
        self._assigned = [a for a, _, _ in pairs]
        self._latest: list[tuple[int, str]] = []
        best = (-1, "")
        for _, queued, line in pairs:
            if queued > best[0]:
                best = (queued, line)
            self._latest.append(best)

    def before(self, at: int) -> tuple[int, str] | None:
        count = bisect.bisect_left(self._assigned, at)  # assigned strictly before ``at``
        return self._latest[count - 1] if count else None


def _pass_began_after(
    view: View, passes: _PassStarts, identify: Event | None, at: int
) -> tuple[int, str] | None:
    """The latest hub time (and its evidence) the pass that assigned a task at ``at``
    surely began after: see :func:`priority_order`."""
    best = passes.before(at)
    if identify is not None and not math.isinf(view.clock.lo):
        lowest = math.floor(identify.wall_ms + view.clock.lo)
        if lowest <= at and (best is None or lowest > best[0]):
            best = (lowest, f"{seen(view, identify)} (at the earliest {lowest} hub ms)")
    return best


def _caps_for(view: View, agent_id: str, conn: ObservedConnection | None) -> set[str] | None:
    """The capabilities the agent declared on the connection that received the task, or
    on all of its connections when they agree (None: unknown or they differ)."""
    if conn is not None and conn.capabilities is not None:
        return set(conn.capabilities)
    declared = {
        c.capabilities for c in view.agent_connections(agent_id) if c.capabilities is not None
    }
    return set(next(iter(declared))) if len(declared) == 1 else None


def _identify_frame(conn: ObservedConnection | None) -> Event | None:
    """The event no later than the hub's handling of the connection's identify: the
    identify frame (recorded before it is sent), or for a sidecar, whose log line comes
    after the send, the opening of its connection."""
    if conn is None or conn.identified is None:
        return None
    frames = [e for e in conn.events if e.direction == OUT and e.type == "identify"]
    before = [e for e in frames if e.seq < conn.identified.seq]
    if before and before[-1].info.get("from_log"):
        opened = [e for e in conn.events if e.direction == CONN and e.type == "open"]
        return opened[0] if opened else None
    return before[-1] if before else None


def continue_honoured(view: View) -> list[Violation]:
    """A task the hub told an agent to continue (``task_continue``) is not handed out again
    while that agent's connection is open and has not reported it.

    ``task_continue`` confirms the task's current assignment to the agent that reported it
    as recovering. The contract takes an assignment back only when the connection dies, at
    the acceptance timeout of a ``task_assign`` (none was sent on this connection), at the
    stuck threshold (5 minutes without progress) or past ``complete_by``. So a
    ``task_assign`` of the same task with a higher generation than the one confirmed (a new
    assignment; the confirmed one itself may still arrive after the ``task_continue``), that
    any agent receives after the ``task_continue``, while the continuing connection is still
    open, before it reported the task and within the stuck threshold of the
    ``task_continue``, for a task without ``complete_by``, is a violation (``task_recovering``
    told the hub the agent is at work on it; an acceptance timeout does not undo that):
    the hub took back work it had just confirmed (the agent, still at work, is then refused
    as stale or turns the new assignment down as busy).
    """
    assigns = [
        (c, e)
        for c in view.connections.values()
        for e in c.received("task_assign")
        if e.task_id is not None
    ]
    out = []
    for conn in view.connections.values():
        for cont in conn.received("task_continue"):
            task_id = cont.task_id
            task = view.tasks.get(task_id) if task_id else None
            if task is not None and isinstance(task.raw.get("complete_by"), int):
                continue  # overdue reclaims are the contract's; not judged
            reported = min(
                (
                    e.seq
                    for e in conn.events
                    if e.direction == OUT
                    and e.task_id == task_id
                    and e.type in ("task_complete", "task_failed")
                    and e.seq > cont.seq
                ),
                default=math.inf,
            )
            ended = conn.end.seq if conn.end is not None else math.inf
            if cont.generation is None:
                continue  # which assignment it confirmed is unknown: not judged
            for other, assign in assigns:
                if (
                    assign.task_id != task_id
                    or assign.seq <= cont.seq
                    or assign.generation is None
                    or assign.generation <= cont.generation
                    or assign.seq >= min(reported, ended)
                    or assign.wall_ms - cont.wall_ms >= view.stuck_threshold_ms
                ):
                    continue
                out.append(
                    Violation(
                        "continue-honoured",
                        task_id,
                        other.agent_id,
                        f"task {task_id} was handed to agent {_agent_text(view, other.agent_id)} "
                        f"{(assign.wall_ms - cont.wall_ms) / 1000:.1f} s after the hub told "
                        f"agent {_agent_text(view, conn.agent_id)} to continue it, while that "
                        "agent's connection was open and it had not reported the task",
                        (seen(view, cont), seen(view, assign)),
                    )
                )
                break
    return out


class _QueuedIndex:
    """The queued spans of ``priority_order`` by (priority, needed capabilities), sorted by
    start with the latest end so far (and whose it is), so "was a higher-priority task this
    agent could take queued from before ``b`` until after ``t``?" costs a binary search per
    group, not a scan of every task (10,000 tasks: 100 million pairs)."""

    def __init__(self, view: View, queued: dict[str, list[tuple[int, int | None, int]]]) -> None:
        groups: dict[tuple[int, frozenset[str]], list[tuple[int, float, str, int]]] = {}
        for task_id, spans in queued.items():
            task = view.tasks[task_id]
            key = (task.priority, frozenset(task.needed_capabilities))
            groups.setdefault(key, []).extend(  # type: ignore[arg-type]
                (start, math.inf if end is None else end, task_id, entry)
                for start, end, entry in spans
            )
        self._groups = []
        for (priority, needs), spans in groups.items():
            spans.sort()
            latest: tuple[float, str, int] = (-math.inf, "", -1)
            ends = []
            for _, end, task_id, entry in spans:
                if end > latest[0]:
                    latest = (end, task_id, entry)
                ends.append(latest)
            self._groups.append((priority, needs, [span[0] for span in spans], ends))

    def find(
        self, priority: int, caps: set[str], before: int, after: int
    ) -> tuple[str, int] | None:
        """A task (id, index of its queue entry event) of a higher priority (a lower
        number) that ``caps`` cover, queued from before ``before`` until after ``after``;
        the highest priority first."""
        for level, needs, starts, ends in sorted(self._groups, key=lambda g: g[0]):
            if level < priority and needs <= caps:
                count = bisect.bisect_left(starts, before)  # spans with start < before
                if count and ends[count - 1][0] > after:
                    return ends[count - 1][1], ends[count - 1][2]
        return None


# rules of modules of their own, which read Rule and the helpers above
from .report_rules import REPORT_RULES  # noqa: E402

RULES: tuple[Rule, ...] = (
    # first: the other rules read the task records and skip those this one finds malformed
    Rule(
        "history-well-formed",
        "task histories newest first, capped, in lifecycle order",
        history_well_formed,
        forbids=(
            "write a task history that is not newest first, over 50 entries, not starting "
            "with `queued`, out of lifecycle order (a reclaim without an assignment, anything "
            "after `completed`), or not ending in the task's status"
        ),
    ),
    Rule(
        "one-task-per-agent",
        "no task_assign to an agent still holding a task",
        one_task_per_agent,
        forbids=(
            "send `task_assign` to a connection that still holds another task (not completed, "
            "failed or reclaimed since)"
        ),
    ),
    Rule(
        "assignment-delivered",
        "every recorded assignment reaches its agent",
        assignment_delivered,
        forbids=(
            "record an assignment that never reaches an agent connected from before it to the end"
        ),
    ),
    Rule(
        "assignment-recorded",
        "every task_assign received is in the hub's history",
        assignment_recorded,
        forbids=(
            "send a `task_assign` that its history does not record (same task, agent, "
            "generation; histories cut at 50 are excused)"
        ),
    ),
    Rule(
        "generation-increases",
        "each new assignment has a higher generation",
        generation_increases,
        forbids="assign a task again without a higher generation",
    ),
    Rule(
        "ack-current-generation",
        "completions/failures acked only for the current generation",
        ack_current_generation,
        forbids=(
            "acknowledge a completion or failure whose generation is not the assignment the "
            "completion ended"
        ),
    ),
    Rule(
        "completed-once",
        "no task completed twice",
        completed_once,
        forbids="complete a task twice",
        reads_malformed=True,
    ),
    Rule(
        "completion-to-holder",
        "completions acked only for a generation the hub handed out",
        completion_to_holder,
        forbids=(
            "acknowledge a completion or failure whose generation no agent was ever handed "
            "for that task (e.g. a missing one, counted as 0)"
        ),
    ),
    Rule(
        "capabilities",
        "tasks only go to agents with every needed capability",
        capabilities,
        forbids="hand a task to an agent that lacks a needed capability",
    ),
    Rule(
        "no-assign-after-disconnect",
        "no task for a closed connection until it re-identifies",
        no_assign_after_disconnect,
        forbids=(
            "assign to an agent whose connection it already knew closed (it had reclaimed its "
            "accepted task), before the agent identified again"
        ),
    ),
    Rule(
        "agent-states-agree",
        "the hub's agent states match what agents know",
        agent_states_agree,
        forbids=(
            "report an agent state that disagrees with what the agent knows (only quiet, "
            "connected agents, whose state did not change while it was read)"
        ),
    ),
    Rule(
        "continue-honoured",
        "a task an agent was told to continue is not handed out meanwhile",
        continue_honoured,
        forbids=(
            "hand out again (to anyone, with a higher generation) a task it had just told an "
            "agent to continue (`task_continue`), while that agent's connection is open, "
            "before it reported the task, within the stuck threshold and with no "
            "`complete_by`"
        ),
    ),
    Rule(
        "priority-order",
        "no lower priority in a pass begun after a higher one was queued",
        priority_order,
        forbids=(
            "assign a lower-priority task to an agent in a pass that provably began after a "
            "higher-priority task the agent could take was queued (the agent identified after "
            "it, or a task queued after it was assigned earlier), while that task stayed "
            "queued (a scheduler that pairs from a snapshot is allowed: a task queued during "
            "a pass waits for the next one)"
        ),
    ),
    *REPORT_RULES,
)


def _timer_rules() -> tuple[Rule, ...]:
    from . import timer_rules as timers  # it reads this module's helpers

    return (
        Rule(
            "accepted-task-kept",
            "an accepted task is kept while its agent refreshes it",
            timers.accepted_task_kept,
            forbids=(
                "take back an accepted task (reclaim it, or hand it out again) while its "
                "agent's connection is provably open, within the stuck threshold of its last "
                "`task_accepted`/`task_progress` and before its `complete_by`"
            ),
        ),
        Rule(
            "stuck-sweep-acts",
            "a task not refreshed for the stuck threshold is taken back",
            timers.stuck_sweep_acts,
            forbids=(
                "keep a task assigned longer than the stuck threshold, two stuck sweeps and a "
                "margin after its last possible refresh"
            ),
        ),
        Rule(
            "overdue-sweep-acts",
            "a task past its complete_by is taken back",
            timers.overdue_sweep_acts,
            forbids=(
                "keep a task assigned longer than two overdue sweeps and a margin past its "
                "`complete_by`, or assign a completed task again"
            ),
        ),
    )


RULES = RULES + _timer_rules()
