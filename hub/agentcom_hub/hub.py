"""The hub: composes tokens, tasks, agents and the scheduler, runs the timers and turns
events into scheduling. Network adapters (http_api, ws_api) call into it; it talks back to
agents only through the ``Connection`` protocol (send a message, close)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from .agents import ASSIGNED, AgentRegistry
from .config import HubConfig
from .faults import Fault
from .scheduler import QueueIndex, pair
from .store import Store
from .tasks import Task, TaskError, TaskQueue, now_ms
from .tokens import TokenRegistry

log = logging.getLogger("agentcom_hub")


class Connection(Protocol):
    """What the hub needs from an agent's connection."""

    agent_id: str | None
    peer: str

    def send(self, message: dict) -> None:
        """Queue one message for the agent (in order, never blocks)."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection after the queued messages."""


def _int_or_none(value: Any) -> int | None:
    return value if type(value) is int else None


class Hub:
    """All hub state; owned by one event loop, so no locks."""

    def __init__(
        self,
        config: HubConfig,
        store: Store | None = None,
        call_later: Callable[..., Any] | None = None,
    ) -> None:
        self.config = config
        self._call_later = call_later
        if store is None:
            # Fault.VOLATILE_STORE: tasks and tokens only in memory.
            store = Store.volatile() if config.has(Fault.VOLATILE_STORE) else None
            store = store or Store.open(config.data_dir)
        self.store = store
        self.tokens = TokenRegistry(store)
        self.index = QueueIndex(
            ignore_priority=config.has(Fault.IGNORE_PRIORITY),
            ignore_capabilities=config.has(Fault.IGNORE_CAPABILITIES),
            flat_high_normal=config.has(Fault.FLAT_HIGH_NORMAL),
        )
        self.tasks = TaskQueue(
            store,
            self.index,
            fencing=not config.has(Fault.NO_GENERATION_FENCING),
            newest_first=not config.has(Fault.HISTORY_MISORDER),
            fail_fencing=not config.has(Fault.NO_FAIL_FENCING),
        )
        self.agents = AgentRegistry(unfair=config.has(Fault.UNFAIR_AGENT_CHOICE))
        self.connections: dict[str, Connection] = {}
        self.sockets: set[Connection] = set()
        self.bootstrap_token = self.tokens.bootstrap(config.bootstrap_agent, config.data_dir)
        self.closing = False
        self._last_ping: dict[str, float] = {}
        self._accept_timers: dict[str, Any] = {}  # agent_id -> timer handle
        self._assignments = 0
        self.last_left = 0.0  # time.monotonic() of the last disconnect (agents-list-race)
        self._loops: list[asyncio.Task] = []
        self._recover()

    # -- start / stop --------------------------------------------------------------------

    def _recover(self) -> None:
        """Tasks assigned before a restart belong to agents that are gone: reclaim them."""
        for task in list(self.tasks.assigned.values()):
            agent_id = task.assigned_to
            self.tasks.reclaim(task.id, "agent_disconnect")
            log.info("task %s reclaimed at start (was assigned to %s)", task.id, agent_id)
        log.info(
            "store ready: %d queued, %d completed, %d dead-lettered",
            len(self.index),
            self.tasks.by_status.get("completed", 0),
            self.tasks.dead_letter_count,
        )

    def start(self) -> None:
        """Start the sweeps (call inside the running loop)."""
        cfg = self.config
        self._loops = [
            asyncio.ensure_future(self._every(cfg.stuck_sweep_interval, self.sweep_stuck)),
            asyncio.ensure_future(self._every(cfg.overdue_sweep_interval, self.sweep_overdue)),
            asyncio.ensure_future(
                self._every(min(1.0, max(cfg.ping_timeout / 4, 0.05)), self.sweep_pings)
            ),
        ]

    async def _every(self, seconds: float, job: Any) -> None:
        seconds = max(seconds, 0.01)
        while True:
            await asyncio.sleep(seconds)
            try:
                job()
            except Exception:
                log.exception("sweep %s failed", getattr(job, "__name__", job))

    def stop(self) -> None:
        """Stop timers and scheduling (shutdown begins)."""
        self.closing = True
        for task in self._loops:
            task.cancel()
        for handle in self._accept_timers.values():
            handle.cancel()
        self._accept_timers.clear()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # -- scheduling ----------------------------------------------------------------------

    def schedule(self) -> None:
        """Pair queued tasks with idle agents and push the assignments."""
        if self.closing or not len(self.index) or not self.agents.has_idle():
            return
        double = self.config.has(Fault.DOUBLE_ASSIGN)
        blocking = self.config.has(Fault.HEAD_OF_LINE_BLOCKING)
        for task_id, agent_id in pair(
            self.index, self.agents.idle(), double_assign=double, head_of_line=blocking
        ):
            task = self.tasks.assign(task_id, agent_id)
            self.agents.assign(agent_id, task.id, task.generation)
            self._arm_acceptance(agent_id, task)
            log.info("task %s assigned to %s gen=%d", task.id, agent_id, task.generation)
            self._assignments += 1
            if self.config.has(Fault.LOSE_ASSIGNMENT) and self._assignments % 5 == 0:
                log.warning("fault lose-assignment: task_assign for %s not sent", task.id)
                continue
            self.connections[agent_id].send(
                {
                    "type": "task_assign",
                    "task_id": task.id,
                    "description": task.description,
                    "metadata": task.metadata,
                    "generation": task.generation,
                    "assigned_at": task.assigned_at,
                }
            )

    def _became_idle(self) -> None:
        """Scheduling trigger: an agent became idle."""
        if self.config.has(Fault.NO_IDLE_SCHEDULING):
            return  # the historical defect: only task events trigger scheduling
        self.schedule()

    # -- acceptance timeout ----------------------------------------------------------------

    def _arm_acceptance(self, agent_id: str, task: Task) -> None:
        self._disarm(agent_id)
        record = self.agents.get(agent_id)
        call_later = self._call_later or asyncio.get_running_loop().call_later
        self._accept_timers[agent_id] = call_later(
            self.config.acceptance_timeout,
            self._acceptance_expired,
            agent_id,
            record.number if record else 0,
            task.id,
        )

    def _disarm(self, agent_id: str) -> None:
        handle = self._accept_timers.pop(agent_id, None)
        if handle is not None:
            handle.cancel()

    def _acceptance_expired(self, agent_id: str, number: int, task_id: str) -> None:
        self._accept_timers.pop(agent_id, None)
        record = self.agents.get(agent_id)
        if record is None or record.number != number:
            return
        keeps_timer = self.config.has(Fault.ACCEPT_KEEPS_TIMER)  # also reclaims when working
        if (record.fsm_state != ASSIGNED and not keeps_timer) or record.current_task_id != task_id:
            return
        reclaimed = self._reclaim(task_id, agent_id, "agent_disconnect")
        self.agents.release(agent_id, flag="unresponsive")
        log.warning(
            "agent %s did not accept task %s within %gs: flagged unresponsive%s",
            agent_id,
            task_id,
            self.config.acceptance_timeout,
            ", task reclaimed" if reclaimed else "",
        )
        if reclaimed:
            self.schedule()
        self._became_idle()

    def _reclaim(self, task_id: str | None, agent_id: str | None, reason: str) -> Task | None:
        """Reclaim ``task_id`` if it is still assigned to ``agent_id``."""
        if task_id is None:
            return None
        current = self.tasks.assigned.get(task_id)
        if current is None or (agent_id is not None and current.assigned_to != agent_id):
            return None
        task = self.tasks.reclaim(task_id, reason)
        if task is not None:
            log.info(
                "task %s reclaimed from %s (%s) gen=%d", task_id, agent_id, reason, task.generation
            )
        return task

    # -- sweeps ----------------------------------------------------------------------------

    def sweep_stuck(self) -> None:
        """Reclaim assigned tasks not updated within the stuck threshold."""
        if self.config.has(Fault.NO_STUCK_SWEEP):
            return
        self._sweep(self.tasks.stuck(int(self.config.stuck_threshold * 1000)), "agent_disconnect")

    def sweep_overdue(self) -> None:
        """Reclaim assigned tasks whose complete_by has passed."""
        if self.config.has(Fault.NO_OVERDUE_SWEEP):
            return
        self._sweep(self.tasks.overdue(), "overdue")

    def _sweep(self, tasks: list[Task], reason: str) -> None:
        if not tasks:
            return
        for task in tasks:
            agent_id = task.assigned_to
            if self._reclaim(task.id, agent_id, reason) is None:
                continue
            record = self.agents.get(agent_id)
            if record is not None and record.current_task_id == task.id:
                self._disarm(agent_id)  # type: ignore[arg-type]
                self.agents.release(agent_id)  # type: ignore[arg-type]
        self.schedule()

    def sweep_pings(self) -> None:
        """Evict identified agents that sent no ping within the ping timeout."""
        if self.config.has(Fault.NO_LIVENESS_EVICTION):
            return  # silent agents keep their connection and their task
        limit = time.monotonic() - self.config.ping_timeout
        silent = [a for a, seen in self._last_ping.items() if seen < limit]
        for agent_id in silent:
            conn = self.connections.get(agent_id)
            if conn is None:
                self._last_ping.pop(agent_id, None)
                continue
            log.warning(
                "agent %s sent no ping for %gs: evicted", agent_id, self.config.ping_timeout
            )
            self._detach(agent_id, conn, "ping timeout")
            conn.close(1008, "ping timeout")
        if silent:
            self.schedule()

    # -- HTTP-facing operations -----------------------------------------------------------

    def submit(self, submitted_by: str, **fields: Any) -> Task:
        """Queue a task and schedule."""
        task = self.tasks.submit(submitted_by=submitted_by, **fields)
        log.info("task %s queued priority=%d by %s", task.id, task.priority, submitted_by)
        self.schedule()
        return task

    def retry_dead_letter(self, task_id: str) -> Task:
        """Requeue a dead-letter task and schedule (TaskError if it is not one)."""
        task = self.tasks.retry_dead_letter(task_id)
        log.info("task %s queued again from dead letter gen=%d", task.id, task.generation)
        self.schedule()
        return task

    # -- WebSocket-facing operations ------------------------------------------------------

    def opened(self, conn: Connection) -> None:
        """A WebSocket connection was established (not yet identified)."""
        self.sockets.add(conn)

    def closed(self, conn: Connection) -> None:
        """A connection died (clean close, reset, timeout): reclaim its agent's task."""
        self.sockets.discard(conn)
        agent_id = conn.agent_id
        if agent_id is not None and self.connections.get(agent_id) is conn:
            self._detach(agent_id, conn, "connection closed")
            self.schedule()

    def _detach(self, agent_id: str, conn: Connection, why: str) -> None:
        """Forget an agent's connection and record; reclaim its task."""
        if self.config.has(Fault.ASSIGN_DISCONNECTED):
            self._schedule_before_forgetting(agent_id)
        self.connections.pop(agent_id, None)
        self._last_ping.pop(agent_id, None)
        self._disarm(agent_id)
        record = self.agents.leave(agent_id)
        conn.agent_id = None
        self.last_left = time.monotonic()
        log.info("agent %s disconnected (%s, %s)", agent_id, why, conn.peer)
        self._presence({"type": "agent_left", "agent_id": agent_id}, agent_id)
        if self.config.has(Fault.NO_RECLAIM_ON_DISCONNECT):
            return  # the task stays assigned to the gone agent
        if record is not None:
            self._reclaim(record.current_task_id, agent_id, "agent_disconnect")

    def _schedule_before_forgetting(self, agent_id: str) -> None:
        """Fault.ASSIGN_DISCONNECTED: reclaim the gone agent's task and schedule while its
        record is still there, idle and first in line; the normal detach that follows
        takes back whatever was just handed to it."""
        record = self.agents.get(agent_id)
        if record is None:
            return
        task_id = record.current_task_id
        self.agents.release(agent_id)
        self.agents.to_front(agent_id)
        self._reclaim(task_id, agent_id, "agent_disconnect")
        self.schedule()

    def identify(self, conn: Connection, msg: dict) -> None:
        """Handle ``identify``: check the token, (re)place the agent's record."""
        agent_id = msg.get("agent_id")
        owner = self.tokens.lookup(msg.get("token"))
        if owner is None:
            log.info("identify as %.100r rejected: invalid token (%s)", agent_id, conn.peer)
            conn.send({"type": "error", "error": "invalid_token"})
            return
        if owner != agent_id:
            log.info("identify as %.100r rejected: token belongs to %s", agent_id, owner)
            conn.send({"type": "error", "error": "token_agent_mismatch"})
            return
        name = msg.get("name")
        status = msg.get("status")
        caps = msg.get("capabilities")
        caps = [c for c in caps if isinstance(c, str)] if isinstance(caps, list) else []
        if conn.agent_id is not None:
            self._detach(conn.agent_id, conn, "identified again")
        old = self.connections.get(agent_id)
        if old is not None:
            self._detach(agent_id, old, "replaced by a new connection")
            old.close(1000, "replaced by a new connection")
        conn.agent_id = agent_id
        self.connections[agent_id] = conn
        self._last_ping[agent_id] = time.monotonic()
        self.agents.join(
            agent_id,
            name if isinstance(name, str) else agent_id,
            status if isinstance(status, str) else "connected",
            caps,
        )
        conn.send({"type": "identified", "agent_id": agent_id})
        log.info("agent %s connected (%s) capabilities=%.200s", agent_id, conn.peer, caps)
        record = self.agents.get(agent_id)
        if record is not None:
            self._presence({"type": "agent_joined", "agent": record.presence()}, agent_id)
        self.schedule()

    def _presence(self, message: dict, about: str) -> None:
        """Push a presence message to every identified agent but the one it is about."""
        if self.config.has(Fault.NO_PRESENCE):
            return  # agents never hear of each other
        for agent_id, conn in list(self.connections.items()):
            if agent_id != about:
                conn.send(message)

    def ping(self, conn: Connection) -> None:
        """Handle ``ping``."""
        if conn.agent_id is not None and not self.config.has(Fault.PING_NOT_COUNTED):
            self._last_ping[conn.agent_id] = time.monotonic()
        conn.send({"type": "pong", "timestamp": now_ms()})

    def accepted(self, conn: Connection, msg: dict) -> None:
        """Handle ``task_accepted`` (acknowledged even for an unknown task)."""
        task_id = msg.get("task_id")
        agent_id = conn.agent_id
        if self.config.has(Fault.ACCEPT_KEEPS_TIMER):
            if agent_id is not None:
                self.agents.accept(agent_id, task_id)  # the timer keeps running
        elif agent_id is not None and self.agents.accept(agent_id, task_id):
            self._disarm(agent_id)
        task = self.tasks.assigned.get(task_id) if isinstance(task_id, str) else None
        if task is not None and task.assigned_to == agent_id:
            self.tasks.touch(task_id)
        conn.send({"type": "task_ack", "task_id": task_id, "status": "accepted"})

    def progress(self, conn: Connection, msg: dict) -> None:
        """Handle ``task_progress``: refresh ``updated_at``; no reply."""
        if self.config.has(Fault.PROGRESS_IGNORED):
            return
        self.tasks.touch(msg.get("task_id"))

    def completed(self, conn: Connection, msg: dict) -> None:
        """Handle ``task_complete`` (generation fenced)."""
        task_id = msg.get("task_id")
        result = msg.get("result")
        tokens = msg.get("tokens_used")
        inside = not self.config.has(Fault.RESULT_TOKENS_IGNORED)
        if tokens is None and isinstance(result, dict) and inside:
            tokens = result.get("tokens_used")
        assignee = self._assignee(task_id)
        try:
            task = self.tasks.complete(task_id, msg.get("generation"), result, _int_or_none(tokens))
        except TaskError as err:
            if err.reason == "stale_generation" and self.config.has(Fault.STALE_ACK):
                conn.send({"type": "task_ack", "task_id": task_id, "status": "complete"})
                return
            self._reject(conn, msg, err, "task_complete_failed")
            return
        log.info("task %s completed by %s gen=%d", task.id, conn.agent_id, task.generation)
        conn.send({"type": "task_ack", "task_id": task_id, "status": "complete"})
        self._finish(task, assignee)

    @staticmethod
    def _reject(conn: Connection, msg: dict, err: TaskError, error_prefix: str) -> None:
        """Refuse a completion or failure report: log why, answer ``<prefix>: <reason>``."""
        log.info(
            "%s for %.100r from %s rejected: %s (reported gen=%.40r%s)",
            msg.get("type"),
            msg.get("task_id"),
            conn.agent_id,
            err.reason,
            msg.get("generation"),
            "" if err.expected is None else f", current gen={err.expected}",
        )
        conn.send({"type": "error", "error": f"{error_prefix}: {err.reason}"})

    def failed(self, conn: Connection, msg: dict) -> None:
        """Handle ``task_failed`` (``reason`` accepted for ``error``)."""
        task_id = msg.get("task_id")
        error = msg["error"] if "error" in msg else msg.get("reason")
        assignee = self._assignee(task_id)
        try:
            outcome, task = self.tasks.fail(task_id, msg.get("generation"), error)
        except TaskError as err:
            self._reject(conn, msg, err, "task_fail_failed")
            return
        if outcome == "retried":
            log.info(
                "task %s failed, retry %d/%d: %.200s",
                task.id,
                task.retry_count,
                task.max_retries,
                error,
            )
        else:
            log.info(
                "task %s dead-lettered after %d failures: %.200s", task.id, task.retry_count, error
            )
        conn.send({"type": "task_ack", "task_id": task_id, "status": outcome})
        self._finish(task, assignee)

    def _assignee(self, task_id: object) -> str | None:
        task = self.tasks.assigned.get(task_id) if isinstance(task_id, str) else None
        return task.assigned_to if task is not None else None

    def _finish(self, task: Task, agent_id: str | None) -> None:
        """After a completion/failure: schedule (task event), then the agent goes idle."""
        self.schedule()  # task completed / retried trigger
        if agent_id is not None and self.agents.finish(agent_id, task.id):
            self._became_idle()

    def recovering(self, conn: Connection, msg: dict) -> None:
        """Handle ``task_recovering``: continue if still assigned, else reassign."""
        task_id = msg.get("task_id")
        task = self.tasks.recovering(task_id)
        if task is None and self.config.has(Fault.RECOVER_ALWAYS_CONTINUE):
            task = self.tasks.get(task_id)
        if task is not None:
            conn.send({"type": "task_continue", "task_id": task_id, "generation": task.generation})
        else:
            conn.send({"type": "task_reassign", "task_id": task_id})

    def shutdown_connections(self) -> None:
        """Close every WebSocket (shutdown)."""
        for conn in list(self.sockets):
            with contextlib.suppress(Exception):
                conn.close(1001, "hub shutting down")
