"""The run's embedded hub begun while the library is imported (hubapi/early_start.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from AgentComLibrary.hubapi import early_start
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from test_embedded_hub import pid_alive

ROOT = Path(__file__).resolve().parents[2]
EMPTY = {"${HUB_URL}": "", "${HUB_COMMAND}": "", "${HUB_FAULTS}": ""}


@pytest.fixture
def begun() -> Iterator[EmbeddedHub]:
    """An embedded hub begun as the library's import begins one (stopped afterwards)."""
    hub = EmbeddedHub(faults=["no-generation-fencing"]).begin()
    early_start._pending = hub
    yield hub
    early_start._pending = None
    hub.stop()


@pytest.mark.parametrize(
    ("variables", "faults"),
    [
        (EMPTY, []),
        (
            {**EMPTY, "${HUB_FAULTS}": " no-generation-fencing, double-assign"},
            ["no-generation-fencing", "double-assign"],
        ),
        ({**EMPTY, "${HUB_URL}": "http://127.0.0.1:4000"}, None),
        ({**EMPTY, "${HUB_COMMAND}": "my-hub --port {port}"}, None),
        ({"${HUB_URL}": "", "${HUB_FAULTS}": ""}, None),  # not the project's resource
        ({}, None),
    ],
)
def test_only_a_run_of_the_embedded_hub_begins_one(variables: dict, faults: list | None) -> None:
    assert early_start.embedded_run_faults(variables) == faults


def test_outside_a_robot_run_nothing_is_begun() -> None:
    early_start.begin_during_import()  # pytest: no Robot execution context
    assert early_start._pending is None


def test_the_hub_asked_for_is_taken_and_answers(begun: EmbeddedHub) -> None:
    hub = early_start.claim(["no-generation-fencing"], [], "127.0.0.1")
    assert hub is begun and hub.begun_early
    hub.wait_started()
    assert HubClient(hub.url, hub.token).health()["status"] == "ok"
    assert early_start.claim(["no-generation-fencing"], [], "127.0.0.1") is None  # offered once


@pytest.mark.parametrize(
    ("faults", "options"), [([], []), (["no-generation-fencing"], ["--ping-timeout", "1s"])]
)
def test_another_hub_asked_for_stops_the_begun_one(
    begun: EmbeddedHub, faults: list, options: list
) -> None:
    pid, tmp_dir = begun.pid, begun.tmp_dir
    assert early_start.claim(faults, options, "127.0.0.1") is None
    assert not pid_alive(pid) and tmp_dir is not None and not tmp_dir.exists()


def test_discard_stops_a_hub_nobody_took(begun: EmbeddedHub) -> None:
    pid = begun.pid
    early_start.discard()
    assert early_start._pending is None and not pid_alive(pid)


def _run_suite(folder: Path, body: str) -> list[str]:
    """Run a one-test suite on the project's resource; the 'Hub session open' lines."""
    folder.mkdir()
    suite = folder / "early.robot"
    suite.write_text(
        f"*** Settings ***\nResource    {ROOT}/resources/agentcom.resource\n\n"
        f"*** Test Cases ***\nOne Session\n{textwrap.indent(body, '    ')}"
    )
    command = [sys.executable, "-m", "robot", "--outputdir", str(folder), "--log", "NONE"]
    command += ["--report", "NONE", "--console", "none", str(suite)]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (folder / "output.xml").read_text(encoding="utf-8")
    return re.findall(r"Hub session open: [^<]*", text)


def test_a_robot_run_takes_the_hub_begun_during_the_import(tmp_path: Path) -> None:
    (line,) = _run_suite(tmp_path / "run", "Open Hub Session\nSubmit Task    one\n")
    assert "started while the library was imported" in line, line
    pid = int(re.search(r"\(pid (\d+)", line).group(1))
    assert not pid_alive(pid), "the embedded hub outlived the robot run"


def test_a_run_asking_for_other_timers_gets_a_hub_of_its_own(tmp_path: Path) -> None:
    (line,) = _run_suite(tmp_path / "run", "Open Hub Session    acceptance_timeout=1s\n")
    assert "started while the library was imported" not in line, line
