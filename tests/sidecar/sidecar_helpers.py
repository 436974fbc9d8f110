"""Helpers of the sidecar tests: the embedded hub as a subprocess, polling, process checks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from agentcom_hub.command import hub_command
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.util.child_process import ManagedProcess
from polling import poll

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "sidecar_standin"
DEADLINE = 30.0  # generous: only reached when something is wrong
POLL = 0.05


def wait_until(
    predicate: Callable[[], object], timeout: float = DEADLINE, what: str = ""
) -> object:
    """Poll ``predicate`` until it returns something truthy; fail with ``what``."""
    value = poll(predicate, timeout, POLL)
    if not value:
        pytest.fail(f"not within {timeout:g} s: {what}")
    return value


class HubUnderTest:
    """``python -m agentcom_hub`` on a temporary data dir, with an HTTP client."""

    def __init__(self, tmp: Path, options: list[str]) -> None:
        self.tmp = tmp
        self.ready_file = tmp / "r.json"
        self.log_path = tmp / "hub.log"
        command = hub_command(
            tmp / "data", ready_file=self.ready_file, bootstrap_agent="smoke-admin", options=options
        )
        self.process = ManagedProcess(
            "hub", command, log_path=self.log_path, ready_file=self.ready_file
        )
        ready = self.process.start(timeout=DEADLINE) or {}
        self.url, self.ws_url = ready["url"], ready["ws_url"]
        self.client = HubClient(self.url, ready["token"])
        self.token = ready["token"]

    def stop(self) -> None:
        self.client.close()
        self.process.close(grace=10.0)

    def task(self, task_id: str) -> dict:
        """The TASK object as JSON (whatever type the client returns)."""
        return TaskRecord.parse(self.client.get_task(task_id)).raw

    def find(self, task_id: str) -> dict | None:
        found = self.client.find_task(task_id)
        return None if found is None else TaskRecord.parse(found).raw

    def submit(self, run: str, description: str = "sidecar task", **extra: object) -> str:
        body = {
            "description": description,
            "needed_capabilities": [f"smoke-{run}"],
            "metadata": {"smoke_run": run},
            **extra,
        }
        return self.client.submit_task(body)["task_id"]

    def wait_status(self, task_id: str, status: str, timeout: float = DEADLINE) -> dict:
        return wait_until(
            lambda: (t := self.find(task_id) or {}).get("status") == status and t,
            timeout,
            f"{task_id} status {status} (now {(self.find(task_id) or {}).get('status')})",
        )


def completed_events(task: dict) -> int:
    return sum(1 for h in task["history"] if h["event"] == "completed")


def assigned_agents(task: dict) -> list[str]:
    """Agent ids of the task's assignments, oldest first."""
    return [h["details"]["agent_id"] for h in reversed(task["history"]) if h["event"] == "assigned"]


def wait_until_gone(path: Path, timeout: float = 10.0) -> list[str]:
    """Processes still mentioning ``path`` once ``timeout`` has passed (none: [])."""
    end = time.monotonic() + timeout
    while (found := _processes_under(path)) and time.monotonic() < end:
        time.sleep(POLL)
    return found


def _processes_under(path: Path) -> list[str]:
    """Command lines of running processes that mention ``path``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(path) in cmdline or cwd.startswith(str(path)):
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


class FakeWsHub:
    """A WebSocket endpoint that records every frame a sidecar sends and answers
    ``identify`` with ``identify_reply`` (``identified`` by default, an error to keep it
    unidentified) and ``ping`` with ``pong``. Runs an aiohttp server in a thread."""

    def __init__(self, identify_reply: dict | None = None) -> None:
        import asyncio
        import threading

        from aiohttp import web

        self.identify_reply = identify_reply
        self.frames: list[tuple[float, dict]] = []
        self.identified: dict[str, int] = {}  # agent_id -> connected_at
        self._sockets: list = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app)

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"

    async def _ws(self, request):
        import json as _json

        from aiohttp import web

        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        async for message in ws:
            frame = _json.loads(message.data)
            self.frames.append((time.monotonic(), frame))
            if frame.get("type") == "identify":
                reply = self.identify_reply or {"type": "identified", "agent_id": frame["agent_id"]}
                await ws.send_json(reply)
                if reply["type"] == "identified":
                    self.identified[frame["agent_id"]] = int(time.time() * 1000)
            elif frame.get("type") == "ping":
                await ws.send_json({"type": "pong", "timestamp": int(time.time() * 1000)})
        return ws

    def of_type(self, kind: str) -> list[tuple[float, dict]]:
        return [(at, f) for at, f in list(self.frames) if f.get("type") == kind]

    # hub access for a SidecarProcess
    def create_token(self, agent_id: str) -> str:
        return "e" * 64

    def agent_states(self) -> list[dict]:
        return [{"agent_id": a, "connected_at": t} for a, t in self.identified.items()]

    def close(self) -> None:
        import asyncio

        async def shutdown() -> None:
            for ws in self._sockets:
                await ws.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
