"""The named defects the hub can be started with (``--fault NAME``), all off by default.

Each fault is one small named branch in the rule it breaks; grep for ``Fault.<NAME>``.
``DECLARED`` is the one list of what each fault means and what proves the suites catch it:
the contract clauses it breaks, the contract-checker rule that must name it (the fault
matrix requires it), or, for a fault no rule judges, what catches it instead. The fault
matrix (tools/fault_matrix.py), its quick mode's listener and docs/fault-matrix.md's fault
table (tools/check_rule_docs.py) read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Fault(str, Enum):
    """A switchable defect; the value is the command-line name."""

    NO_IDLE_SCHEDULING = "no-idle-scheduling"
    NO_RECLAIM_ON_DISCONNECT = "no-reclaim-on-disconnect"
    NO_GENERATION_FENCING = "no-generation-fencing"
    IGNORE_PRIORITY = "ignore-priority"
    UNFAIR_AGENT_CHOICE = "unfair-agent-choice"
    VOLATILE_STORE = "volatile-store"
    NO_AUTH = "no-auth"
    LOSE_ASSIGNMENT = "lose-assignment"
    NO_LIVENESS_EVICTION = "no-liveness-eviction"
    DOUBLE_ASSIGN = "double-assign"
    STALE_ACK = "stale-ack"
    ASSIGN_DISCONNECTED = "assign-disconnected"
    IGNORE_CAPABILITIES = "ignore-capabilities"
    HISTORY_MISORDER = "history-misorder"
    NO_PRESENCE = "no-presence"
    NO_FAIL_FENCING = "no-fail-fencing"
    ACCEPT_KEEPS_TIMER = "accept-keeps-timer"
    FLAT_HIGH_NORMAL = "flat-high-normal"
    HEAD_OF_LINE_BLOCKING = "head-of-line-blocking"
    PROGRESS_IGNORED = "progress-ignored"
    NO_STUCK_SWEEP = "no-stuck-sweep"
    NO_OVERDUE_SWEEP = "no-overdue-sweep"
    FILTER_IGNORES_ASSIGNED_TO = "filter-ignores-assigned-to"
    STATS_COUNT_DEAD_LETTER = "stats-count-dead-letter"
    REVOKE_ONE_TOKEN = "revoke-one-token"
    UNKNOWN_PRIORITY_LOW = "unknown-priority-low"
    RECOVER_ALWAYS_CONTINUE = "recover-always-continue"
    RESULT_TOKENS_IGNORED = "result-tokens-ignored"
    PING_NOT_COUNTED = "ping-not-counted"
    NO_WORKING_STATE = "no-working-state"
    AGENTS_LIST_RACE = "agents-list-race"

    @property
    def description(self) -> str:
        """One line saying what breaks."""
        return DECLARED[self].meaning

    @property
    def rule(self) -> str:
        """The contract-checker rule that must name this fault ("" when none judges it)."""
        return DECLARED[self].rule

    @classmethod
    def parse(cls, name: str) -> Fault:
        """The fault called ``name``; ValueError naming the known faults otherwise."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            known = ", ".join(f.value for f in cls)
            raise ValueError(f"unknown fault {name!r}; expected one of: {known}") from None


@dataclass(frozen=True)
class Declaration:
    """What a fault breaks and what proves the suites catch it."""

    meaning: str  # one line saying what breaks
    clauses: tuple[str, ...] = ()  # ids of docs/contract/clauses.toml it breaks
    rule: str = ""  # the contract-checker rule a failure must name (checker/rules.py)
    caught_by: str = ""  # with no rule: which tests or checks catch it instead


DECLARED: dict[Fault, Declaration] = {
    Fault.NO_IDLE_SCHEDULING: Declaration(
        (
            "an agent becoming idle does not trigger scheduling (the historical defect: queued "
            "work stalls); other triggers still do"
        ),
        clauses=("sched-on-idle",),
        caught_by=(
            "the waits: queued work stalls while an agent is idle (TEST-01b, TEST-02b, TEST-02g, "
            "TEST-03f)"
        ),
    ),
    Fault.NO_RECLAIM_ON_DISCONNECT: Declaration(
        "a dead connection's task stays assigned to the gone agent",
        clauses=("disconnect-reclaim",),
        caught_by=(
            "`Wait Until Task Is Reclaimed` after a killed or closed connection (TEST-02, "
            "TEST-02b, TEST-02c, TEST-02e, NET-00)"
        ),
    ),
    Fault.NO_GENERATION_FENCING: Declaration(
        "completion/failure reports with any generation are accepted",
        clauses=("fencing-complete-stale", "fencing-missing-generation"),
        caught_by=(
            "the probes' expected `stale_generation` replies (CONTRACT-05, TEST-02c, TEST-02d); "
            "the rules `ack-current-generation` and `completion-to-holder` name it too"
        ),
    ),
    Fault.IGNORE_PRIORITY: Declaration(
        "queued tasks are assigned oldest first, whatever their priority",
        clauses=("sched-priority-pairs",),
        rule="priority-order",
    ),
    Fault.UNFAIR_AGENT_CHOICE: Declaration(
        "the idle agent that connected first always gets the task",
        clauses=(),
        caught_by=(
            "`Tasks Should Be Evenly Distributed` (TEST-03, TEST-03d): the embedded hub's own "
            "choice of the agent idle longest, which the contract leaves open"
        ),
    ),
    Fault.VOLATILE_STORE: Declaration(
        (
            "tasks and agent tokens live in memory only: nothing survives a restart (the bootstrap "
            "token file is still reused)"
        ),
        clauses=("persist-restart",),
        caught_by="the restart tests: tasks and tokens gone after `Restart Hub` (TEST-02h)",
    ),
    Fault.NO_AUTH: Declaration(
        "protected HTTP routes accept any token or none",
        clauses=("http-unauthorized",),
        caught_by="the probes' expected 401 answers (CONTRACT-06)",
    ),
    Fault.LOSE_ASSIGNMENT: Declaration(
        "every 5th assignment is recorded but its task_assign frame is never sent",
        clauses=("ws-task-assign",),
        caught_by=(
            "the waits and probes: a `task_assign` that never comes (CONTRACT-05, TEST-01, "
            "TEST-03, ...); the rules `assignment-delivered` and `agent-states-agree` name it too"
        ),
    ),
    Fault.NO_LIVENESS_EVICTION: Declaration(
        (
            "an agent that stops pinging is never evicted (the ping reaper does nothing): a "
            "silently cut-off agent keeps its task"
        ),
        clauses=("liveness-silent-evicted",),
        caught_by="NET-00: a partitioned agent's task is never reclaimed",
    ),
    Fault.DOUBLE_ASSIGN: Declaration(
        (
            "a scheduling pass may give an agent a second task before the first is finished (the "
            "agent stays free for one more pairing in the same pass)"
        ),
        clauses=("sched-one-task-per-agent",),
        rule="one-task-per-agent",
    ),
    Fault.STALE_ACK: Declaration(
        (
            "a completion with a stale generation is acknowledged as complete (and changes "
            "nothing), instead of being refused"
        ),
        clauses=("fencing-complete-stale",),
        rule="ack-current-generation",
    ),
    Fault.ASSIGN_DISCONNECTED: Declaration(
        (
            "when a connection closes, its task is reclaimed and scheduled before the agent is "
            "forgotten: the task can go straight back to the gone agent"
        ),
        clauses=("disconnect-reclaim",),
        rule="no-assign-after-disconnect",
    ),
    Fault.IGNORE_CAPABILITIES: Declaration(
        "the scheduler ignores needed capabilities: any idle agent may get any task",
        clauses=("sched-capabilities",),
        rule="capabilities",
    ),
    Fault.HISTORY_MISORDER: Declaration(
        "task histories are written oldest first (and capped by dropping the newest)",
        clauses=("history-newest-first", "history-cap"),
        rule="history-well-formed",
    ),
    Fault.NO_PRESENCE: Declaration(
        "agent_joined / agent_left are never pushed to the other agents",
        clauses=("ws-presence",),
        caught_by="CONTRACT-12",
    ),
    Fault.NO_FAIL_FENCING: Declaration(
        "failure reports with any generation are accepted (completions are still fenced)",
        clauses=("fencing-fail-stale",),
        caught_by="TEST-02j",
    ),
    Fault.ACCEPT_KEEPS_TIMER: Declaration(
        (
            "task_accepted does not stop the acceptance timer: an agent that works longer than the "
            "acceptance timeout loses its task"
        ),
        clauses=("acceptance-timer-stops",),
        caught_by="TEST-02o (TEST-02k on a real hub)",
    ),
    Fault.FLAT_HIGH_NORMAL: Declaration(
        "the scheduler ranks high and normal tasks as one level (age decides between them)",
        clauses=("sched-priority-pairs",),
        caught_by="TEST-03g",
    ),
    Fault.HEAD_OF_LINE_BLOCKING: Declaration(
        (
            "a queued task that no idle agent can take ends the scheduling pass: the tasks behind "
            "it wait"
        ),
        clauses=("sched-no-head-of-line",),
        caught_by="TEST-03h",
    ),
    Fault.PROGRESS_IGNORED: Declaration(
        (
            "task_progress does not refresh updated_at: the stuck sweep takes back tasks whose "
            "agents report progress"
        ),
        clauses=("stuck-progress-refresh", "ws-progress"),
        caught_by="TEST-02o, CONTRACT-13 (TEST-02m on a real hub)",
    ),
    Fault.NO_STUCK_SWEEP: Declaration(
        "the stuck sweep never reclaims anything",
        clauses=("stuck-sweep",),
        caught_by="TEST-02o (TEST-02l on a real hub)",
    ),
    Fault.NO_OVERDUE_SWEEP: Declaration(
        "complete_by is never enforced: overdue tasks stay assigned",
        clauses=("overdue-sweep",),
        caught_by="TEST-02o (TEST-02n on a real hub)",
    ),
    Fault.FILTER_IGNORES_ASSIGNED_TO: Declaration(
        "GET /api/tasks ignores the assigned_to filter",
        clauses=("task-list-filters",),
        caught_by="CONTRACT-10",
    ),
    Fault.STATS_COUNT_DEAD_LETTER: Declaration(
        "GET /api/tasks/stats counts dead-letter tasks in by_status too",
        clauses=("task-stats",),
        caught_by="CONTRACT-10",
    ),
    Fault.REVOKE_ONE_TOKEN: Declaration(
        "DELETE /admin/tokens/:agent_id revokes only one of the agent's tokens",
        clauses=("token-revoke",),
        caught_by="CONTRACT-08",
    ),
    Fault.UNKNOWN_PRIORITY_LOW: Declaration(
        "a priority string the hub does not know counts as low, not normal",
        clauses=("task-submit-defaults",),
        caught_by="CONTRACT-09",
    ),
    Fault.RECOVER_ALWAYS_CONTINUE: Declaration(
        (
            "task_recovering is always answered task_continue, also for a task that is no longer "
            "assigned"
        ),
        clauses=("ws-recovering",),
        caught_by="CONTRACT-13",
    ),
    Fault.RESULT_TOKENS_IGNORED: Declaration(
        "tokens_used inside result is ignored (only the top-level field counts)",
        clauses=("ws-complete-ack",),
        caught_by="CONTRACT-13",
    ),
    Fault.PING_NOT_COUNTED: Declaration(
        "a ping does not count as a sign of life: pinging agents are evicted at the ping timeout",
        clauses=("liveness-pinging-kept",),
        caught_by="NET-00b (NET-00c on a real hub)",
    ),
    Fault.NO_WORKING_STATE: Declaration(
        (
            "the agent listings show a working agent as assigned (task_accepted seems to change "
            "nothing)"
        ),
        clauses=("agent-fsm",),
        caught_by="CONTRACT-11",
    ),
    Fault.AGENTS_LIST_RACE: Declaration(
        (
            "GET /api/agents answers 500 for a second after an agent disconnected (the historical "
            "crash)"
        ),
        clauses=("defect-agents-list-while-leaving",),
        caught_by="CONTRACT-15",
    ),
}


def describe_all() -> str:
    """One line per fault: ``name  description``."""
    width = max(len(f.value) for f in Fault)
    return "\n".join(f"{f.value:<{width}}  {f.description}" for f in Fault)
