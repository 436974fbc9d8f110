"""End-to-end throughput and assignment latency of the embedded AgentCom hub.

Starts its own hub (temp data dir), connects N agents that accept and complete every
assignment at once (asyncio + aiohttp, one client process), submits M tasks over HTTP from a
few concurrent keep-alive submitters, waits until every task is completed, and prints tasks/s
plus the hub's assignment latency (`assigned_at - created_at` from GET /api/tasks/:id, whole
milliseconds) as p50/p95/p99. Then it does the same on a hub whose store already holds
`--prefill` finished tasks (filled by running the same pipeline to completion first) and
prints the per-task slowdown ratio.

The agents behave like long-lived agents: each pings every `--ping-interval` seconds (20 s, the
project's convention; the hub evicts agents that sent no ping for 60 s). If an agent's
connection ends while the benchmark runs (evicted, closed or broken), the benchmark stops at
once and says which agent, when, and how the connection ended, instead of waiting out a
timeout.

Each configuration is measured `--rounds` times (empty store: a fresh hub per round;
prefilled: one hub, so later rounds see 5,000 more finished tasks each). The table shows the
median round, the best one and the spread (min/median/max); the slowdown ratio compares best
rounds, which are the least disturbed by other load on a shared machine. The load average and
core count are printed at the start and at the end, so the figures carry their context.

Usage:
    .venv/bin/python benchmarks/hub_throughput.py [--agents 20] [--tasks 5000] [--prefill 50000]
        [--ping-interval 20]

It measures, it does not gate: the exit code is 0 whether targets are met or not
(non-zero only when the run itself breaks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiohttp
from agentcom_hub.command import hub_command
from AgentComLibrary.util.child_process import ManagedProcess, ProcessError

TARGET_TPS = 500.0
TARGET_P99_MS = 50.0
TARGET_RATIO = 1.5
READY_DEADLINE_S = 60.0
IDENTIFY_DEADLINE_S = 30.0
PING_INTERVAL_S = 20.0  # long-lived agents ping every 20 s; the hub evicts after 60 s silent
PING = json.dumps({"type": "ping"})

T = TypeVar("T")


# -- the hub subprocess ----------------------------------------------------------------------


class Hub:
    """`python -m agentcom_hub` on a temp data dir, run by the library's process helper
    (stopped with SIGTERM, then SIGKILL after a grace period)."""

    def __init__(self, workdir: Path, log_level: str) -> None:
        self.workdir = workdir
        self.ready_file = workdir / "ready.json"
        self.stderr_path = workdir / "hub-stderr.log"
        cmd = hub_command(workdir / "data", ready_file=self.ready_file, log_level=log_level)
        self.process = ManagedProcess(
            "bench hub", cmd, log_path=self.stderr_path, ready_file=self.ready_file
        )
        try:
            ready = self.process.start(timeout=READY_DEADLINE_S) or {}
        except ProcessError as error:
            raise RuntimeError(f"hub did not start: {error}") from None
        self.url: str = ready["url"]
        self.ws_url: str = ready["ws_url"]
        self.token: str = ready["token"]
        self.pid: int = self.process.pid or 0

    def cpu_seconds(self) -> float | None:
        """User+system CPU time of the hub process so far (Linux /proc), or None."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def log_about(self, agent_id: str, last: int = 3) -> list[str]:
        """The hub's last log lines that name `agent_id`."""
        lines = self.stderr_path.read_text(errors="replace").splitlines()
        return [line for line in lines if f"agent {agent_id} " in line][-last:]

    def stop(self) -> None:
        self.process.close(grace=15)


# -- agents and submitters -------------------------------------------------------------------


class AgentLostError(RuntimeError):
    """An agent's connection ended while the benchmark still needed it."""


@dataclass
class AgentLost:
    """How and when one agent's connection ended."""

    agent_id: str
    after_s: float  # since the agent connected
    close_code: int | None  # None: no close frame came
    reason: str  # the hub's close message, or what broke
    at: str = field(default_factory=lambda: time.strftime("%H:%M:%S"))

    def describe(self) -> str:
        if self.close_code is not None:
            how = f"the hub closed it with code {self.close_code}"
            how += f" ({self.reason!r})" if self.reason else " (no message)"
        else:
            how = f"it ended without a close frame ({self.reason or 'no reason given'})"
        return (
            f"agent {self.agent_id} lost its connection {self.after_s:.1f}s after connecting "
            f"(at {self.at}): {how}"
        )


@dataclass
class Tally:
    """Completions acknowledged to the agents and lost connections, shared by all agents of
    one run."""

    target: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    expect_total: int = 0
    total_done: int = 0
    lost: list[AgentLost] = field(default_factory=list)
    agent_lost: asyncio.Event = field(default_factory=asyncio.Event)

    def complete(self, task_id: str) -> None:
        if task_id in self.done:
            self.duplicates += 1
            return
        self.done.add(task_id)
        self.total_done += 1
        if self.expect_total and self.total_done >= self.expect_total:
            self.finished.set()

    def lose(self, loss: AgentLost) -> None:
        self.lost.append(loss)
        self.agent_lost.set()

    def losses(self) -> str:
        """The first lost agent in full, then how many were lost in all."""
        text = self.lost[0].describe()
        if len(self.lost) > 1:
            others = ", ".join(loss.agent_id for loss in self.lost[1:])
            text += f"; {len(self.lost)} agents lost so far (also {others})"
        return text


async def unless_agent_lost(tally: Tally, work: Awaitable[T], timeout: float | None = None) -> T:
    """Await `work`, but stop it at once with AgentLostError if an agent's connection ends
    first (or has already ended); TimeoutError after `timeout` seconds."""
    job = asyncio.ensure_future(work)
    lost = asyncio.ensure_future(tally.agent_lost.wait())
    try:
        done, _ = await asyncio.wait(
            {job, lost}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        job.cancel()
        lost.cancel()
    if job in done:
        return job.result()
    if lost in done:
        raise AgentLostError(tally.losses())
    raise TimeoutError


async def ping_every(ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
    """Send `ping` every `interval` seconds until cancelled or the connection ends."""
    while not ws.closed:
        await asyncio.sleep(interval)
        try:
            await ws.send_str(PING)
        except (aiohttp.ClientError, ConnectionError):
            return


async def answer(ws: aiohttp.ClientWebSocketResponse, msg: dict, tally: Tally) -> None:
    """Accept and complete an assignment at once; count acks and errors."""
    kind = msg.get("type")
    if kind == "task_assign":
        task_id = msg["task_id"]
        await ws.send_str(json.dumps({"type": "task_accepted", "task_id": task_id}))
        await ws.send_str(
            json.dumps(
                {
                    "type": "task_complete",
                    "task_id": task_id,
                    "generation": msg["generation"],
                    "result": {"status": "success"},
                    "tokens_used": 1,
                }
            )
        )
    elif kind == "task_ack":
        if msg.get("status") == "complete":
            tally.complete(msg["task_id"])
    elif kind == "error":
        tally.errors.append(msg)


async def serve(
    ws: aiohttp.ClientWebSocketResponse, tally: Tally, identified: asyncio.Event
) -> tuple[int | None, str]:
    """Answer the hub until the connection ends; return the close code and message of the
    hub's close frame, or (None, what ended it) when none came."""
    while True:
        frame = await ws.receive()
        if frame.type != aiohttp.WSMsgType.TEXT:
            break
        msg = json.loads(frame.data)
        if msg.get("type") == "identified":
            identified.set()
        else:
            await answer(ws, msg, tally)
    if frame.type == aiohttp.WSMsgType.CLOSE:
        return frame.data, frame.extra or ""
    return None, f"{frame.type.name}: {frame.data or ws.exception() or 'connection closed'}"


async def run_agent(
    session: aiohttp.ClientSession,
    ws_url: str,
    agent_id: str,
    token: str,
    tally: Tally,
    identified: asyncio.Event,
    ping_interval: float | None = PING_INTERVAL_S,
) -> None:
    """Identify, ping every `ping_interval` s (None: never), accept and complete every
    assignment at once. A connection that ends before the agent is cancelled goes into
    `tally.lost`."""
    started = time.monotonic()
    close_code: int | None = None
    pinger: asyncio.Task | None = None
    try:
        async with session.ws_connect(ws_url, max_msg_size=0, heartbeat=None) as ws:
            await ws.send_str(
                json.dumps(
                    {
                        "type": "identify",
                        "agent_id": agent_id,
                        "token": token,
                        "name": agent_id,
                        "status": "idle",
                        "capabilities": [],
                    }
                )
            )
            if ping_interval is not None:
                pinger = asyncio.ensure_future(ping_every(ws, ping_interval))
            close_code, reason = await serve(ws, tally, identified)
    except Exception as exc:  # whatever ended it, the benchmark must hear of it
        reason = repr(exc)
    finally:
        if pinger is not None:
            pinger.cancel()
    tally.lose(AgentLost(agent_id, time.monotonic() - started, close_code, reason))


class AgentPool:
    """The benchmark's agents `bench-00`, `bench-01`, ...: each with its own token, connected
    one by one, all stopped together when the `async with` block ends."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        ws_url: str,
        token: str,
        tally: Tally,
        ping_interval: float | None = PING_INTERVAL_S,
    ) -> None:
        self.session, self.url, self.ws_url, self.token = session, url, ws_url, token
        self.tally = tally
        self.ping_interval = ping_interval
        self.agent_ids: list[str] = []
        self._tasks: list[asyncio.Task] = []

    async def __aenter__(self) -> AgentPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def connect(self, count: int) -> None:
        """Connect `count` more agents, each identified before the next one connects."""
        for _ in range(count):
            await self._connect_one(f"bench-{len(self.agent_ids):02d}")

    async def _connect_one(self, agent_id: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.post(
            f"{self.url}/admin/tokens", json={"agent_id": agent_id}, headers=headers
        ) as resp:
            token = (await resp.json())["token"]
        identified = asyncio.Event()
        self.agent_ids.append(agent_id)
        self._tasks.append(
            asyncio.ensure_future(
                run_agent(
                    self.session,
                    self.ws_url,
                    agent_id,
                    token,
                    self.tally,
                    identified,
                    self.ping_interval,
                )
            )
        )
        try:
            await unless_agent_lost(self.tally, identified.wait(), IDENTIFY_DEADLINE_S)
        except TimeoutError:
            raise RuntimeError(
                f"agent {agent_id} not identified within {IDENTIFY_DEADLINE_S:g}s; "
                f"hub errors: {self.tally.errors[-3:]}"
            ) from None


async def submit_all(
    session: aiohttp.ClientSession, url: str, token: str, count: int, submitters: int, label: str
) -> list[str]:
    """POST `count` tasks from `submitters` concurrent workers; return the ids in order."""
    headers = {"Authorization": f"Bearer {token}"}
    ids: list[str] = []
    counter = iter(range(count))

    async def worker() -> None:
        for n in counter:
            body = {"description": f"{label} {n}", "metadata": {"n": n}}
            async with session.post(f"{url}/api/tasks", json=body, headers=headers) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"submit {n}: {resp.status} {await resp.text()}")
                ids.append((await resp.json())["task_id"])

    await asyncio.gather(*(worker() for _ in range(submitters)))
    return ids


async def fetch_latencies(
    session: aiohttp.ClientSession, url: str, token: str, ids: list[str]
) -> list[float]:
    """assigned_at - created_at (ms) of each task, read from the hub's records."""
    headers = {"Authorization": f"Bearer {token}"}
    sem = asyncio.Semaphore(16)
    out: list[float] = []

    async def one(task_id: str) -> None:
        async with sem, session.get(f"{url}/api/tasks/{task_id}", headers=headers) as resp:
            task = await resp.json()
        if task["status"] != "completed" or task["assigned_at"] is None:
            raise RuntimeError(f"task {task_id} not completed: {task['status']}")
        out.append(task["assigned_at"] - task["created_at"])

    await asyncio.gather(*(one(t) for t in ids))
    return out


# -- one measured run ------------------------------------------------------------------------


@dataclass
class Round:
    """One measured batch of tasks."""

    wall_s: float
    latencies_ms: list[float]
    hub_cpu_s: float | None
    client_cpu_s: float


@dataclass
class RunResult:
    """Measured rounds of one configuration (empty store, or prefilled store)."""

    label: str
    tasks: int
    rounds: list[Round] = field(default_factory=list)
    duplicates: int = 0
    errors: int = 0

    def median_round(self) -> Round:
        return sorted(self.rounds, key=lambda r: r.wall_s)[len(self.rounds) // 2]

    @property
    def tps(self) -> float:
        """Tasks per second of the median round."""
        return self.tasks / self.median_round().wall_s

    def tps_all(self) -> list[float]:
        return [self.tasks / r.wall_s for r in self.rounds]

    @property
    def best_tps(self) -> float:
        """Tasks per second of the fastest round (least disturbed by other load)."""
        return max(self.tps_all())

    def spread(self) -> str:
        """Tasks/s over the rounds as min/median/max (the median round, as in `tps`)."""
        tps = self.tps_all()
        return f"{min(tps):.0f}/{self.tps:.0f}/{max(tps):.0f}"

    def pct(self, q: float) -> float:
        """Percentile (nearest rank) of the assignment latency over all rounds."""
        data = sorted(x for r in self.rounds for x in r.latencies_ms)
        if not data:
            return float("nan")
        index = min(len(data) - 1, max(0, round(q / 100 * len(data) + 0.5) - 1))
        return data[index]


async def pipeline(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    tally: Tally,
    count: int,
    submitters: int,
    label: str,
) -> tuple[list[str], float]:
    """Submit `count` tasks and wait until the agents have completed them; (ids, seconds).

    Stops at once with AgentLostError when an agent's connection ends meanwhile."""
    tally.finished.clear()
    tally.expect_total = tally.total_done + count
    start = time.perf_counter()

    async def submit_and_wait() -> list[str]:
        ids = await submit_all(session, url, token, count, submitters, label)
        await tally.finished.wait()
        return ids

    try:
        ids = await unless_agent_lost(tally, submit_and_wait(), timeout=max(120.0, count / 20))
    except TimeoutError:
        missing = tally.expect_total - tally.total_done
        raise RuntimeError(f"{label}: {missing} of {count} tasks not completed in time") from None
    except AgentLostError as exc:
        missing = tally.expect_total - tally.total_done
        raise AgentLostError(
            f"{label} stopped at once with {missing} of {count} tasks not completed: {exc}"
        ) from None
    return ids, time.perf_counter() - start


async def measure_rounds(
    args: argparse.Namespace, hub: Hub, session: aiohttp.ClientSession, tally: Tally, rounds: int
) -> list[Round]:
    """Measure `rounds` batches of `args.tasks` tasks on a hub whose agents are connected."""
    out = []
    for _ in range(rounds):
        hub_cpu0, client_cpu0 = hub.cpu_seconds(), time.process_time()
        ids, wall = await pipeline(
            session, hub.url, hub.token, tally, args.tasks, args.submitters, "bench"
        )
        hub_cpu1, client_cpu1 = hub.cpu_seconds(), time.process_time()
        latencies = await unless_agent_lost(
            tally, fetch_latencies(session, hub.url, hub.token, ids)
        )
        hub_cpu = None
        if hub_cpu0 is not None and hub_cpu1 is not None:
            hub_cpu = hub_cpu1 - hub_cpu0
        out.append(Round(wall, latencies, hub_cpu, client_cpu1 - client_cpu0))
        print(f"  round: {args.tasks / wall:.0f} tasks/s", flush=True)
    return out


async def measure(
    args: argparse.Namespace, prefill: int, workdir: Path, rounds: int, result: RunResult
) -> None:
    """Start a hub, connect the agents, prefill, then measure `rounds` batches of tasks."""
    hub = Hub(workdir, args.hub_log_level)
    tally = Tally()
    try:
        connector = aiohttp.TCPConnector(limit=args.submitters + 32)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            AgentPool(session, hub.url, hub.ws_url, hub.token, tally, args.ping_interval) as pool,
        ):
            await pool.connect(args.agents)
            if prefill:
                _, prefill_s = await pipeline(
                    session, hub.url, hub.token, tally, prefill, args.submitters, "prefill"
                )
                print(
                    f"  prefilled {prefill} finished tasks in {prefill_s:.1f}s "
                    f"({prefill / prefill_s:.0f} tasks/s)",
                    flush=True,
                )
            result.rounds += await measure_rounds(args, hub, session, tally, rounds)
    except AgentLostError as exc:
        hub_log = "\n".join(f"  hub: {line}" for line in hub.log_about(tally.lost[0].agent_id))
        raise AgentLostError(f"{exc}\n{hub_log}".rstrip()) from None
    finally:
        hub.stop()
    result.duplicates += tally.duplicates
    result.errors += len(tally.errors)


# -- report ----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(args: argparse.Namespace, runs: list[RunResult]) -> None:
    print()
    print(
        f"AgentCom hub throughput: {args.agents} agents, {args.tasks} tasks, "
        f"{args.submitters} submitters, hub log level {args.hub_log_level}, {os.cpu_count()} CPUs"
    )
    header = (
        f"{'run':<18}{'tasks':>7}{'tasks/s':>9}{'best':>7}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'hub cpu':>9}{'client cpu':>12}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        mid = run.median_round()
        hub_cpu = f"{mid.hub_cpu_s / mid.wall_s:>8.0%}" if mid.hub_cpu_s is not None else "     n/a"
        print(
            f"{run.label:<18}{run.tasks:>7}{run.tps:>9.0f}{run.best_tps:>7.0f}"
            f"{run.pct(50):>8.1f}{run.pct(95):>8.1f}{run.pct(99):>8.1f}"
            f" {hub_cpu}{mid.client_cpu_s / mid.wall_s:>12.0%}"
        )
        rounds = ", ".join(f"{t:.0f}" for t in run.tps_all())
        print(f"  rounds (tasks/s): {rounds}; min/median/max {run.spread()}")
        if run.duplicates or run.errors:
            print(f"  WARNING: {run.duplicates} duplicate completions, {run.errors} agent errors")
    print(
        "tasks/s: median round; best: fastest round; latency percentiles over all rounds; "
        "cpu: share of one core during the median round"
    )
    print()
    base = runs[0]
    rows = [
        (
            f"throughput >= {TARGET_TPS:.0f} tasks/s (median)",
            f"{base.tps:.0f}",
            base.tps >= TARGET_TPS,
        ),
        (
            f"p99 assignment latency < {TARGET_P99_MS:.0f} ms",
            f"{base.pct(99):.1f}",
            base.pct(99) < TARGET_P99_MS,
        ),
    ]
    if len(runs) > 1:
        pre = runs[1]
        ratio = base.best_tps / pre.best_tps
        rows.append(
            (
                f"p99 latency < {TARGET_P99_MS:.0f} ms with prefill",
                f"{pre.pct(99):.1f}",
                pre.pct(99) < TARGET_P99_MS,
            )
        )
        rows.append(
            (
                f"prefill slowdown ratio <= {TARGET_RATIO} (best)",
                f"{ratio:.2f}",
                ratio <= TARGET_RATIO,
            )
        )
        print(
            f"per-task time, best rounds: {1000 / base.best_tps:.2f} ms empty, "
            f"{1000 / pre.best_tps:.2f} ms with {args.prefill}+ finished tasks in the store "
            f"(ratio {ratio:.2f}; median rounds: {base.tps / pre.tps:.2f})"
        )
    print(f"{'target':<44}{'measured':>10}  result")
    for name, value, ok in rows:
        print(f"{name:<44}{value:>10}  {verdict(ok)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=20, help="agents (default 20)")
    parser.add_argument("--tasks", type=int, default=5000, help="measured tasks (default 5000)")
    parser.add_argument(
        "--prefill",
        type=int,
        default=50000,
        help="finished tasks in the store for the second run; 0 skips it (default 50000)",
    )
    parser.add_argument("--submitters", type=int, default=4, help="concurrent HTTP submitters")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measured rounds per configuration; the median round is reported (default 3)",
    )
    parser.add_argument(
        "--ping-interval",
        type=float,
        default=PING_INTERVAL_S,
        help=f"seconds between each agent's pings (default {PING_INTERVAL_S:g}; "
        "the hub evicts agents that sent no ping for 60 s)",
    )
    parser.add_argument(
        "--hub-log-level", default="INFO", help="the hub's --log-level (default INFO)"
    )
    parser.add_argument(
        "--tmp-root",
        default=None,
        help="where the hub's temp data dir goes (default: the system temp dir)",
    )
    args = parser.parse_args(argv)
    if args.ping_interval <= 0:
        parser.error(f"--ping-interval must be more than 0 seconds, got {args.ping_interval:g}")
    return args


def machine(when: str) -> str:
    """Core count and load average, for the figures' context."""
    one, five, fifteen = os.getloadavg()
    return (
        f"machine {when}: {os.cpu_count()} CPUs, load average {one:.2f} {five:.2f} "
        f"{fifteen:.2f} (1, 5, 15 min)"
    )


def run_all(args: argparse.Namespace) -> list[RunResult]:
    """Measure the empty store (a fresh hub per round), then the prefilled one."""
    runs = [RunResult("empty store", args.tasks)]
    with tempfile.TemporaryDirectory(prefix="agentcom-bench-", dir=args.tmp_root) as tmp:
        for n in range(args.rounds):
            print(f"round {n + 1}/{args.rounds}: {args.tasks} tasks on a fresh hub", flush=True)
            workdir = Path(tmp) / f"empty-{n}"
            workdir.mkdir()
            asyncio.run(measure(args, 0, workdir, 1, runs[0]))
        if args.prefill:
            runs.append(RunResult(f"{args.prefill} prefilled", args.tasks))
            print(
                f"{args.rounds} rounds of {args.tasks} tasks on a hub with {args.prefill} "
                "finished tasks",
                flush=True,
            )
            workdir = Path(tmp) / "prefilled"
            workdir.mkdir()
            asyncio.run(measure(args, args.prefill, workdir, args.rounds, runs[1]))
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(machine("at the start"), flush=True)
    started = time.monotonic()
    try:
        report(args, run_all(args))
    except RuntimeError as exc:
        print(f"bench stopped: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        print(f"{machine('at the end')}; the run took {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
