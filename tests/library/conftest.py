"""Fixtures for the keyword library's tests: one shared embedded hub, agents, a library."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator

import pytest
from AgentComLibrary import AgentComLibrary
from AgentComLibrary.hubapi import launcher as hub_launcher
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from libsupport import ACCEPTANCE_TIMEOUT, Agents, hub_processes_of, wait_until


@pytest.fixture(scope="session", autouse=True)
def no_leftovers() -> Iterator[None]:
    """After all tests: no hub process of ours and no hub temp dir of ours is left."""
    yield
    assert not hub_launcher._LIVE, f"hubs not stopped: {hub_launcher._LIVE}"
    wait_until(lambda: not hub_processes_of(os.getpid()), timeout=10)
    leftover = [t for t in threading.enumerate() if t.name.startswith("agent-") and t.is_alive()]
    assert not leftover, f"agent threads still running: {leftover}"


@pytest.fixture(scope="session")
def hub(no_leftovers) -> Iterator[EmbeddedHub]:
    """One embedded hub for the whole session (tests isolate by run id)."""
    hub = EmbeddedHub(options=["--acceptance-timeout", ACCEPTANCE_TIMEOUT]).start()
    yield hub
    hub.stop()


@pytest.fixture
def client(hub: EmbeddedHub) -> Iterator[HubClient]:
    client = HubClient(hub.url, hub.token)
    yield client
    client.close()


@pytest.fixture
def agents(hub: EmbeddedHub, client: HubClient, run_id: str) -> Iterator[Agents]:
    helper = Agents(hub, client, run_id)
    yield helper
    helper.stop_all()


@pytest.fixture
def lib(hub: EmbeddedHub) -> Iterator[AgentComLibrary]:
    """The library with an open session on the shared hub (as an external hub)."""
    library = AgentComLibrary(hub_url=hub.url, bootstrap_token=hub.token, timeout=_td(15))
    library.ctx.start_test("pytest")
    library.open_hub_session()
    yield library
    library.close()


@pytest.fixture
def robot_log() -> Iterator[list[tuple[str, str]]]:
    """Every message the library writes through ``robot.api.logger`` as (level, text).

    Outside a Robot run, ``robot.api.logger`` writes to the Python logger "RobotFramework".
    """
    messages: list[tuple[str, str]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            level = {"WARNING": "WARN"}.get(record.levelname, record.levelname)
            messages.append((level, record.getMessage()))

    robot_logger = logging.getLogger("RobotFramework")
    handler, old_level = Recorder(level=1), robot_logger.level
    robot_logger.addHandler(handler)
    robot_logger.setLevel(1)
    yield messages
    robot_logger.removeHandler(handler)
    robot_logger.setLevel(old_level)


def _td(seconds: float):
    from datetime import timedelta

    return timedelta(seconds=seconds)
