"""HubConfig: every setting of the hub, with the contract's values as defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .faults import Fault


@dataclass
class HubConfig:
    """Settings of one hub process. Durations are in seconds."""

    host: str = "127.0.0.1"
    port: int = 4000
    data_dir: Path = Path("./agentcom-data")
    bootstrap_agent: str = "smoke-admin"
    ready_file: Path | None = None
    faults: frozenset[Fault] = field(default_factory=frozenset)
    log_level: str = "INFO"
    acceptance_timeout: float = 60.0
    stuck_sweep_interval: float = 30.0
    stuck_threshold: float = 300.0
    overdue_sweep_interval: float = 30.0
    idle_timeout: float = 60.0
    ping_timeout: float = 60.0
    parent_pid: int | None = None

    def has(self, fault: Fault) -> bool:
        """True when ``fault`` was switched on."""
        return fault in self.faults
