"""The named defects the hub can be started with (``--fault NAME``), all off by default.

Each fault is one small named branch in the rule it breaks; grep for ``Fault.<NAME>``.
"""

from __future__ import annotations

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
        return DESCRIPTIONS[self]

    @classmethod
    def parse(cls, name: str) -> Fault:
        """The fault called ``name``; ValueError naming the known faults otherwise."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            known = ", ".join(f.value for f in cls)
            raise ValueError(f"unknown fault {name!r}; expected one of: {known}") from None


DESCRIPTIONS: dict[Fault, str] = {
    Fault.NO_IDLE_SCHEDULING: "an agent becoming idle does not trigger scheduling "
    "(the historical defect: queued work stalls); other triggers still do",
    Fault.NO_RECLAIM_ON_DISCONNECT: "a dead connection's task stays assigned to the gone agent",
    Fault.NO_GENERATION_FENCING: "completion/failure reports with any generation are accepted",
    Fault.IGNORE_PRIORITY: "queued tasks are assigned oldest first, whatever their priority",
    Fault.UNFAIR_AGENT_CHOICE: "the idle agent that connected first always gets the task",
    Fault.VOLATILE_STORE: "tasks and agent tokens live in memory only: nothing survives a "
    "restart (the bootstrap token file is still reused)",
    Fault.NO_AUTH: "protected HTTP routes accept any token or none",
    Fault.LOSE_ASSIGNMENT: "every 5th assignment is recorded but its task_assign frame is "
    "never sent",
    Fault.NO_LIVENESS_EVICTION: "an agent that stops pinging is never evicted (the ping "
    "reaper does nothing): a silently cut-off agent keeps its task",
    Fault.DOUBLE_ASSIGN: "a scheduling pass may give an agent a second task before the first "
    "is finished (the agent stays free for one more pairing in the same pass)",
    Fault.STALE_ACK: "a completion with a stale generation is acknowledged as complete "
    "(and changes nothing), instead of being refused",
    Fault.ASSIGN_DISCONNECTED: "when a connection closes, its task is reclaimed and scheduled "
    "before the agent is forgotten: the task can go straight back to the gone agent",
    Fault.IGNORE_CAPABILITIES: "the scheduler ignores needed capabilities: any idle agent "
    "may get any task",
    Fault.HISTORY_MISORDER: "task histories are written oldest first (and capped by dropping "
    "the newest)",
    Fault.NO_PRESENCE: "agent_joined / agent_left are never pushed to the other agents",
    Fault.NO_FAIL_FENCING: "failure reports with any generation are accepted (completions "
    "are still fenced)",
    Fault.ACCEPT_KEEPS_TIMER: "task_accepted does not stop the acceptance timer: an agent "
    "that works longer than the acceptance timeout loses its task",
    Fault.FLAT_HIGH_NORMAL: "the scheduler ranks high and normal tasks as one level (age "
    "decides between them)",
    Fault.HEAD_OF_LINE_BLOCKING: "a queued task that no idle agent can take ends the "
    "scheduling pass: the tasks behind it wait",
    Fault.PROGRESS_IGNORED: "task_progress does not refresh updated_at: the stuck sweep takes "
    "back tasks whose agents report progress",
    Fault.NO_STUCK_SWEEP: "the stuck sweep never reclaims anything",
    Fault.NO_OVERDUE_SWEEP: "complete_by is never enforced: overdue tasks stay assigned",
    Fault.FILTER_IGNORES_ASSIGNED_TO: "GET /api/tasks ignores the assigned_to filter",
    Fault.STATS_COUNT_DEAD_LETTER: "GET /api/tasks/stats counts dead-letter tasks in by_status too",
    Fault.REVOKE_ONE_TOKEN: "DELETE /admin/tokens/:agent_id revokes only one of the agent's tokens",
    Fault.UNKNOWN_PRIORITY_LOW: "a priority string the hub does not know counts as low, not normal",
    Fault.RECOVER_ALWAYS_CONTINUE: "task_recovering is always answered task_continue, also "
    "for a task that is no longer assigned",
    Fault.RESULT_TOKENS_IGNORED: "tokens_used inside result is ignored (only the top-level "
    "field counts)",
    Fault.PING_NOT_COUNTED: "a ping does not count as a sign of life: pinging agents are "
    "evicted at the ping timeout",
    Fault.NO_WORKING_STATE: "the agent listings show a working agent as assigned (task_accepted "
    "seems to change nothing)",
    Fault.AGENTS_LIST_RACE: "GET /api/agents answers 500 for a second after an agent "
    "disconnected (the historical crash)",
}


def describe_all() -> str:
    """One line per fault: ``name  description``."""
    width = max(len(f.value) for f in Fault)
    return "\n".join(f"{f.value:<{width}}  {f.description}" for f in Fault)
