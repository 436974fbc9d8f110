"""Fixtures for the black-box hub tests: hubs as subprocesses, HTTP API, agent clients.

The classes live in `hubsession.py` (tests import them from there, not from conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hubproc import HubProcess
from hubsession import HubSession, StartHub


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: hub test that waits on timers or runs many tasks")


@pytest.fixture(scope="session")
def shared_hub_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub for the tests that isolate themselves with unique capabilities."""
    run_dir = tmp_path_factory.mktemp("shared-hub")
    proc = HubProcess(run_dir / "data", run_dir=run_dir).start()
    yield proc
    proc.stop()


@pytest.fixture
def hub(shared_hub_proc: HubProcess) -> Iterator[HubSession]:
    """The shared hub; agents made through it are closed after the test.

    Tests on it must give every task a `needed_capabilities` unique to the test.
    """
    assert shared_hub_proc.alive(), f"shared hub died earlier:\n{shared_hub_proc.stderr_tail()}"
    session = HubSession(shared_hub_proc)
    yield session
    session.cleanup()
    session.check_no_crash()


@pytest.fixture
def start_hub(tmp_path: Path) -> Iterator[StartHub]:
    """Factory: start a fresh hub with faults/options; all are stopped after the test."""
    sessions: list[HubSession] = []

    def _start(
        *,
        faults: tuple[str, ...] | list[str] = (),
        options: tuple[str, ...] | list[str] = (),
        bootstrap_agent: str | None = None,
        name: str | None = None,
    ) -> HubSession:
        label = name or f"hub{len(sessions) + 1}"
        proc = HubProcess(
            tmp_path / label,
            faults=faults,
            options=options,
            bootstrap_agent=bootstrap_agent,
            run_dir=tmp_path,
        ).start()
        session = HubSession(proc)
        sessions.append(session)
        return session

    yield _start
    for session in sessions:
        session.cleanup()
        session.proc.stop()
    for session in sessions:
        session.check_no_crash()


@pytest.fixture
def fresh_hub(start_hub: StartHub) -> HubSession:
    """A hub of its own with default options (for exact counts and uncapable tasks)."""
    return start_hub()
