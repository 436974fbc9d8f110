"""The network lab end to end (root): two namespaces, a pool on each side, the network
suite inside, the no-liveness-eviction fault caught, and nothing left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from AgentComLibrary.network.lab import RunningLab, network_lab, pids_in
from AgentComLibrary.network.netns import namespaces, unavailable
from robot.api import ExecutionResult, ResultVisitor
from skips import is_twin_skip

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "suites" / "12_network_faults.robot"
SCENARIOS = ["NET-01", "NET-02", "NET-03", "NET-04"]
RUN_TIMEOUT = 240.0

WHY = unavailable()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"network lab unavailable: {WHY}")


class _Tests(ResultVisitor):
    def __init__(self) -> None:
        self.tests: dict[str, tuple[str, str, list[str]]] = {}

    def visit_test(self, test) -> None:
        self.tests[test.name] = (test.status, test.message, list(test.tags))


def _run_suite(
    running: RunningLab, out: Path, *extra: str
) -> dict[str, tuple[str, str, list[str]]]:
    robot = running.robot(
        [
            "--outputdir",
            str(out),
            "--console",
            "none",
            "--prerebotmodifier",
            "AgentComLibrary.report.summary_first.SummaryFirst",
            *extra,
            str(SUITE),
        ],
        out / "robot.log",
    )
    robot.start()
    try:
        robot.popen.wait(RUN_TIMEOUT)  # type: ignore[union-attr]
    finally:
        robot.close()
    collected = _Tests()
    ExecutionResult(str(out / "output.xml")).visit(collected)
    return collected.tests


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    """The lab for this module; after it, no namespace, interface or process is left."""
    workdir = tmp_path_factory.mktemp("lab")
    with network_lab(workdir) as running:
        pool_pids = [p.pid for p in running.processes]
        yield running
    lab_ns = (running.lab.hub_ns, running.lab.pool_ns)
    assert not [n for n in namespaces() if n in lab_ns], "a lab namespace is left"
    assert running.lab.leftovers() == []
    for pid in pool_pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_lab_has_both_sides(lab: RunningLab) -> None:
    assert set(lab.pools) == {"far", "near"}
    assert pids_in(lab.lab.pool_ns), "the far pool should run in the agent host's namespace"
    assert lab.lab.pool_addr in lab.pools["far"]


def test_network_scenarios_pass(lab: RunningLab, tmp_path: Path) -> None:
    tests = _run_suite(lab, tmp_path)
    failed = {
        n: m for n, (s, m, tags) in tests.items() if s != "PASS" and not is_twin_skip(m, tags)
    }
    assert not failed, "network tests did not pass:\n" + "\n".join(
        f"{n}: {m}" for n, m in failed.items()
    )
    ran = {tag for _, _, tags in tests.values() for tag in tags}
    assert set(SCENARIOS) <= ran, f"scenarios missing: {set(SCENARIOS) - ran}"


def test_no_liveness_eviction_is_caught_by_the_partition(lab: RunningLab, tmp_path: Path) -> None:
    tests = _run_suite(
        lab, tmp_path, "--variable", "HUB_FAULTS:no-liveness-eviction", "--include", "NET-01"
    )
    [(status, message, _)] = [v for v in tests.values() if "NET-01" in v[2]]
    assert status == "FAIL", f"NET-01 should fail with the fault, got {status}"
    assert "should have been reclaimed within" in message, message


def test_outside_the_lab_the_network_tests_skip(tmp_path: Path) -> None:
    from robot import run_cli

    run_cli(["--outputdir", str(tmp_path), "--console", "none", str(SUITE)], exit=False)
    collected = _Tests()
    ExecutionResult(str(tmp_path / "output.xml")).visit(collected)
    for name, (status, message, tags) in collected.tests.items():
        if "network" in tags:
            assert status == "SKIP", f"{name}: {status}"
            assert "make network" in message, message
        elif is_twin_skip(message, tags):
            assert status == "SKIP", f"{name}: {status}"
        else:
            assert status == "PASS", f"{name}: {status} {message}"
