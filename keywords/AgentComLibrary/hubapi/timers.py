"""The timers of a session's hub: what the embedded hub was started with, or for any other
hub the contract's values, overridable with ``HUB_TIMERS`` (``ping_timeout=60s,...``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from agentcom_hub.durations import parse_duration

from ..util.errors import AgentComError


class HubTimersError(AgentComError):
    """``HUB_TIMERS`` names a timer that does not exist or a value that is no duration."""


@dataclass(frozen=True)
class HubTimers:
    """Timers in seconds, with the contract's values as defaults (agentcom-protocol.md)."""

    acceptance_timeout: float = 60.0  # assignment not accepted: reclaimed
    ping_timeout: float = 60.0  # no ping for this long: evicted
    liveness_sweep: float = 30.0  # how often the hub looks for agents past the ping timeout
    idle_timeout: float = 60.0  # a WebSocket that received no frame for this long is closed
    stuck_threshold: float = 300.0
    stuck_sweep_interval: float = 30.0
    overdue_sweep_interval: float = 30.0
    source: str = "the contract's values"

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "source"]

    def get(self, name: str) -> float:
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        if key not in self.names():
            raise HubTimersError(
                f"The hub has no timer '{name}'; its timers: {', '.join(self.names())}."
            )
        return float(getattr(self, key))

    def overridden(self, text: str) -> HubTimers:
        """These timers with ``name=duration,...`` (``HUB_TIMERS``) applied."""
        if not text.strip():
            return self
        values: dict[str, float] = {}
        for item in text.split(","):
            name, sep, value = item.partition("=")
            if not sep:
                raise HubTimersError(
                    f"HUB_TIMERS item '{item.strip()}' is not name=duration "
                    "(e.g. ping_timeout=60s,acceptance_timeout=60s)."
                )
            self.get(name)  # an unknown name fails here
            try:
                values[name.strip().lower().replace("-", "_")] = parse_duration(value.strip())
            except ValueError as error:
                raise HubTimersError(f"HUB_TIMERS item '{item.strip()}': {error}.") from None
        return replace(self, **values, source="HUB_TIMERS")

    @classmethod
    def of_embedded(cls, options: Sequence[str]) -> HubTimers:
        """The timers an embedded hub gets from these command line options."""
        flags = {
            "--acceptance-timeout": "acceptance_timeout",
            "--ping-timeout": "ping_timeout",
            "--idle-timeout": "idle_timeout",
            "--stuck-threshold": "stuck_threshold",
            "--stuck-sweep-interval": "stuck_sweep_interval",
            "--overdue-sweep-interval": "overdue_sweep_interval",
        }
        values: dict[str, float] = {}
        items = list(options)
        for i, item in enumerate(items):
            flag, sep, value = item.partition("=")
            if flag in flags and (sep or i + 1 < len(items)):
                raw = value if sep else items[i + 1]
                try:
                    values[flags[flag]] = parse_duration(raw)
                except ValueError:
                    continue  # the hub itself refuses it at start
        timers = replace(cls(), **values, source="the embedded hub's options")
        # hub.py: the eviction sweep runs every ping_timeout / 4, between 50 ms and 1 s
        return replace(timers, liveness_sweep=min(1.0, max(timers.ping_timeout / 4, 0.05)))

    def describe(self) -> str:
        shown = ", ".join(f"{name} {getattr(self, name):g} s" for name in self.names())
        return f"{shown} ({self.source})"
