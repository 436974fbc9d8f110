"""The library side of an agent pool: a client over Robot Framework's own XML-RPC remote
client (``robot.libraries.Remote.Remote``), and :class:`RemoteAgent`, a handle that
satisfies :class:`~AgentComLibrary.agents.simulated.AgentHandle` for an agent living in a
pool on another host, so it counts in every check like a local one.

Journal order: an entry fetched from the pool gets a local sequence number
(:func:`journal_mark`) when it arrives here, so ``since=mark`` compares with marks taken
in this process. An agent started during a test is therefore judged exactly; for one
that outlives a test, entries made in the pool just before the next test's mark but
fetched after it count in the next test.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from typing import Any

from robot.libraries.Remote import Remote

from ..agents.journal import Ack, Journal, Received, Rejection, SentReport
from ..agents.reports import SendsReports
from ..agents.simulated import AgentError
from ..agents.tokens import TokenSetting
from ..observe.history import History, journal_mark
from ..util.choices import Behaviour
from ..util.errors import AgentComError
from ..util.masking import mask, mask_text
from ..util.timeutil import Deadline, now_ms

WAIT_SLICE = 0.5  # one journal call blocks the pool at most this long


class PoolError(AgentComError):
    """An agent pool could not be reached or refused a call."""


class PoolClient:
    """One agent pool at ``url`` (``http://host:8270``), called through Robot's Remote."""

    def __init__(self, url: str, alias: str = "", secret: str = "", timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.alias = alias or self.url
        self._secret = secret
        self.remote = Remote(self.url, timeout=f"{timeout}s")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PoolClient({self.alias!r}, {self.url!r})"

    def call(self, name: str, *args: Any) -> Any:
        """Run one pool keyword; :class:`PoolError` naming the pool on any failure."""
        kwargs = {"secret": self._secret} if self._secret else {}
        try:
            with self._lock:
                return self.remote.run_keyword(name, list(args), kwargs)
        except Exception as error:  # RemoteError, RuntimeError (connection), TypeError
            raise PoolError(
                f"Agent pool '{self.alias}' ({self.url}): {name} failed: {mask_text(str(error))}"
            ) from None

    def info(self) -> dict:
        """``{"pid", "agents", "started_at"}`` of the pool (checks that it answers)."""
        return json.loads(self.call("pool_info"))


class PoolClock:
    """The offset from a pool's wall clock to ours, from the journal calls' round trips:
    the estimate of the quickest plain call so far. Zero while the clocks agree within
    that call's uncertainty (a pool on this machine), so local and pool times compare
    as they are."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self._uncertainty = math.inf

    def update(self, sent_ms: int, answered_ms: int, pool_ms: int, wait: float) -> int:
        if wait <= 0:  # a call that blocked in the pool says nothing about the clocks
            half = (answered_ms - sent_ms) / 2
            if half < self._uncertainty:
                self._uncertainty = half
                offset = round(sent_ms + half - pool_ms)
                self.offset_ms = 0 if abs(offset) <= half + 1 else offset
        return self.offset_ms


class RemoteAgent(SendsReports, Journal):
    """A simulated agent running in an agent pool, seen from the robot process.

    Implements the ``AgentHandle`` protocol plus what keywords ask of simulated agents
    (``received_tasks``, ``wait_for``, ``rejections``, ``complete`` ...) by calling the pool.
    """

    def __init__(
        self,
        pool: PoolClient,
        key: str,
        name: str,
        agent_id: str,
        token: str,
        run_id: str,
        history: History | None = None,
    ) -> None:
        # the agent's frames and connection events go into the history of the test that
        # started it, as a local agent's do (fed on every sync)
        self.history = history if history is not None else History(f"agent {name}")
        self.pool = pool
        self.key = key
        self.name = name
        self.agent_id = agent_id
        self.run_id = run_id
        self.token_hint = mask(token)
        super().__init__()
        self._raw: list[dict] = []
        self._cursor = 0
        self._state = "connecting"
        self._connections = 1
        self._stopped = False
        self._event_cursor = 0
        self._conns: dict[int, int] = {}  # pool connection number -> ours
        self._clock = PoolClock()

    def __repr__(self) -> str:
        return (
            f"RemoteAgent(name={self.name!r}, agent_id={self.agent_id!r}, "
            f"pool={self.pool.alias!r}, token={self.token_hint!r})"
        )

    @classmethod
    def start(
        cls,
        pool: PoolClient,
        *,
        name: str,
        agent_id: str,
        token: str,
        ws_url: str,
        run_id: str,
        capabilities: list[str],
        behaviour: Behaviour,
        delay: float,
        tokens_used: TokenSetting | str,
        ping_interval: float,
        timeout: float,
        history: History | None = None,
    ) -> RemoteAgent:
        """Start the agent in the pool (it connects and is identified there)."""
        spec = {
            "name": name,
            "agent_id": agent_id,
            "token": token,
            "ws_url": ws_url,
            "run_id": run_id,
            "capabilities": capabilities,
            "behaviour": behaviour.value,
            "delay": delay,
            "tokens_used": tokens_used,
            "ping_interval": ping_interval,
            "timeout": timeout,
        }
        key = pool.call("start_agent", json.dumps(spec))
        agent = cls(pool, str(key), name, agent_id, token, run_id, history)
        agent.sync()
        return agent

    # -- syncing ---------------------------------------------------------------------------

    def sync(self, wait: float = 0.0) -> None:
        """Fetch the pool's new journal entries and history events (blocking up to
        ``wait`` for a journal entry)."""
        if not self._stopped:
            self._fetch(wait)

    def flush_history(self) -> None:
        """Bring the test's history up to date with what the pool saw (also once the
        agent is stopped: the pool keeps its record)."""
        self._fetch(0.0)

    def _fetch(self, wait: float) -> None:
        sent_ms = now_ms()
        payload = json.loads(
            self.pool.call("journal", self.key, self._cursor, wait, self._event_cursor)
        )
        offset = self._clock.update(sent_ms, now_ms(), payload["now_ms"], wait)
        with self._lock:
            self._state = payload["state"]
            self._connections = payload["connections"]
            for entry in payload["entries"]:
                self._cursor = max(self._cursor, entry["seq"])
                self._add(entry)
            for event in payload["events"]:
                self._event_cursor = max(self._event_cursor, event["seq"])
                conn = event.get("conn")
                if conn is not None and conn not in self._conns:
                    self._conns[conn] = self.history.new_connection()
                self.history.add_remote(event, self._conns.get(conn), offset)

    def _add(self, entry: dict) -> None:
        kind = entry["kind"]
        local = {**entry, "pool_seq": entry["seq"], "seq": journal_mark()}
        local["agent"], local["agent_id"], local["pool"] = self.name, self.agent_id, self.pool.alias
        self._raw.append(local)
        seq = local["seq"]
        if kind in ("received", "foreign"):
            item = Received(
                task_id=entry["task_id"],
                generation=entry["generation"],
                assigned_at=entry["assigned_at"],
                received_at=entry["at"],
                description=entry.get("description", ""),
                metadata=entry.get("metadata") or {},
                seq=seq,
            )
            (self.received if kind == "received" else self.foreign).append(item)
        elif kind == "report":
            self.reports.append(
                SentReport(entry["report"], entry["task_id"], entry["generation"], entry["at"], seq)
            )
        elif kind == "ack":
            self.acks.append(Ack(entry["task_id"], entry["status"], entry["at"], seq))
        elif kind == "rejection":
            self.rejections.append(
                Rejection(
                    entry["task_id"],
                    entry["report"],
                    entry["reason"],
                    entry["error"],
                    entry["at"],
                    seq,
                )
            )

    def journal(self, since: int = 0) -> list[dict]:
        """The raw journal as plain dicts, oldest first: ``kind`` (received, foreign,
        report, ack, rejection), ``task_id``, ``at`` (Unix ms in the pool's clock),
        ``seq`` (local order), ``pool_seq``, ``agent``, ``agent_id``, ``pool``, and per kind
        ``generation``/``assigned_at``, ``report``, ``status``, ``reason``/``error``."""
        self.sync()
        with self._lock:
            return [dict(e) for e in self._raw if e["seq"] > since]

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        self.sync()
        return self._state

    @property
    def connected(self) -> bool:
        return self.state == "identified"

    @property
    def connections(self) -> int:
        self.sync()
        return self._connections

    # -- AgentHandle queries (the rest come from Journal) --------------------------------

    def _refresh(self) -> None:
        self.sync()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds, fetching the journal as the pool reports new
        entries (each call blocks the pool at most 0.5 s)."""
        deadline = Deadline(timeout)
        self.sync()
        while True:
            with self._lock:
                if predicate():
                    return True
            remaining = deadline.remaining()
            if remaining <= 0 or self._stopped:
                return False
            self.sync(wait=min(remaining, WAIT_SLICE))

    # -- actions ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Close cleanly in the pool; the journal fetched so far stays for the checks."""
        if self._stopped:
            return
        try:
            self.pool.call("stop_agent", self.key)
            self.sync()
        finally:
            self._stopped = True

    def kill(self) -> None:
        """Reset the agent's TCP connection in the pool (no close frame)."""
        self.pool.call("kill_agent", self.key)
        self.sync()

    def close(self) -> None:
        self.pool.call("close_agent", self.key)
        self.sync()

    def reconnect(self, timeout: float = 10.0) -> RemoteAgent:
        try:
            self.pool.call("reconnect_agent", self.key, timeout)
        except PoolError as error:
            raise AgentError(str(error)) from None
        self.sync()
        return self

    def set_behaviour(self, behaviour: Behaviour, delay: float | None = None) -> None:
        self.pool.call("set_behaviour", self.key, behaviour.value, "" if delay is None else delay)

    def _report(self, spec: dict) -> dict | None:
        try:
            answer = json.loads(self.pool.call("send_report", self.key, json.dumps(spec)))
        except PoolError as error:
            raise AgentError(str(error)) from None
        self.sync()
        return answer

    def _send_report(
        self, kind: str, task_id: str, generation: int | None, wait: float | None, **fields: Any
    ) -> dict | None:
        """Send a report from the pool (see agents/reports.py; a completion's
        ``result`` is the pool agent's own)."""
        fields.pop("result", None)
        spec = {"kind": kind, "task_id": task_id, "generation": generation, **fields}
        return self._report({**spec, "wait": wait})
