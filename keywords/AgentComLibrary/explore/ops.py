"""The operations a generated scenario is made of, and the Hypothesis strategy that draws them.

Robot-free and hub-free: plain frozen dataclasses (hashable, so a sequence of them is the
key of an example) and one strategy. Agents are referred to by slot (0..SLOTS-1, rendered
as ``a1`` ...), tasks by the order they were submitted in. Hypothesis shrinks a list
towards fewer and earlier operations and every field towards its first choice, so the
choices are ordered simplest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from hypothesis import strategies as st

SLOTS = 4
BEHAVIOURS = ("complete", "slow", "fail", "hold", "ignore", "omit generation")
# a slow agent that works longer than the hub's acceptance timeout after accepting
LONG_WORK = "slow long"
# behaviours that never finish a task by themselves: the end phase releases such agents
STUCK = frozenset({"hold", "ignore", "omit generation"})
# those of them that accept their task: the hub's stuck sweep takes it back
HOLDERS = frozenset({"hold", "omit generation"})
PRIORITIES = ("normal", "urgent", "high", "low")
RISING = ("low", "normal", "high", "urgent")  # a rising batch's priorities, in order
# protected routes a submitter may call; without a token each must be refused (401)
ROUTES = ("GET /api/tasks", "POST /api/tasks", "GET /api/tasks/stats", "GET /admin/tokens")


@dataclass(frozen=True)
class StartAgent:
    """Start an agent in ``slot``; ``gpu`` adds the extra capability; ``silent`` leaves its
    ping at the default 20 s (silent to a hub with a shorter ping timeout); ``watched``: a
    probe already identified must hear of it (``agent_joined``)."""

    slot: int
    behaviour: str = "complete"
    gpu: bool = False
    silent: bool = False
    watched: bool = False


@dataclass(frozen=True)
class Submit:
    """Submit ``count`` tasks (``concurrency`` > 1: from that many threads at once).
    ``rising``: one after another, each of a higher priority than the one before (low,
    normal, high, urgent), instead of all of ``priority``."""

    count: int = 1
    priority: str = "normal"
    gpu: bool = False
    max_retries: int = 3
    concurrency: int = 1
    rising: bool = False

    def priorities(self) -> tuple[str, ...]:
        """The priority of each task, in the order they are submitted."""
        return RISING[: self.count] if self.rising else (self.priority,) * self.count


def _submit(
    count: int, priority: str, gpu: bool, max_retries: int, concurrency: int, rising: bool
) -> Submit:
    """A Submit; a rising batch (of 2 or more) is submitted one by one, its ``priority``
    unused: one canonical form, so equal batches plan the same."""
    if rising and count > 1:
        return Submit(count, "normal", gpu, max_retries, 1, True)
    return Submit(count, priority, gpu, max_retries, concurrency)


@dataclass(frozen=True)
class SubmitUnknownPriority:
    """Post a task with a priority word the hub does not know (``critical``): the contract
    says it counts as normal (the answer's priority is 2). It needs a capability no agent
    has, so it stays queued (it is not one of the scenario's tasks); only on a hub with
    fresh state for each scenario (a managed hub), as it is never taken."""


@dataclass(frozen=True)
class OnAgent:
    """An operation on the agent in ``slot`` alone; its subclasses say which (each equal
    only to its own kind: ``Kill(0) != Close(0)``)."""

    slot: int


class Kill(OnAgent):
    """Reset the agent's TCP connection (a crash)."""


class Close(OnAgent):
    """Close the agent's WebSocket cleanly."""


class Reconnect(OnAgent):
    """Connect the agent again under the same id (an open connection is closed first)."""


@dataclass(frozen=True)
class SetBehaviour:
    """Change what the agent does with tasks assigned from now on."""

    slot: int
    behaviour: str = "complete"


@dataclass(frozen=True)
class Report:
    """The agent reports one of the tasks it received complete (``failed``: failed):
    ``which`` counts back from its latest; ``stale`` sends the generation before the one it
    was given. Also a duplicate when that task is already finished, a late one when it was
    taken back (a stale failure: the agent no longer holds the task)."""

    slot: int
    which: int = 0
    stale: bool = False
    failed: bool = False


@dataclass(frozen=True)
class Pause:
    """Let the hub's timers run for ``ms`` milliseconds."""

    ms: int = 250


@dataclass(frozen=True)
class NoToken:
    """Call a protected route without a token: it must be refused."""

    route: str = ROUTES[0]


@dataclass(frozen=True)
class ReadAgents:
    """Read the agent listings (``GET /api/agents`` without a token, ``GET
    /api/agents/states``): each must answer 200 at any time, also while agents leave."""


@dataclass(frozen=True)
class RevokeTokens:
    """An agent that is not running (``keeper``) gets a token of its own and with it a
    second one, revokes its tokens, and its own token must then be refused (401)."""


@dataclass(frozen=True)
class RestartHub:
    """Restart the hub the session manages (then every agent reconnects)."""

    mode: str = "kill"


@dataclass(frozen=True)
class Partition:
    """Cut the network lab's far host off (its agents' packets are dropped)."""


@dataclass(frozen=True)
class Heal:
    """Heal the network lab's partition."""


@dataclass(frozen=True)
class Recovering:
    """The agent reports one of the tasks it received as recovering (``task_recovering``):
    ``which`` counts back from its latest, so it may still hold it, have finished it or
    have lost it (taken back, maybe handed to another agent)."""

    slot: int
    which: int = 0


@dataclass(frozen=True)
class StaleReport:
    """A report with a stale generation, on its own: a fresh agent (``s1`` ...) that holds
    every task, with a capability of its own (its name), a task submitted that only it
    (and the healer) may take; it reports the first task it is handed (that one, or an
    older one queued) complete (``failed``: failed) with generation 0, which no assignment
    has, and stops (the end phase's healer completes the task). The contract refuses the
    report."""

    failed: bool = False


BATCH_PER_AGENT = 5  # TEST-03's ratio: 20 tasks over 4 agents
BATCH_TOLERANCE = 2  # TEST-03's bar: each agent within 2 of an equal share


@dataclass(frozen=True)
class Batch:
    """A batch spread over idle agents (TEST-03's requirement, not a contract rule):
    ``agents`` fresh agents that complete at once, with a capability of their own (no other
    agent of the scenario takes their tasks), ``BATCH_PER_AGENT`` tasks each needing it;
    once all are completed each agent must have completed an equal share +/-
    ``BATCH_TOLERANCE``. ``in_result``: their completions carry ``tokens_used`` inside
    ``result`` instead of at the top level. Three agents at least: over two, a hub that
    always picks the agent that connected first still passed the bar in 6 of 10 tries."""

    agents: int = 3
    in_result: bool = False

    @property
    def tasks(self) -> int:
        return self.agents * BATCH_PER_AGENT


@dataclass(frozen=True)
class HeldTask:
    """A task held past a hub timer: a fresh agent (``h1`` ...) that accepts and holds
    every task, with a capability of its own (its name), and a task that only it (and the
    end phase's healer) may take, due ``due_ms`` after its submission (``complete_by``:
    the overdue sweep must take it back) or with no deadline (``due_ms`` 0); the agent
    holds the first task it gets (that one, or an older one queued: any task it holds
    without progress is the stuck sweep's), and the agent stops once the hub had to act.

    Talkative (it pings): the contract is judged while it holds its accepted task (it must
    be listed ``working``), then a pause past the sweep, two of its intervals and the
    checker's margin. ``silent`` (it never pings, no deadline): the hub's ping timeout must
    evict it and take the task back, well before the stuck threshold could. Drawn only on
    a hub whose sweeps (and, for a silent one, ping timeout) are short."""

    due_ms: int = 500
    silent: bool = False


@dataclass(frozen=True)
class ProgressWorker:
    """A probe identified as an agent (``p1``, taking tasks, with the capability ``p1``)
    and a task submitted for it, needing ``p1`` (no other agent of the scenario takes
    it); it takes the task, accepts it and reports ``task_progress`` (and pings) every
    250 ms, ``reports`` times, then closes: an agent that keeps reporting progress, past
    the hub's acceptance timeout and stuck threshold."""

    reports: int = 16


Op = Union[  # noqa: UP007  (a runtime alias; X | Y of classes works only from 3.10 as well)
    StartAgent, Submit, SubmitUnknownPriority, Kill, Close, Reconnect, SetBehaviour, Report,
    Pause, NoToken, ReadAgents, RevokeTokens, RestartHub, Partition, Heal, Recovering, Batch,
    HeldTask, ProgressWorker, StaleReport,
]  # fmt: skip


@dataclass(frozen=True)
class Abilities:
    """What the session allows beyond the basic operations."""

    restart: bool = False  # the library manages the hub (HubSession.managed)
    network_lab: bool = False  # running in the network lab with a far pool
    short_sweeps: bool = False  # the hub's stuck and overdue sweeps act within seconds
    # the hub evicts a silent agent well before its stuck sweep could take the task back
    short_liveness: bool = False


# How a scenario draws its agents' liveness: every agent silent (first: Hypothesis starts
# from and shrinks towards it, so a silent agent that holds a task comes up early), or each
# agent silent or talkative by a coin flip
SILENCE = ("always", "either")
PAUSES = (250, 1000, 2500)  # milliseconds: a quarter of the hub's short timers, one, beyond
# milliseconds: past the short stuck threshold, two sweeps and the checker's margin
LONG_PAUSE = 6000
DUE = 500  # milliseconds: a held task's complete_by, after its submission


def _kinds(
    abilities: Abilities, silence: str = "either", agents: int = SLOTS
) -> list[st.SearchStrategy]:
    """Every kind of operation, simplest first: submitting and starting agents (the core),
    then the optional kinds a scenario may leave out (see :func:`scenarios`); agents in
    the first ``agents`` slots only."""
    slots = st.integers(0, agents - 1)
    behaviours = st.sampled_from(BEHAVIOURS)
    silent = st.just(True) if silence == "always" else st.booleans()
    submit = st.builds(
        _submit,
        count=st.integers(1, 4),
        priority=st.sampled_from(PRIORITIES),
        gpu=st.booleans(),
        max_retries=st.integers(1, 3),
        concurrency=st.integers(1, 3),
        rising=st.booleans(),
    )
    # the hub's answers to odd requests: a call without a token, an agent's tokens revoked
    # and (a task never taken: only where each scenario has a fresh hub) a priority word the
    # hub does not know; not among the submissions, where it took half of the draws
    answers = [st.builds(NoToken, route=st.sampled_from(ROUTES)), st.just(RevokeTokens())]
    if abilities.restart:
        answers.append(st.just(SubmitUnknownPriority()))
    held = [st.just(HeldTask(DUE)), st.just(HeldTask(0))] if abilities.short_sweeps else []
    if abilities.short_sweeps and abilities.short_liveness:
        held.append(st.just(HeldTask(0, silent=True)))

    def start(behaviour: st.SearchStrategy[str]) -> st.SearchStrategy[StartAgent]:
        return st.builds(
            StartAgent,
            slot=slots,
            behaviour=behaviour,
            gpu=st.booleans(),
            silent=silent,
            watched=st.booleans(),
        )

    kinds: list[st.SearchStrategy] = [
        submit,
        start(behaviours),
        st.builds(Kill, slot=slots),
        st.builds(Close, slot=slots),
        st.builds(Reconnect, slot=slots),
        st.builds(SetBehaviour, slot=slots, behaviour=behaviours),
        st.one_of(
            st.builds(
                Report,
                slot=slots,
                which=st.integers(0, 2),
                stale=st.booleans(),
                failed=st.booleans(),
            ),
            st.builds(StaleReport, failed=st.booleans()),
        ),
        # looking on: let the hub's timers run, or read the agent listings meanwhile
        st.one_of(st.builds(Pause, ms=st.sampled_from(PAUSES)), st.just(ReadAgents())),
        st.one_of(answers),
        # the hub's own timers: an agent reporting progress past the acceptance timeout and
        # the stuck threshold, an agent working past the acceptance timeout, a pause for the
        # sweeps; where they are short, a task held past its deadline or without progress
        st.one_of(
            st.just(ProgressWorker()), *held, start(st.just(LONG_WORK)), st.just(Pause(LONG_PAUSE))
        ),
    ]
    if abilities.restart:
        kinds.append(st.builds(RestartHub, mode=st.sampled_from(["kill", "terminate"])))
    if abilities.network_lab:
        kinds += [st.just(Partition()), st.just(Heal())]
    kinds += [  # the fifth round's kinds: recovering reports, a batch spread over agents
        st.builds(Recovering, slot=slots, which=st.integers(0, 2)),
        st.builds(Batch, agents=st.integers(3, SLOTS), in_result=st.booleans()),
    ]
    return kinds


CORE = 3  # the first kinds of _kinds every scenario uses: submit, start an agent, crash it


def operations(abilities: Abilities = Abilities()) -> st.SearchStrategy[Op]:
    """One operation of any kind, simplest kinds first."""
    return st.one_of(_kinds(abilities))


@st.composite
def _scenario(draw: st.DrawFn, max_operations: int, abilities: Abilities) -> list[Op]:
    silence = draw(st.sampled_from(SILENCE))
    agents = draw(st.integers(1, SLOTS))
    kinds = _kinds(abilities, silence, agents)
    optional = draw(st.lists(st.sampled_from(range(CORE, len(kinds))), unique=True))
    chosen = kinds[:CORE] + [kinds[i] for i in sorted(optional)]
    return draw(st.lists(st.one_of(chosen), min_size=1, max_size=max_operations))


def scenarios(max_operations: int, abilities: Abilities = Abilities()) -> st.SearchStrategy:
    """A list of up to ``max_operations`` operations, drawn the way swarm testing does:
    each scenario first draws whether all its agents are silent, how many agents it may
    start (one first), and which optional kinds of operation it uses (submitting and
    starting agents always), then its operations from those. A scenario of few kinds and
    few agents uses each of them often, so combinations such as a silent agent that holds
    a task, or a kill of the one agent that holds a task while others queue, come up far
    sooner than when every scenario mixes every kind and agent evenly."""
    return _scenario(max_operations, abilities)
