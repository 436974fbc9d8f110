"""One example: a planned list of operations run live against the hub through the library's
own keywords, the end phase, and the judgement by the contract checker and the ledger.

Each example is a test of its own for the library (``LibraryContext.start_test``): a fresh
history and a fresh run id, so its agents and tasks never meet another example's. Every
operation that ran is kept as the Robot lines that do the same, for the reproduction.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..agents.simulated import AgentError, SimulatedAgent
from ..checker.timer_rules import sweep_margin_ms
from ..context import LibraryContext
from ..util.choices import Behaviour, RestartMode, TokenChoice
from . import ops, render
from .findings import Finding, classify
from .model import Model, agent_name

SLOW_DELAY = 0.2  # seconds a slow agent works on a task
LONG_DELAY = 1.5  # seconds a "slow long" agent works: past the short acceptance timeout (1 s)
WORKER_WAIT = 1.0  # seconds a progress worker waits for a task (none: left out)
PROGRESS_PACE = 0.25  # seconds between a progress worker's reports (and pings)
HELD_WAIT = 5.0  # seconds a held task's own agent has to be assigned it
HELD_SLACK = 1.0  # seconds a held task waits beyond what the sweep rules need
EVICT_SLACK = 0.75  # seconds a silent held task's eviction may be late (a busy machine)
# seconds between the end of that window and the stuck threshold, the earliest the stuck
# sweep could take the task back instead (it counts from the accept, after the assignment)
EVICT_MARGIN = 0.5
# Operations that are one keyword on one agent, or on the far pool's host: the lines of the
# reproduction (render) and the keyword method that does the same live.
AGENT_ACTIONS: dict[type, tuple[Callable[[str], list[str]], str]] = {
    ops.Kill: (render.kill, "kill_agent_connection"),
    ops.Close: (render.close, "close_agent_connection"),
    ops.Reconnect: (render.reconnect, "reconnect_agent"),
}
NETWORK_ACTIONS: dict[type, tuple[Callable[[str], list[str]], str]] = {
    ops.Partition: (render.partition, "partition_agent_host"),
    ops.Heal: (render.heal, "heal_partition"),
}
SILENT_PING = 20.0  # the library's default ping interval: a silent agent keeps it
SETTLE_BASE = 3.0  # the end phase's deadline beyond the hub's reclaim timers
SETTLE_PER_TASK = 0.25  # and for each task (each may go round once more)
STALL_MARGIN = 1.0  # seconds beyond the longest hub timer before tasks count as stranded
STALL_SHARE = 0.1  # and this share of that timer
SHORT_TIMER = 10.0  # a hub timer this short is waited on; a longer one is worked around
FAR_POOL = "far"  # the network lab's far host
JUDGE_PAUSE = 0.25  # seconds before the contract is judged while agents hold tasks
PRIORITY_NORMAL = 2  # the contract's integer of ``normal``
BATCH_TIMEOUT = 10.0  # seconds a batch spread over agents of its own has to complete


def work(behaviour: str) -> tuple[str, float]:
    """The library's behaviour and delay of an explorer behaviour (``slow long``: ``slow``,
    working past the acceptance timeout)."""
    return ("slow", LONG_DELAY) if behaviour == ops.LONG_WORK else (behaviour, SLOW_DELAY)


@dataclass
class Keywords:
    """The library's keyword components the explorer drives (see ``keywords/``)."""

    ctx: LibraryContext
    agents: Any
    tasks: Any
    checks: Any
    probes: Any
    contract: Any
    session: Any
    network: Any
    routes: Any = None


@dataclass
class ExampleResult:
    """What one live example did and found."""

    lines: list[str] = field(default_factory=list)  # the reproduction's body
    operations: int = 0  # operations that ran (the end phase not counted)
    finding: Finding | None = None
    seconds: float = 0.0
    skipped_live: int = 0  # planned operations the live state made pointless (see Report)
    restarted: bool = False
    fresh_seconds: float = 0.0  # what restarting the hub with fresh state took (0: none)


class ExampleRunner:
    """Runs planned operations as one test of the library; see :meth:`run`."""

    def __init__(self, kw: Keywords, test_name: str, fresh_hub: bool = False) -> None:
        self.kw = kw
        self.test_name = test_name
        # each example on a hub restarted with fresh state (only a hub the library starts):
        # a fault or defect counted over the hub's life then depends on this example alone
        self.fresh_hub = fresh_hub
        self.fresh_total = 0.0  # seconds spent restarting the hub with fresh state
        self.count = 0
        self.pending: list[str] = []  # the lines of the operation running now
        self.batch_tasks: set[str] = set()  # the tasks of batches spread over their own agents

    # -- timers ------------------------------------------------------------------------

    @property
    def timers(self) -> Any:
        return self.kw.ctx.require_session().timers

    def ping_interval(self) -> float | None:
        """How often a talkative agent pings: a quarter of the hub's ping timeout, when
        that is shorter than the library's default (None: the default is often enough)."""
        quarter = self.timers.ping_timeout / 4
        return quarter if quarter < SILENT_PING else None

    def local_pool(self) -> str:
        """``local`` when agent pools are connected (the network lab), else empty: for an
        agent that must stay in the robot process. A pool's agents ping at the pool's
        pace, so only a local agent can be silent."""
        return "local" if self.kw.ctx.pools.pools else ""

    def liveness_is_short(self) -> bool:
        timers = self.timers
        return timers.ping_timeout + timers.liveness_sweep <= SHORT_TIMER

    def stuck_is_short(self) -> bool:
        timers = self.timers
        return timers.stuck_threshold + 2 * timers.stuck_sweep_interval <= SHORT_TIMER

    def eviction_window(self) -> float:
        """Seconds from a silent agent's assignment to the hub taking its task back by
        eviction: the ping timeout, two liveness sweeps and ``EVICT_SLACK``."""
        timers = self.timers
        return round(timers.ping_timeout + 2 * timers.liveness_sweep + EVICT_SLACK, 2)

    def eviction_beats_stuck_sweep(self) -> bool:
        """Whether a silent held task (``ops.HeldTask``, ``silent``) tells an evicting hub
        from one that never evicts: the eviction window ends ``EVICT_MARGIN`` before the
        stuck threshold, the earliest the stuck sweep could take the task back instead."""
        return (
            self.liveness_is_short()
            and self.eviction_window() + EVICT_MARGIN <= self.timers.stuck_threshold
        )

    def longest_timer(self, holding: bool = False) -> float:
        """The longest hub timer that can still move a task in the end phase: a task handed
        to an agent that never received it waits for the acceptance timeout; a silent
        agent's task for the ping timeout and the sweep that evicts it; a task an agent
        accepted and holds (``holding``: an agent that holds one stays) for the stuck
        threshold and two stuck sweeps (each when short: a long one is worked around by
        releasing the agent)."""
        timers = self.timers
        longest = timers.acceptance_timeout
        if self.liveness_is_short():
            longest = max(longest, timers.ping_timeout + timers.liveness_sweep)
        if holding and self.stuck_is_short():
            longest = max(longest, timers.stuck_threshold + 2 * timers.stuck_sweep_interval)
        return longest

    def settle_stall(self, holding: bool = False) -> float:
        """How long the end phase waits with no task changing before it decides that the
        unfinished tasks are stranded: the longest timer and a margin for a busy machine."""
        longest = self.longest_timer(holding)
        return round(longest + STALL_MARGIN + STALL_SHARE * longest, 2)

    def settle_deadline(self, tasks: int, holding: bool = False) -> float:
        """The end phase's deadline, from the hub's timers and the number of tasks (each
        may have to go round once more); the stall (see :meth:`settle_stall`) usually
        decides a failing example much sooner."""
        longest = self.longest_timer(holding)
        return round(SETTLE_BASE + 2 * longest + SETTLE_PER_TASK * tasks, 2)

    # -- one example -------------------------------------------------------------------

    def run(self, plan: tuple[ops.Op, ...]) -> ExampleResult:
        """Run ``plan`` and the end phase as a fresh test; judge it; stop its agents."""
        self.count += 1
        started = time.monotonic()
        ctx = self.kw.ctx
        with contextlib.suppress(Exception):
            self.kw.agents.stop_all_agents()
        result = ExampleResult()
        if self.fresh_hub:
            self.kw.session.restart_hub(RestartMode.KILL, fresh=True)
            result.fresh_seconds = time.monotonic() - started
            self.fresh_total += result.fresh_seconds
        ctx.start_test(f"{self.test_name} (example {self.count})")
        self.batch_tasks = set()
        model = Model()
        body_error: str | None = None
        try:
            for op in plan:
                model.apply(op)
                self.pending = []
                lines = self._apply(op, model, result)
                if lines is None:
                    result.skipped_live += 1
                    continue
                result.lines += lines
                result.operations += 1
            self.pending = []
            result.lines += self._end_phase(model)
        except Exception as error:  # a finding, judged below
            result.lines += self.pending  # the lines of what failed: the reproduction's last
            body_error = str(error) or type(error).__name__
        contract_error = None
        try:
            self.kw.contract.contract_should_hold()
        except AssertionError as error:
            contract_error = str(error)
        finally:
            with contextlib.suppress(Exception):
                self.kw.agents.stop_all_agents()
        result.finding = classify(body_error, contract_error)
        result.seconds = time.monotonic() - started
        return result

    # -- operations --------------------------------------------------------------------

    def _apply(self, op: ops.Op, model: Model, result: ExampleResult) -> list[str] | None:
        """Run one operation; its Robot lines, or None when the live state made it
        pointless (an agent with nothing to report, a connection the hub already ended)."""
        kw = self.kw
        name = agent_name(getattr(op, "slot", 0))
        if isinstance(op, ops.StartAgent):
            ping = None if op.silent else self.ping_interval()
            pool = self.local_pool() if op.silent else ""
            behaviour, delay = work(op.behaviour)
            self.pending = render.start_agent(name, behaviour, op.gpu, ping, delay, pool=pool)
            if op.watched:
                self.pending = render.watch(self.pending)
                kw.probes.open_probe_connection(render.WATCHER)
                kw.probes.send_identify(render.WATCHER, agent=render.WATCHER)
                kw.probes.next_reply_should_be(render.WATCHER, "identified")
            kw.agents.start_agent(
                name,
                Behaviour(behaviour),
                capabilities="gpu" if op.gpu else None,
                delay=timedelta(seconds=delay),
                ping_interval=None if ping is None else timedelta(seconds=ping),
                pool=pool,
            )
            if op.watched:  # presence: the probe hears of the agent that joined
                kw.probes.wait_until_probe_receives_message(
                    render.WATCHER, "agent_joined", timedelta(seconds=render.JOIN_WAIT)
                )
                kw.probes.close_probe_connection(render.WATCHER)
            return self.pending
        if isinstance(op, ops.Submit):
            return self._submit(op, model)
        if isinstance(op, ops.SubmitUnknownPriority):
            return self._submit_unknown_priority()
        if type(op) in AGENT_ACTIONS:  # Kill, Close, Reconnect: one agent, one keyword
            lines, keyword = AGENT_ACTIONS[type(op)]
            self.pending = lines(name)
            getattr(kw.agents, keyword)(name)
            return self.pending
        if isinstance(op, ops.SetBehaviour):
            behaviour, delay = work(op.behaviour)
            self.pending = render.set_behaviour(name, behaviour, delay)
            kw.agents.set_agent_behaviour(name, Behaviour(behaviour), timedelta(seconds=delay))
            return self.pending
        if isinstance(op, ops.Report):
            return self._report(op, name)
        if isinstance(op, ops.Pause):
            time.sleep(op.ms / 1000)
            return render.pause(op.ms)
        if isinstance(op, ops.NoToken):
            method, path = op.route.split(" ", 1)
            self.pending = render.no_token(op.route)
            kw.probes.request_should_be_refused(
                method, path, 401, "unauthorized", token=TokenChoice.NONE
            )
            return self.pending
        if isinstance(op, ops.ReadAgents):
            return self._read_agents()
        if isinstance(op, ops.RevokeTokens):
            return self._revoke_tokens()
        if isinstance(op, ops.RestartHub):
            self.pending = render.restart(op.mode)
            result.restarted = True
            kw.session.restart_hub(op.mode)
            kw.agents.reconnect_all_agents()
            return self.pending
        if isinstance(op, ops.Recovering):
            return self._recovering(op, name)
        if isinstance(op, ops.Batch):
            return self._batch(op, model.batches)
        if isinstance(op, ops.HeldTask):
            return self._held_task(op, model)
        if isinstance(op, ops.StaleReport):
            return self._stale_report(op, model)
        if isinstance(op, ops.ProgressWorker):
            return self._progress_worker(op, model)
        if type(op) in NETWORK_ACTIONS:  # Partition, Heal: the far pool's host
            lines, keyword = NETWORK_ACTIONS[type(op)]
            self.pending = lines(FAR_POOL)
            getattr(kw.network, keyword)(FAR_POOL)
            return self.pending
        raise TypeError(f"unknown operation {op!r}")

    def _submit(self, op: ops.Submit, model: Model) -> list[str]:
        first = model.tasks - op.count + 1
        variables = [f"${{t{n}}}" for n in range(first, model.tasks + 1)]
        capabilities = ["gpu"] if op.gpu else None
        self.pending = render.submit(variables, op, first)
        if op.count == 1 or op.rising:
            for number, priority in enumerate(op.priorities(), first):
                self.kw.tasks.submit_task(
                    f"Explore task {number}",
                    priority,
                    max_retries=op.max_retries,
                    capabilities=capabilities,
                )
        else:
            self.kw.tasks.submit_tasks(
                op.count,
                f"Explore batch {first} task {{n}}",
                op.priority,
                concurrency=op.concurrency,
                max_retries=op.max_retries,
                capabilities=capabilities,
            )
        return self.pending

    def _progress_worker(self, op: ops.ProgressWorker, model: Model) -> list[str]:
        """A probe identifies, a task is submitted, and the probe takes the next task,
        accepts it, reports progress with a ping every ``PROGRESS_PACE`` and closes (the
        hub takes the task back; the end phase's healer completes it: the hub may have
        taken it back already, e.g. past its complete_by, so no completion is reported);
        when no task comes within ``WORKER_WAIT`` (another agent took it), it just closes."""
        probes, name, number = self.kw.probes, render.WORKER, model.tasks
        self.pending = render.progress_worker_start(f"${{t{number}}}")
        probes.open_probe_connection(name)
        try:
            probes.send_identify(name, agent=name, takes_tasks=True, capabilities=[name])
            probes.next_reply_should_be(name, "identified")
            self.kw.tasks.submit_task(f"Explore task {number}", capabilities=[name])
            try:
                assign = probes.wait_until_probe_receives_task(name, timedelta(seconds=WORKER_WAIT))
            except AssertionError:
                return [*self.pending, render.line("Close Probe Connection", name)]
            self.pending += render.progress_worker(op.reports, WORKER_WAIT, PROGRESS_PACE)
            task = assign["task_id"]
            probes.send_frame(name, render.task_frame("task_accepted", task))
            probes.next_reply_should_be(name, "task_ack")
            for _ in range(op.reports):
                probes.send_frame(name, render.task_frame("task_progress", task))
                probes.probe_should_still_answer_ping(name)
                time.sleep(PROGRESS_PACE)
        finally:
            probes.close_probe_connection(name)
        return self.pending

    def held_pause(self, due_ms: int) -> float:
        """Seconds a held task waits after its assignment: past its deadline (``due_ms``) or
        the stuck threshold, two intervals of that sweep and the checker's margin
        (``timer_rules.sweep_margin_ms``), and a second for a busy machine."""
        timers = self.timers
        if due_ms:
            start, sweep = due_ms / 1000, timers.overdue_sweep_interval
        else:
            start, sweep = timers.stuck_threshold, timers.stuck_sweep_interval
        return round(start + 2 * sweep + sweep_margin_ms(sweep) / 1000 + HELD_SLACK, 2)

    def sweeps_are_short(self) -> bool:
        """Whether held tasks (``ops.HeldTask``) fit in a scenario: the stuck threshold and
        the overdue sweep act within ``SHORT_TIMER``."""
        timers = self.timers
        return self.stuck_is_short() and 2 * timers.overdue_sweep_interval <= SHORT_TIMER

    def _held_task(self, op: ops.HeldTask, model: Model) -> list[str]:
        """An agent of its own holds a task until the hub had to act, then stops (see
        HeldTask)."""
        kw, number = self.kw, model.tasks
        name, variable = render.holder(model.holders), f"${{t{number}}}"
        ping = None if op.silent else self.ping_interval()
        pool = self.local_pool()  # timed against the hub's timers: no far path's latency
        kw.agents.start_agent(
            name,
            Behaviour.HOLD,
            capabilities=name,
            ping_interval=None if ping is None else timedelta(seconds=ping),
            pool=pool,
        )
        kw.tasks.submit_task(
            f"Explore task {number}",
            capabilities=[name],
            complete_by=timedelta(milliseconds=op.due_ms) if op.due_ms else None,
        )
        if op.silent:
            window = self.eviction_window()
            self.pending = render.silent_held_task(name, variable, HELD_WAIT, window, pool)
            # the first task it gets: its own, or an older one queued (it may take any)
            held = kw.agents.wait_until_agent_receives_task(name, timedelta(seconds=HELD_WAIT))
            record = kw.tasks.wait_until_task_is_assigned(held, agent=name)
            kw.tasks.wait_until_task_is_reclaimed(
                held, int(record["assigned_at"]), timedelta(seconds=window)
            )
        else:
            pause = self.held_pause(op.due_ms)
            self.pending = render.held_task(
                name, variable, op.due_ms, ping, HELD_WAIT, JUDGE_PAUSE, pause - JUDGE_PAUSE, pool
            )
            kw.agents.wait_until_agent_receives_task(name, timedelta(seconds=HELD_WAIT))
            time.sleep(JUDGE_PAUSE)  # its accept is answered: judged while it holds the task
            kw.contract.contract_should_hold()
            time.sleep(pause - JUDGE_PAUSE)
        kw.agents.stop_agent(name)
        return self.pending

    def _stale_report(self, op: ops.StaleReport, model: Model) -> list[str]:
        """An agent of its own reports the first task it gets complete (or failed) with
        generation 0, then stops (see StaleReport)."""
        kw, number = self.kw, model.tasks
        name, variable = f"s{model.failers}", f"${{t{number}}}"
        pool = self.local_pool()
        self.pending = render.stale_report(name, variable, HELD_WAIT, op.failed, pool)
        kw.agents.start_agent(name, Behaviour.HOLD, capabilities=name, pool=pool)
        kw.tasks.submit_task(f"Explore task {number}", capabilities=[name])
        held = kw.agents.wait_until_agent_receives_task(name, timedelta(seconds=HELD_WAIT))
        report = kw.agents.report_task_failed if op.failed else kw.agents.report_task_complete
        report(name, held, generation=0)
        kw.agents.stop_agent(name)
        return self.pending

    def _received(self, name: str, which: int) -> tuple[Any, str] | None:
        """The task the connected agent received ``which`` back from its latest, and the
        reproduction's variable of it (None: not connected, nothing received)."""
        agent = self.kw.ctx.agents.active.get(name)
        if agent is None or not agent.connected:
            return None
        received = agent.received_tasks(self.kw.ctx.test.mark)
        if not received:
            return None
        got = received[-1 - which % len(received)]
        # the scenario's own tasks, numbered as submitted (a batch's tasks not among them)
        submitted = [t for t in self.kw.ctx.test.submitted if t not in self.batch_tasks]
        if got.generation is None or got.task_id not in submitted:
            return None
        return got, f"${{t{submitted.index(got.task_id) + 1}}}"

    def _report(self, op: ops.Report, name: str) -> list[str] | None:
        found = self._received(name, op.which)
        if found is None:
            return None
        got, variable = found
        generation = got.generation - 1 if op.stale else got.generation
        self.pending = render.report(name, variable, generation, op.failed)
        report = (
            self.kw.agents.report_task_failed if op.failed else self.kw.agents.report_task_complete
        )
        return self._unless_gone(lambda: report(name, got.task_id, generation=generation))

    def _recovering(self, op: ops.Recovering, name: str) -> list[str] | None:
        found = self._received(name, op.which)
        if found is None:
            return None
        got, variable = found
        if not isinstance(self.kw.ctx.agents.active.get(name), SimulatedAgent):
            return None  # an agent in a pool (the network lab) has no such keyword
        self.pending = render.recovering(name, variable)
        return self._unless_gone(lambda: self.kw.agents.report_task_recovering(name, got.task_id))

    def _unless_gone(self, send: Callable[[], object]) -> list[str] | None:
        """Send a report; the pending lines, or None when the hub ended the agent's
        connection meanwhile (a silent agent)."""
        try:
            send()
        except AgentError as error:
            if "connection ended" in str(error) or "not connected" in str(error):
                return None
            raise
        return self.pending

    def _batch(self, op: ops.Batch, number: int) -> list[str]:
        """Fresh agents of a capability of their own complete a batch of tasks needing it;
        TEST-03's keyword then judges the spread (see ops.Batch)."""
        kw, ping = self.kw, self.ping_interval()
        names = render.spread_agents(number, op.agents)
        self.pending = render.batch(number, op, ping, BATCH_TIMEOUT)
        for name in names:
            kw.agents.start_agent(
                name,
                capabilities=render.spread_capability(number),
                ping_interval=None if ping is None else timedelta(seconds=ping),
                pool="local" if op.in_result else "",  # a pool's agent reports top level only
                tokens_in="result" if op.in_result else "top",
            )
        tasks = kw.tasks.submit_tasks(
            op.tasks,
            f"Explore spread {number} task {{n}}",
            capabilities=[render.spread_capability(number)],
        )
        self.batch_tasks.update(tasks)
        kw.tasks.wait_until_tasks_are_completed(tasks, timedelta(seconds=BATCH_TIMEOUT))
        kw.checks.tasks_should_be_evenly_distributed(tasks, ops.BATCH_TOLERANCE, agents=names)
        return self.pending

    def _with_routes(self, lines: list[str], action: Callable[[Any], None]) -> list[str] | None:
        """Run ``action`` with the route keywords; its ``lines``, or None without them."""
        if self.kw.routes is None:
            return None
        self.pending = lines
        action(self.kw.routes)
        return self.pending

    def _submit_unknown_priority(self) -> list[str] | None:
        def submit(routes: Any) -> None:
            answer = routes.send_hub_request(
                "POST", "/api/tasks", render.unknown_priority_task(), 201
            )
            if answer.get("priority") != PRIORITY_NORMAL:
                raise AssertionError(
                    f"An unknown priority word counts as normal (2): "
                    f"{answer.get('priority')!r} != {PRIORITY_NORMAL}"
                )

        return self._with_routes(render.submit_unknown_priority(), submit)

    def _read_agents(self) -> list[str] | None:
        return self._with_routes(render.read_agents(), lambda _: self._agent_listings())

    def _agent_listings(self) -> None:
        """``GET /api/agents`` (no token) and ``GET /api/agents/states``: each must answer."""
        self.kw.routes.send_hub_request("GET", "/api/agents", token=TokenChoice.NONE)
        self.kw.routes.send_hub_request("GET", "/api/agents/states")

    def _revoke_tokens(self) -> list[str] | None:
        def revoke(routes: Any) -> None:
            own = {"token": TokenChoice.OWN, "agent": render.KEEPER}
            keeper = self.kw.ctx.require_session().agent_id(render.KEEPER)
            routes.send_hub_request("POST", "/admin/tokens", {"agent_id": keeper}, 201, **own)
            routes.send_hub_request("DELETE", f"/admin/tokens/{keeper}", **own)
            routes.send_hub_request("GET", "/api/tasks?status=queued", status=401, **own)

        return self._with_routes(render.revoke_tokens(), revoke)

    # -- end phase ---------------------------------------------------------------------

    def _end_phase(self, model: Model) -> list[str]:
        """Release agents that would hold their tasks forever (the silent ones stay when the
        hub's liveness timers are short: evicting them is the hub's job; those that accept
        and hold stay when its stuck threshold is short: the stuck sweep is its job), heal, start a
        healthy agent that can take every task, wait for every task to finish, and check
        the ledger."""
        kw = self.kw
        short, stuck = self.liveness_is_short(), self.stuck_is_short()
        kept = [  # holders left to the stuck sweep (talkative: not evicted)
            slot
            for slot, agent in model.agents.items()
            if stuck and agent.ever_stuck and agent.behaviour in ops.HOLDERS
        ]
        released = [
            agent_name(slot)
            for slot, agent in sorted(model.agents.items())
            if agent.ever_stuck and not (agent.silent and short) and slot not in kept
        ]
        holding = any(not model.agents[slot].silent or not short for slot in kept)
        # agents that may hold a task now: the contract is judged before any is released
        judged = any(a.ever_stuck and a.connected for a in model.agents.values())
        heal_pool = FAR_POOL if model.partitioned else ""
        ping = self.ping_interval()
        deadline = self.settle_deadline(model.tasks, holding)
        stall = self.settle_stall(holding)
        # the listings must agree with each other once nothing moves: only on a hub of this
        # scenario alone (fresh), as they count the whole hub's tasks
        listed = (
            [agent_name(slot) for slot in sorted(model.agents)] + ["healer"]
            if self.fresh_hub and kw.routes is not None
            else []
        )
        read = kw.routes is not None
        # a finished task reported as recovering: the contract's answer is task_reassign
        recovered = "${t1}" if model.tasks else ""
        self.pending = render.end_phase(
            released,
            heal_pool,
            ping,
            deadline,
            stall,
            listed,
            read,
            JUDGE_PAUSE if judged else 0,
            recovered,
            model.own_agents(),
            self.local_pool(),  # the healer reports a recovering task, as only a local agent can
        )
        if judged:  # while they hold their tasks: agent states (working) among the rules
            time.sleep(JUDGE_PAUSE)  # their last assignments and accepts arrive meanwhile
            kw.contract.contract_should_hold()
        for name in released:
            kw.agents.stop_agent(name)
        if read:  # the agent listings must answer also while agents leave
            self._agent_listings()
        if heal_pool:
            kw.network.heal_partition(FAR_POOL)
        kw.agents.start_agent(
            "healer",
            capabilities=render.healer_capabilities(model.own_agents()),
            ping_interval=None if ping is None else timedelta(seconds=ping),
            pool=self.local_pool(),
        )
        kw.tasks.wait_until_tasks_are_finished(
            timeout=timedelta(seconds=deadline), stall=timedelta(seconds=stall)
        )
        kw.checks.no_task_should_be_lost()
        if recovered:
            first = next(t for t in kw.ctx.test.submitted if t not in self.batch_tasks)
            kw.agents.report_task_recovering("healer", first)
        for name in listed:
            kw.routes.task_listing_should_match_filter(assigned_to=name)
        if listed:
            kw.routes.task_stats_should_agree_with_listings()
        return self.pending
