"""Run the Robot suites end to end against the embedded hub, as `make smoke` does (the load
suite runs in test_load_suite_end_to_end.py, beside this file's run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from robot import result as robot_result
from robot import run_cli
from robot.api import ExecutionResult, ResultVisitor
from skips import is_twin_skip

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["TEST-01", "TEST-02", "TEST-02b", "TEST-03", "TEST-03b"]


class _Collect(ResultVisitor):
    def __init__(self) -> None:
        self.tests: dict[str, tuple[str, str, list[str]]] = {}

    def visit_test(self, test: robot_result.TestCase) -> None:
        self.tests[test.name] = (test.status, test.message, list(test.tags))


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> _Collect:
    out = tmp_path_factory.mktemp("robot")
    # The same options as `make smoke` (robot.args), with the output in a temp dir.
    rc = run_cli(
        [
            "--argumentfile",
            str(ROOT / "robot.args"),
            "--outputdir",
            str(out),
            "--console",
            "dotted",
            "--exclude",
            "load",  # test_load_suite_end_to_end.py
            "--exclude",
            "explore",  # generated scenarios: `make explore`, tests/explore
            str(ROOT / "suites"),
        ],
        exit=False,
    )
    collected = _Collect()
    ExecutionResult(str(out / "output.xml")).visit(collected)
    collected.rc = rc  # type: ignore[attr-defined]
    return collected


def test_every_suite_passes(suite_run: _Collect) -> None:
    failed = {n: msg for n, (st, msg, _) in suite_run.tests.items() if st == "FAIL"}
    assert not failed, "Robot tests failed:\n" + "\n".join(f"{n}: {m}" for n, m in failed.items())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_ran_and_passed(suite_run: _Collect, scenario: str) -> None:
    hits = [
        (n, st)
        for n, (st, _, tags) in suite_run.tests.items()
        if scenario in tags and "sidecar" not in tags
    ]
    assert hits, f"no test tagged {scenario} ran"
    assert all(st == "PASS" for _, st in hits), f"{scenario}: {hits}"


def test_only_sidecar_tests_may_skip(suite_run: _Collect) -> None:
    skipped = [n for n, (st, _, tags) in suite_run.tests.items() if st == "SKIP"]
    # sidecar tests need SIDECAR_DIR; network tests need the lab (tests/network runs them); a
    # `slow` test on the hub's own long timers skips where its short-timer twin runs the steps
    unexpected = [
        n
        for n in skipped
        if not {"sidecar", "network"} & set(suite_run.tests[n][2])
        and not is_twin_skip(*suite_run.tests[n][1:])
    ]
    assert not unexpected, f"tests skipped against the embedded hub: {unexpected}"
