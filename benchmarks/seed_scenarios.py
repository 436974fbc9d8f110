"""Wall time of the five seed scenarios, side by side with the original ExUnit smoke suite.

The seed scenarios are the ones the original AgentCom smoke tests had: TEST-01 (basic
pipeline), TEST-02 and TEST-02b (failure recovery), TEST-03 and TEST-03b (scale and
distribution). This script runs them with `robot` in two ways:

- ``hub started``: as a user runs them, the run starts its embedded hub itself (one hub that
  the three suite files share, opened by ``suites/__init__.robot``);
- ``hub running``: against an embedded hub that is already up (``--variable HUB_URL``),
  so that only the suite's own work is timed.

Each way is run ``--rounds`` times; the table shows min / median / max of the wall time of
the whole `robot` process. To compare with the original ExUnit smoke suite (inside the
hub's own BEAM VM, VM start included), either give the command that runs it,
``--original "<command>"``, which then runs in turn with the robot rounds (original,
hub started, hub running, ...) so that both see the same machine, or give its time in
seconds measured elsewhere, ``--reference``. The ratio is this suite's median over the
original's median; with neither, no ratio is printed. The original suite fails now and then
on the real hub's own defects (then it waits out a 60 s timeout): only its passing rounds
count, and the failing ones are listed.

Usage:
    .venv/bin/python benchmarks/seed_scenarios.py [--rounds 5]
        [--original "<command that runs the ExUnit suite>" | --reference SECONDS]

It measures, it does not gate: the exit code is non-zero only when a robot run fails or no
round of the original passed.
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

from agentcom_hub.command import hub_command
from AgentComLibrary.util.child_process import ManagedProcess

ROOT = Path(__file__).resolve().parents[1]
SUITES = [
    "suites/01_basic_pipeline.robot",
    "suites/02_failure_recovery.robot",
    "suites/03_scale_distribution.robot",
]
SEED_TAGS = ["TEST-01", "TEST-02", "TEST-02b", "TEST-03", "TEST-03b"]


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


def timed_original(command: str) -> tuple[float, int]:
    """Run the original suite's shell ``command``: (wall time, exit code)."""
    started = time.monotonic()
    done = subprocess.run(command, shell=True, capture_output=True, text=True)
    return time.monotonic() - started, done.returncode


def start_hub(workdir: Path) -> tuple[ManagedProcess, dict]:
    """An embedded hub started once, for the ``hub running`` rounds: (process, ready info)."""
    command = hub_command(workdir / "data", ready_file=workdir / "ready.json")
    hub = ManagedProcess(
        "seed-bench hub", command, log_path=workdir / "hub.log", ready_file=workdir / "ready.json"
    )
    return hub, hub.start(timeout=30) or {}


def spread(times: list[float]) -> str:
    return f"{min(times):5.2f}  {statistics.median(times):6.2f}  {max(times):5.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    compare = parser.add_mutually_exclusive_group()
    compare.add_argument("--original", metavar="COMMAND", help="runs the original suite")
    compare.add_argument("--reference", type=float, metavar="SECONDS", help="its time")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rows: dict[str, list[float]] = {"hub started": [], "hub running": []}
    original: list[float] = []
    original_failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        work = Path(tmp)
        hub, ready = start_hub(work)
        try:
            env = dict(os.environ, AGENTCOM_TOKEN=ready["token"])
            for n in range(args.rounds):
                if args.original:
                    seconds, code = timed_original(args.original)
                    if code == 0:
                        original.append(seconds)
                    else:
                        original_failed.append(f"round {n + 1}: exit {code} after {seconds:.1f} s")
                rows["hub started"].append(timed_run(robot_command(work / f"started-{n}")))
                cmd = robot_command(work / f"running-{n}", [f"HUB_URL:{ready['url']}"])
                rows["hub running"].append(timed_run(cmd, env))
        finally:
            hub.close()
    load_after = os.getloadavg()
    print(f"seed scenarios ({', '.join(SEED_TAGS)}), {args.rounds} rounds each, "
          f"{os.cpu_count()} cores, load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after")  # fmt: skip
    print(f"{'run':<36}  {'min':>5}  {'median':>6}  {'max':>5}  vs original")
    reference = args.reference
    if args.original:
        label = f"original suite ({len(original)} of {args.rounds} passed)"
        if original:
            reference = statistics.median(original)
            print(f"{label:<36}  {spread(original)}  1.00")
        else:
            print(f"{label:<36}  no passing round")
        for failure in original_failed:
            print(f"  original suite failed, not counted: {failure}")
    elif reference is not None:
        print(f"{'original suite (--reference)':<36}  {'':>5}  {reference:6.2f}  {'':>5}  1.00")
    for name, times in rows.items():
        ratio = f"{statistics.median(times) / reference:.2f}" if reference else "-"
        print(f"{'robot, ' + name:<36}  {spread(times)}  {ratio}")
    return 1 if args.original and not original else 0


if __name__ == "__main__":
    sys.exit(main())
