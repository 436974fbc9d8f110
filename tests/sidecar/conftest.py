"""Fixtures: the embedded hub as a subprocess, sidecars (the stand-in, or a real checkout
named by AGENTCOM_SIDECAR_DIR for the conformance checks), cleanup checks."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from AgentComLibrary.sidecars.process import SidecarProcess
from sidecar_helpers import DEADLINE, STANDIN, HubUnderTest, wait_until_gone

REAL_ENV = "AGENTCOM_SIDECAR_DIR"
NO_REAL = (
    f"{REAL_ENV} is not set: these checks ran against the stand-in only. Set it to a checkout "
    "of the AgentCom sidecar (its sidecar/ folder, `npm install` done) to run them against "
    "the real sidecar too."
)


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("Node.js (`node`) is not installed: the real-sidecar tests need it")
    return path


@pytest.fixture(scope="session")
def standin(node: str) -> Path:
    """The stand-in checkout, with its npm dependencies installed."""
    if not (STANDIN / "node_modules" / "ws" / "package.json").exists():
        pytest.skip(
            f"the stand-in's npm dependencies are not installed in {STANDIN}: run "
            "`make standin` (npm ci --prefix tests/sidecar_standin)"
        )
    return STANDIN


@pytest.fixture(
    params=[
        pytest.param("standin", id="standin"),
        pytest.param(
            "real", id="real", marks=[] if os.environ.get(REAL_ENV) else pytest.mark.skip(NO_REAL)
        ),
    ]
)
def source(request: pytest.FixtureRequest, node: str) -> Path:
    """A sidecar checkout: the stand-in, and the real one of AGENTCOM_SIDECAR_DIR."""
    if request.param == "real":
        return Path(os.environ[REAL_ENV]).expanduser().resolve()
    return request.getfixturevalue("standin")


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
def make_sidecar(
    node: str, hub: HubUnderTest, tmp_path: Path, run_id: str
) -> Iterator[Callable[..., SidecarProcess]]:
    """Factory: ``make_sidecar(name, start=True, **kwargs)`` -> a SidecarProcess (of the
    stand-in unless ``sidecar_dir=`` says otherwise), started (connected) unless
    ``start=False``; all stopped at teardown, and no process may be left behind."""
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


@pytest.fixture
def make_any(
    make_sidecar: Callable[..., SidecarProcess], source: Path
) -> Callable[..., SidecarProcess]:
    """``make_sidecar`` of the conformance source (stand-in or real)."""

    def make(name: str, **kwargs: object) -> SidecarProcess:
        kwargs.setdefault("sidecar_dir", source)
        return make_sidecar(name, **kwargs)

    return make
