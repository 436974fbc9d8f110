"""Wall time of the five seed scenarios, side by side with the original ExUnit smoke suite.

The seed scenarios are the ones the original AgentCom smoke tests had: TEST-01 (basic
pipeline), TEST-02 and TEST-02b (failure recovery), TEST-03 and TEST-03b (scale and
distribution). This script runs them with `robot` in two ways:

- ``hub started``: as a user runs them, the run starts its embedded hub itself (one hub that
  the three suite files share, opened by ``suites/__init__.robot``);
- ``hub running``: against an embedded hub that is already up (``--variable HUB_URL``),
  so that only the suite's own work is timed.

Each way is run ``--rounds`` times; the table shows min / median / max of the wall time of
the whole `robot` process and the ratio of the median to the reference figure of the
original suite. The original suite (ExUnit, inside the hub's own BEAM VM, VM start
included) needs Elixir, which this machine does not have, so its figure is a documented
reference measured on this project's 2-core machine: 3.2 s for its 5 tests when they pass.

Usage:
    .venv/bin/python benchmarks/seed_scenarios.py [--rounds 5] [--reference 3.2]

It measures, it does not gate: the exit code is non-zero only when a run fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from AgentComLibrary.util.process import ManagedProcess

ROOT = Path(__file__).resolve().parents[1]
SUITES = [
    "suites/01_basic_pipeline.robot",
    "suites/02_failure_recovery.robot",
    "suites/03_scale_distribution.robot",
]
SEED_TAGS = ["TEST-01", "TEST-02", "TEST-02b", "TEST-03", "TEST-03b"]
REFERENCE_S = 3.2  # the original ExUnit smoke suite, 5 tests, VM start included


def robot_command(outdir: Path, variables: Sequence[str] = ()) -> list[str]:
    """The `robot` command that runs exactly the seed scenarios."""
    cmd = [sys.executable, "-m", "robot", "--argumentfile", str(ROOT / "robot.args")]
    cmd += ["--outputdir", str(outdir), "--output", "output.xml", "--log", "NONE"]
    cmd += ["--report", "NONE", "--console", "dotted"]
    for tag in SEED_TAGS:
        cmd += ["--include", tag]
    for variable in variables:
        cmd += ["--variable", variable]
    for suite in SUITES:  # through the directory, so suites/__init__.robot's teardown runs
        cmd += ["--parse-include", str(ROOT / suite)]
    return [*cmd, str(ROOT / "suites")]


def timed_run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Run ``cmd`` and return its wall time; raise when robot reports a failure or a
    warning (a test that skipped its contract checks, for one)."""
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0 or "[ WARN ]" in done.stdout:
        raise RuntimeError(
            f"robot exited with {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return elapsed


def start_hub(workdir: Path) -> tuple[ManagedProcess, dict]:
    """An embedded hub started once, for the ``hub running`` rounds: (process, ready info)."""
    command = [
        sys.executable, "-m", "agentcom_hub", "--port", "0",
        "--data-dir", str(workdir / "data"), "--ready-file", str(workdir / "ready.json"),
        "--parent-pid", str(os.getpid()),
    ]  # fmt: skip
    hub = ManagedProcess(
        "seed-bench hub", command, log_path=workdir / "hub.log", ready_file=workdir / "ready.json"
    )
    return hub, hub.start(timeout=30) or {}


def spread(times: list[float]) -> str:
    return f"{min(times):5.2f}  {statistics.median(times):6.2f}  {max(times):5.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reference", type=float, default=REFERENCE_S)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rows: dict[str, list[float]] = {"hub started": [], "hub running": []}
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        work = Path(tmp)
        for n in range(args.rounds):
            rows["hub started"].append(timed_run(robot_command(work / f"started-{n}")))
        hub, ready = start_hub(work)
        try:
            env = dict(os.environ, AGENTCOM_TOKEN=ready["token"])
            for n in range(args.rounds):
                cmd = robot_command(work / f"running-{n}", [f"HUB_URL:{ready['url']}"])
                rows["hub running"].append(timed_run(cmd, env))
        finally:
            hub.close()
    load_after = os.getloadavg()
    print(f"seed scenarios ({', '.join(SEED_TAGS)}), {args.rounds} rounds each, "
          f"{os.cpu_count()} cores, load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after")  # fmt: skip
    print(f"{'run':<36}  {'min':>5}  {'median':>6}  {'max':>5}  vs original")
    print(
        f"{'original ExUnit suite (reference)':<36}  {'':>5}  {args.reference:6.2f}  {'':>5}  1.00"
    )
    for name, times in rows.items():
        ratio = statistics.median(times) / args.reference
        print(f"{'robot, ' + name:<36}  {spread(times)}  {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
