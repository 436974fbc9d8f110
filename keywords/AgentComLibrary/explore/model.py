"""The explorer's own model of a scenario: which agents run, which are connected, how many
tasks were submitted. It decides, without asking the hub, which drawn operations apply
(a kill of an agent that is not running does not), so the same drawn list always plans
the same operations: the plan is the key of an example.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import ops

# Operations that change nothing the model tracks.
PASSIVE = (ops.Pause, ops.NoToken, ops.ReadAgents, ops.SubmitUnknownPriority, ops.ProgressWorker)


def agent_name(slot: int) -> str:
    """The short name of the agent in ``slot``: ``a1`` for slot 0."""
    return f"a{slot + 1}"


@dataclass
class AgentModel:
    """What the explorer knows of one agent it started."""

    behaviour: str
    gpu: bool
    silent: bool
    connected: bool = True
    ever_stuck: bool = False  # it had a behaviour that never finishes a task by itself

    def __post_init__(self) -> None:
        self.ever_stuck = self.ever_stuck or self.behaviour in ops.STUCK


@dataclass
class Model:
    """The scenario so far, as the explorer planned it."""

    agents: dict[int, AgentModel] = field(default_factory=dict)
    tasks: int = 0
    partitioned: bool = False
    restarts: int = 0
    revoked: bool = False  # the keeper's tokens are revoked (its own token is refused since)
    batches: int = 0  # batches spread over agents of their own (their tasks not counted above)
    holders: int = 0  # agents of held tasks (HeldTask), each started and stopped by its task
    failers: int = 0  # agents of stale reports (StaleReport), each on its own
    workers: int = 0  # progress workers (ProgressWorker), all the probe p1

    def own_agents(self) -> list[str]:
        """The agents of operations that bring their own (a capability of their name): the
        end phase's healer takes their tasks too."""
        return (
            ["p1"] * bool(self.workers)
            + [f"h{n}" for n in range(1, self.holders + 1)]
            + [f"s{n}" for n in range(1, self.failers + 1)]
        )

    def apply(self, op: ops.Op) -> bool:
        """Whether ``op`` applies now; if it does, the model takes it in."""
        agent = self.agents.get(getattr(op, "slot", -1))
        if isinstance(op, ops.StartAgent):
            if agent is not None:
                return False
            self.agents[op.slot] = AgentModel(op.behaviour, op.gpu, op.silent)
        elif isinstance(op, ops.Submit):
            self.tasks += op.count
        elif isinstance(op, ops.ProgressWorker):
            self.tasks += 1
            self.workers += 1
        elif isinstance(op, ops.HeldTask):
            self.tasks += 1
            self.holders += 1
        elif isinstance(op, ops.StaleReport):
            self.tasks += 1
            self.failers += 1
        elif isinstance(op, (ops.Kill, ops.Close)):
            if agent is None or not agent.connected:
                return False
            agent.connected = False
        elif isinstance(op, ops.Reconnect):
            if agent is None:
                return False
            agent.connected = True
        elif isinstance(op, ops.SetBehaviour):
            if agent is None or agent.behaviour == op.behaviour:
                return False
            agent.behaviour = op.behaviour
            agent.ever_stuck = agent.ever_stuck or op.behaviour in ops.STUCK
        elif isinstance(op, (ops.Report, ops.Recovering)):
            if agent is None or not agent.connected or self.tasks == 0:
                return False
        elif isinstance(op, ops.RestartHub):
            self.restarts += 1
            for known in self.agents.values():
                known.connected = True  # Reconnect All Agents follows the restart
        elif isinstance(op, ops.Partition):
            if self.partitioned:
                return False
            self.partitioned = True
        elif isinstance(op, ops.Heal):
            if not self.partitioned:
                return False
            self.partitioned = False
        elif isinstance(op, ops.RevokeTokens):
            if self.revoked:
                return False
            self.revoked = True
        elif isinstance(op, ops.Batch):
            self.batches += 1
        elif not isinstance(op, PASSIVE):
            raise TypeError(f"unknown operation {op!r}")
        return True


def plan(operations: Iterable[ops.Op]) -> tuple[ops.Op, ...]:
    """The operations of ``operations`` that apply, in order (the key of an example)."""
    model = Model()
    return tuple(op for op in operations if model.apply(op))
