"""Fixtures for the benchmark tests: the benchmark scripts importable, hubs with short timers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from AgentComLibrary.hubapi.embedded import EmbeddedHub

# benchmarks/ is a folder of scripts, not a package: `import hub_throughput` finds it here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.fixture
def start_hub() -> Iterator[Callable[..., EmbeddedHub]]:
    """Factory: start an embedded hub with extra options and faults; all are stopped after
    the test."""
    hubs: list[EmbeddedHub] = []

    def start(options: Sequence[str] = (), faults: Sequence[str] = ()) -> EmbeddedHub:
        hub = EmbeddedHub(faults=faults, options=options)
        hubs.append(hub)
        return hub.start()

    yield start
    for hub in hubs:
        hub.stop()
