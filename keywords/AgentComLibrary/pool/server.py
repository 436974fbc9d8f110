"""``agentcom-agent-pool``: SimulatedAgent instances in this process, offered as keywords
through Robot Framework's remote library interface (the ``robotremoteserver`` package).

The robot process creates each agent's token over HTTP at the hub and hands it to the pool
with ``start_agent``; the pool never prints it. Structured answers (journals, hub replies)
are JSON strings, because XML-RPC has neither ``None`` nor integers beyond 32 bits (hub
timestamps are milliseconds).

Example (on an agent machine; see docs/pools-and-network.md before binding anything but loopback)::

    AGENTCOM_POOL_SECRET=$(cat /etc/agentcom/pool-secret) \\
        agentcom-agent-pool --host 10.0.0.2 --port 8270
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import itertools
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..agents.simulated import AgentError, Received, SimulatedAgent
from ..agents.tokens import REALISTIC
from ..observe.history import History, to_wire
from ..util.choices import Behaviour
from ..util.timeutil import now_ms

LOG = logging.getLogger("agentcom-agent-pool")
SECRET_ENV = "AGENTCOM_POOL_SECRET"
MAX_WAIT = 2.0  # a journal call blocks at most this long (the server answers one call at a time)


class PoolAuthError(Exception):
    """The caller did not give the pool's shared secret."""

    ROBOT_SUPPRESS_NAME = True


def _assignment_entry(kind: str, r: Received) -> dict:
    """A ``received`` or ``foreign`` journal entry as a plain dict."""
    return {
        "kind": kind,
        "task_id": r.task_id,
        "generation": r.generation,
        "assigned_at": r.assigned_at,
        "at": r.received_at,
        "description": r.description,
        "metadata": r.metadata,
        "seq": r.seq,
    }


def journal_entries(agent: SimulatedAgent, after: int = 0) -> list[dict]:
    """The agent's journal after pool sequence ``after`` as plain dicts, oldest first.

    Kinds: ``received`` (a task_assign of this run), ``foreign`` (one of another run, left
    alone), ``report`` (a report sent), ``ack`` (a task_ack), ``rejection`` (an error answer
    to a report). Every entry has ``seq`` (pool order) and ``at`` (Unix ms).
    """
    with agent._lock:
        entries = [
            *(_assignment_entry("received", r) for r in agent.received),
            *(_assignment_entry("foreign", r) for r in agent.foreign),
            *(
                {
                    "kind": "report",
                    "report": r.kind,
                    "task_id": r.task_id,
                    "generation": r.generation,
                    "at": r.sent_at,
                    "seq": r.seq,
                }
                for r in agent.reports
            ),
            *(
                {"kind": "ack", "task_id": a.task_id, "status": a.status, "at": a.at, "seq": a.seq}
                for a in agent.acks
            ),
            *(
                {
                    "kind": "rejection",
                    "task_id": r.task_id,
                    "report": r.report,
                    "reason": r.reason,
                    "error": r.error,
                    "at": r.at,
                    "seq": r.seq,
                }
                for r in agent.rejections
            ),
        ]
    return sorted((e for e in entries if e["seq"] > after), key=lambda e: e["seq"])


def agent_events(agent: SimulatedAgent, after: int) -> list[dict]:
    """The agent's own history after sequence ``after``, as plain dicts."""
    return [to_wire(event) for event in agent.history.since(after)]


class AgentPool:
    """The remote library: one method per keyword, agents addressed by the key
    ``start_agent`` returns. Every keyword takes ``secret`` when the pool has one."""

    def __init__(self, secret: str = "") -> None:
        self._secret = secret
        self._agents: dict[str, SimulatedAgent] = {}
        self._keys = itertools.count(1)
        self._lock = threading.Lock()
        self.started_at = now_ms()

    # -- helpers ---------------------------------------------------------------------------

    def _check(self, secret: str) -> None:
        if self._secret and not hmac.compare_digest(str(secret), self._secret):
            raise PoolAuthError("This agent pool needs its shared secret (wrong or missing).")

    def _agent(self, key: str) -> SimulatedAgent:
        try:
            return self._agents[str(key)]
        except KeyError:
            raise AgentError(f"This pool has no agent with key {key!r}.") from None

    # -- keywords --------------------------------------------------------------------------

    def pool_info(self, secret: str = "") -> str:
        """JSON: pid, agent count and start time of the pool."""
        self._check(secret)
        return json.dumps(
            {"pid": os.getpid(), "agents": len(self._agents), "started_at": self.started_at}
        )

    def start_agent(self, spec: str, secret: str = "") -> str:
        """Start one agent from a JSON spec (name, agent_id, token, ws_url, run_id,
        capabilities, behaviour, delay, tokens_used, ping_interval, timeout), wait until
        the hub identified it, and return its key."""
        self._check(secret)
        data = json.loads(spec)
        agent = SimulatedAgent(
            data["name"],
            data["agent_id"],
            data["token"],
            data["ws_url"],
            data["run_id"],
            capabilities=list(data.get("capabilities") or []),
            behaviour=Behaviour(data.get("behaviour", Behaviour.COMPLETE.value)),
            delay=float(data.get("delay", 1.0)),
            tokens_used=data.get("tokens_used", REALISTIC),
            ping_interval=float(data.get("ping_interval", 20.0)),
            history=History(data["name"]),  # its own: the robot process fetches it
        )
        agent.start(float(data.get("timeout", 10.0)))
        with self._lock:
            key = f"{next(self._keys)}-{agent.name}"
            self._agents[key] = agent
        LOG.info("agent %s started as %s (key %s)", agent.name, agent.agent_id, key)
        return key

    def stop_agent(self, key: str, secret: str = "") -> None:
        """Close the agent cleanly and end its threads (its journal stays readable)."""
        self._check(secret)
        self._agent(key).stop()

    def kill_agent(self, key: str, secret: str = "") -> None:
        """Reset the agent's TCP connection (no close frame)."""
        self._check(secret)
        self._agent(key).kill()

    def close_agent(self, key: str, secret: str = "") -> str:
        """Close the agent's WebSocket cleanly; returns its state afterwards."""
        self._check(secret)
        agent = self._agent(key)
        agent.close()
        return agent.state

    def reconnect_agent(self, key: str, timeout: float = 10.0, secret: str = "") -> int:
        """Reconnect and identify again; returns the connection count."""
        self._check(secret)
        agent = self._agent(key)
        agent.reconnect(float(timeout))
        return agent.connections

    def set_behaviour(
        self, key: str, behaviour: str, delay: float | str = "", secret: str = ""
    ) -> None:
        """Change what the agent does with tasks assigned from now on."""
        self._check(secret)
        self._agent(key).set_behaviour(Behaviour(behaviour), None if delay == "" else float(delay))

    def send_report(self, key: str, spec: str, secret: str = "") -> str:
        """Send one report from a JSON spec (kind ``task_accepted``/``task_complete``/
        ``task_failed``, task_id, generation or null, error, tokens_used, wait) and return
        the hub's answer as JSON (``null`` without ``wait``)."""
        self._check(secret)
        agent = self._agent(key)
        data = json.loads(spec)
        kind, task_id = data["kind"], data["task_id"]
        wait = data.get("wait")
        if kind == "task_accepted":
            answer = agent.accept(task_id, wait=wait)
        elif kind == "task_complete":
            answer = agent.complete(
                task_id, data.get("generation"), tokens_used=data.get("tokens_used"), wait=wait
            )
        elif kind == "task_failed":
            answer = agent.fail(task_id, data.get("generation"), data.get("error", ""), wait=wait)
        else:
            raise ValueError(f"Unknown report kind {kind!r}.")
        return json.dumps(answer)

    def journal(
        self, key: str, after: int = 0, wait: float = 0.0, events_after: int = -1, secret: str = ""
    ) -> str:
        """JSON ``{"state", "connected", "connections", "entries", "events", "now_ms"}``:
        the journal after pool sequence ``after``; with ``wait``, blocks up to that long
        (at most 2 s) for a new entry or a connection change. ``events`` are the agent's
        history events (every frame and connection change, for the contract checker)
        after sequence ``events_after`` (none when it is negative); ``now_ms`` is the
        pool's clock when answering."""
        self._check(secret)
        agent = self._agent(key)
        after, wait, events_after = int(after), min(float(wait), MAX_WAIT), int(events_after)
        if wait > 0:
            state = agent.state
            agent.wait_for(
                lambda: agent.state != state or bool(journal_entries(agent, after)), wait
            )
        return json.dumps(
            {
                "state": agent.state,
                "connected": agent.connected,
                "connections": agent.connections,
                "entries": journal_entries(agent, after),
                "events": [] if events_after < 0 else agent_events(agent, events_after),
                "now_ms": now_ms(),
            }
        )

    def stop_all_agents(self, secret: str = "") -> int:
        """Stop every agent of this pool; returns how many were running."""
        self._check(secret)
        running = [a for a in self._agents.values() if a.connected]
        for agent in list(self._agents.values()):
            try:
                agent.stop()
            except Exception as error:  # keep stopping the others
                LOG.warning("stopping %s failed: %s", agent.name, error)
        return len(running)


# -- command line ------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _watch_parent(pid: int, stop: Any) -> None:
    """Stop the server when process ``pid`` is gone (the runner was killed)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            LOG.warning("parent %d is gone: stopping", pid)
            stop()
            return
        except PermissionError:
            continue


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``agentcom-agent-pool``."""
    from robotremoteserver import RobotRemoteServer

    parser = argparse.ArgumentParser(
        prog="agentcom-agent-pool",
        description="Serve AgentCom simulated agents over Robot Framework's remote library "
        "interface (XML-RPC). Binds loopback by default; read docs/pools-and-network.md "
        "before binding anything else: the pool runs agents with real hub tokens.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8270, help="port (8270); 0 picks one")
    parser.add_argument(
        "--secret-file",
        help=f"file holding the shared secret callers must give (default: ${SECRET_ENV})",
    )
    parser.add_argument("--ready-file", help="write url/pid JSON here once serving")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    secret = (
        Path(args.secret_file).read_text(encoding="utf-8").strip()
        if args.secret_file
        else os.environ.get(SECRET_ENV, "")
    )
    if not _is_loopback(args.host) and not secret:
        LOG.warning(
            "binding %s without a shared secret: anyone who reaches this port can run agents "
            "with this pool (set %s or --secret-file)",
            args.host,
            SECRET_ENV,
        )
    pool = AgentPool(secret)
    server = RobotRemoteServer(
        pool, host=args.host, port=args.port, serve=False, allow_remote_stop=False
    )
    port = server.activate()
    url = f"http://{args.host}:{port}"
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
        tmp.replace(args.ready_file)
    if args.parent_pid:
        threading.Thread(
            target=_watch_parent, args=(args.parent_pid, server.stop), daemon=True
        ).start()
    LOG.info("agent pool serving at %s (secret %s)", url, "required" if secret else "none")
    try:
        server.serve(log=False)
    finally:
        pool.stop_all_agents(secret)
        LOG.info("agent pool stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
