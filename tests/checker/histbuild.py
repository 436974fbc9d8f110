"""Hand-made histories for the checker's unit tests: a small builder of events."""

from __future__ import annotations

from typing import Any

from AgentComLibrary.checker.events import CONN, HTTP, HUB, IN, MARK, OUT, Event
from AgentComLibrary.checker.rules import Violation
from AgentComLibrary.checker.verdict import check
from AgentComLibrary.checker.view import SNAPSHOT, STATES, TASK, View, build
from AgentComLibrary.hubapi.task_record import TaskRecord
from taskshape import parse_story

RUN = "smoke-run"


class Builder:
    """Appends events with increasing seq; ``wall`` is our clock in ms (``at=`` sets it).
    Hub timestamps in task records are on the same clock (offset 0) unless said."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.wall = 1_000_000

    def add(self, direction: str, kind: str, *, at: int | None = None, **fields: Any) -> Event:
        self.wall = self.wall + 1 if at is None else at
        event = Event(
            seq=len(self.events) + 1,
            mono_ns=self.wall * 1_000_000,
            wall_ms=self.wall,
            direction=direction,
            type=kind,
            **fields,
        )
        self.events.append(event)
        return event

    # -- agents ----------------------------------------------------------------------------

    def connect(
        self, conn: int, agent: str, caps: tuple[str, ...] = (RUN,), at: int | None = None
    ) -> None:
        who = {"actor": agent, "agent_id": agent, "conn": conn}
        self.add(CONN, "open", at=at, **who)
        self.add(OUT, "identify", info={"capabilities": caps, "agent_id": agent}, **who)
        self.add(IN, "identified", info={"agent_id": agent}, **who)

    def assign(
        self,
        conn: int,
        agent: str,
        task: str,
        gen: int,
        assigned_at: int | None = None,
        at: int | None = None,
    ) -> Event:
        stamp = assigned_at if assigned_at is not None else (at or self.wall + 1) - 1
        info = {"assigned_at": stamp, "has_generation": True}
        return self.frame(IN, "task_assign", conn, agent, task, gen, info, at)

    def send(
        self,
        conn: int,
        agent: str,
        kind: str,
        task: str | None = None,
        gen: int | None = None,
        at: int | None = None,
    ) -> Event:
        info = {"has_generation": True} if gen is not None else {}
        return self.frame(OUT, kind, conn, agent, task, gen, info, at)

    def ack(self, conn: int, agent: str, task: str, status: str, at: int | None = None) -> Event:
        return self.frame(IN, "task_ack", conn, agent, task, None, {"status": status}, at)

    def frame(
        self,
        direction: str,
        kind: str,
        conn: int,
        agent: str,
        task: str | None,
        gen: int | None,
        info: dict,
        at: int | None,
    ) -> Event:
        """A frame on ``agent``'s connection ``conn``, about ``task`` (generation ``gen``)."""
        fields = {"actor": agent, "agent_id": agent, "conn": conn, "task_id": task}
        return self.add(direction, kind, at=at, generation=gen, info=info, **fields)

    def error(self, conn: int, agent: str, text: str) -> Event:
        return self.add(IN, "error", actor=agent, agent_id=agent, conn=conn, info={"error": text})

    def complete(
        self, conn: int, agent: str, task: str, gen: int, status: str = "complete"
    ) -> None:
        """accepted + acked, complete + acked."""
        self.send(conn, agent, "task_accepted", task)
        self.ack(conn, agent, task, "accepted")
        self.send(conn, agent, "task_complete", task, gen)
        self.ack(conn, agent, task, status)

    def accepted_first(self, conn: int, agent: str, task: str, created: int, stamp: int) -> None:
        """``agent`` connects at 1000 ms; ``task`` is posted (``created``, 1 ms either side),
        sent to it (generation 1, stamped ``stamp``) and accepted (acked)."""
        self.connect(conn, agent, at=1000)
        self.post(task, created_at=created, sent=created - 1, received=created + 1)
        self.assign(conn, agent, task, 1, assigned_at=stamp, at=stamp + 1)
        self.send(conn, agent, "task_accepted", task)
        self.ack(conn, agent, task, "accepted")

    def dropped_holding(self, conn: int, agent: str, task: str, gen: int) -> None:
        """``agent`` connects at 1000 ms, is sent ``task`` (stamped 1010) and loses the
        connection while it holds it."""
        self.connect(conn, agent, at=1000)
        self.assign(conn, agent, task, gen, assigned_at=1010, at=1011)
        self.end(conn, agent)

    def end(self, conn: int, agent: str, kind: str = "kill", at: int | None = None) -> None:
        self.add(CONN, kind, at=at, actor=agent, agent_id=agent, conn=conn)

    def post(self, task: str, created_at: int, sent: int, received: int) -> None:
        """A POST /api/tasks answered with ``created_at`` (bounds the clock offset)."""
        self.add(
            HTTP,
            "POST /api/tasks",
            at=received,
            actor="http",
            task_id=task,
            info={
                "sent_wall_ms": sent,
                "answer_created_at": created_at,
                "method": "POST",
                "path": "/api/tasks",
            },
        )

    # -- hub records -------------------------------------------------------------------------

    def snapshot(self) -> None:
        self.add(MARK, SNAPSHOT, actor="checker")

    def task(
        self,
        task_id: str,
        events: list[tuple] | str,
        status: str,
        *,
        priority: int = 2,
        caps: tuple[str, ...] = (RUN,),
        assigned_to: str | None = None,
        generation: int | None = None,
        newest_first: bool = True,
    ) -> TaskRecord:
        """``events``: oldest first, (event, timestamp[, details]) or a :func:`story`."""
        if isinstance(events, str):
            events = story(events)
        history = []
        for item in events:
            name, stamp = item[0], item[1]
            details = item[2] if len(item) > 2 else None
            history.append({"event": name, "timestamp": stamp, "details": details})
        if newest_first:
            history.reverse()
        gens = [
            h["details"]["generation"]
            for h in history
            if h["event"] == "assigned" and isinstance(h["details"], dict)
        ]
        raw = {
            "id": task_id,
            "description": task_id,
            "status": status,
            "priority": priority,
            "needed_capabilities": list(caps),
            "assigned_to": assigned_to,
            "generation": generation if generation is not None else max(gens, default=0),
            "created_at": events[0][1],
            "history": history,
            "metadata": {},
        }
        task = TaskRecord.parse(raw)
        self.add(HUB, TASK, actor="hub", task_id=task_id, info={"task": task})
        return task

    def states(self, states: list[dict], after: list[dict] | None = None) -> None:
        self.add(
            HUB,
            STATES,
            actor="hub",
            info={"before": states, "after": states if after is None else after},
        )

    def view(self) -> View:
        return build(self.events)


def story(text: str) -> list[tuple]:
    """A task history written as words (see ``taskshape.parse_story``), e.g.
    ``"queued@990 assigned@995:w2/1 reclaimed@996=agent_disconnect completed@1010"``."""
    return [
        (event, ms, assigned(agent, gen or 0))
        if agent
        else (event, ms, details)
        if details
        else (event, ms)
        for event, ms, agent, gen, details in parse_story(text)
    ]


def assigned(agent: str, gen: int) -> dict:
    return {"agent_id": agent, "generation": gen}


def violations(builder: Builder, rule: str) -> list[Violation]:
    """The violations of one rule (the whole checker runs, as in a test)."""
    return [v for v in check(builder.view()).violations if v.rule == rule]


def all_violations(builder: Builder) -> list[Violation]:
    return check(builder.view()).violations


def get_task_answer(builder: Builder, task: str, created_at: int, sent: int) -> None:
    """A GET of a task record: its created_at is old and must not bound the clock."""
    info = {
        "sent_wall_ms": sent,
        "answer_created_at": created_at,
        "method": "GET",
        "path": f"/api/tasks/{task}",
    }
    builder.add(HTTP, f"GET /api/tasks/{task}", at=sent + 1, actor="http", info=info)
