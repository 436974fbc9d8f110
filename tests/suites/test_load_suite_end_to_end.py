"""Run the load and capacity suite end to end against the embedded hub, as `make load` does.

Its bars measure capacity, so `make test` runs it alone, after the parallel tests (marker
``exclusive``). The capacity sweep stops at 200 agents here: its 500-agent step proves
nothing LOAD-01 (500 agents, 10,000 tasks) does not, and costs about 25 s; `make load` runs
the whole sweep."""

from __future__ import annotations

from pathlib import Path

import pytest
from robot import run_cli
from robot.api import ExecutionResult
from test_suites_end_to_end import _Collect

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["LOAD-01", "LOAD-02"]
pytestmark = pytest.mark.exclusive


@pytest.fixture(scope="module")
def load_run(tmp_path_factory: pytest.TempPathFactory) -> _Collect:
    out = tmp_path_factory.mktemp("robot-load")
    run_cli(
        [
            *("--argumentfile", str(ROOT / "robot.args"), "--outputdir", str(out)),
            *("--console", "dotted", "--variable", "LOAD:yes"),
            *("--variable", "SWEEP_AGENTS:10, 50, 200"),
            *("--parse-include", str(ROOT / "suites" / "13_load_and_capacity.robot")),
            str(ROOT / "suites"),
        ],
        exit=False,
    )
    collected = _Collect()
    ExecutionResult(str(out / "output.xml")).visit(collected)
    return collected


def test_every_load_test_passes(load_run: _Collect) -> None:
    assert load_run.tests, "the load suite ran no test"
    not_passed = {n: (st, msg) for n, (st, msg, _) in load_run.tests.items() if st != "PASS"}
    assert not not_passed, "Load tests did not pass:\n" + "\n".join(
        f"{n}: {st} {m}" for n, (st, m) in not_passed.items()
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_load_scenario_ran_and_passed(load_run: _Collect, scenario: str) -> None:
    hits = [(n, st) for n, (st, _, tags) in load_run.tests.items() if scenario in tags]
    assert hits, f"no test tagged {scenario} ran"
    assert all(st == "PASS" for _, st in hits), f"{scenario}: {hits}"
