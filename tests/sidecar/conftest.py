"""Fixtures: the embedded hub as a subprocess, the stand-in sidecar, cleanup checks."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from AgentComLibrary.sidecars.process import SidecarProcess
from sidecar_helpers import DEADLINE, STANDIN, HubUnderTest, wait_until_gone


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("Node.js (`node`) is not installed: the real-sidecar tests need it")
    return path


@pytest.fixture
def hub_options() -> list[str]:
    return []


@pytest.fixture
def hub(tmp_path: Path, hub_options: list[str]) -> Iterator[HubUnderTest]:
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    running = HubUnderTest(hub_dir, hub_options)
    yield running
    running.stop()


@pytest.fixture
def run_id() -> str:
    return secrets.token_hex(4)


@pytest.fixture
def make_sidecar(
    node: str, hub: HubUnderTest, tmp_path: Path, run_id: str
) -> Iterator[Callable[..., SidecarProcess]]:
    """Factory: ``make_sidecar(name, start=True, **kwargs)`` -> a SidecarProcess of the
    stand-in, started (connected) unless ``start=False``; all stopped at teardown."""
    made: list[SidecarProcess] = []

    def make(name: str, start: bool = True, **kwargs: object) -> SidecarProcess:
        kwargs.setdefault("sidecar_dir", STANDIN)
        kwargs.setdefault("capabilities", [f"smoke-{run_id}"])
        kwargs.setdefault("run_id", run_id)
        sidecar = SidecarProcess(
            name, f"smoke-{run_id}-{name}", instance_dir=tmp_path / "sidecars" / name,
            hub=kwargs.pop("hub_access", hub.client), **kwargs,
        )  # fmt: skip
        made.append(sidecar)
        if start:
            sidecar.start(DEADLINE)
        return sidecar

    yield make
    for sidecar in made:
        sidecar.stop(grace=5.0)
    leftovers = wait_until_gone(tmp_path / "sidecars")
    assert not leftovers, f"processes left behind: {leftovers}"
