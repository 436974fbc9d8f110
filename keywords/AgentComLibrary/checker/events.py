"""The vocabulary of a test's history: one observed event and its kinds (pure data).

``observe.history`` records these; the checker reads them. Each event has a sequence number
from one process-wide counter (shared with the agents' journals), a monotonic time
(``time.monotonic_ns``) and a wall-clock time in ms (to compare with the hub's millisecond
timestamps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# directions
IN = "in"  # a frame the hub sent to an agent or probe
OUT = "out"  # a frame an agent or probe sent to the hub
CONN = "conn"  # open, identified, close, kill, lost, closed, send_failed, failed
HTTP = "http"  # one request of the library and its answer
HUB = "hub"  # the hub's records at the end: task, task_missing, states
MARK = "mark"  # markers the collector sets (snapshot)

# frames that change nothing on the hub (see changes_state)
QUIET_FRAMES = frozenset({"ping", "pong"})
# connection event types that end a connection
CONN_ENDS = frozenset({"close", "kill", "lost", "closed"})


@dataclass(frozen=True)
class Event:
    """One observation. ``actor`` is the short name of the agent or probe (``http`` and
    ``hub`` for the others); ``conn`` numbers a connection uniquely in the process."""

    seq: int
    mono_ns: int
    wall_ms: int
    direction: str
    type: str
    actor: str = ""
    agent_id: str | None = None
    conn: int | None = None
    task_id: str | None = None
    generation: int | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ends_connection(self) -> bool:
        return self.direction == CONN and self.type in CONN_ENDS


def changes_state(direction: str, type: str) -> bool:
    """Whether an event of this kind may go with a change of the hub's state: any frame but
    a ping or pong, any connection event, any HTTP request but a GET (the hub's records and
    the collector's markers are reads)."""
    if direction in (HUB, MARK):
        return False
    if direction == HTTP:
        return not type.startswith("GET ")
    if direction in (IN, OUT):
        return type not in QUIET_FRAMES
    return True


def int_or_none(value: object) -> int | None:
    """``value`` when it is an int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
