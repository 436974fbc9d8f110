"""Peak memory of one robot process driving many simulated agents, measured by the kernel.

For each agent count, runs the load test of ``suites/13_load_and_capacity.robot`` (LOAD-01:
that many instant agents, ``--tasks`` tasks, every check, the contract checker) as its own
``robot`` process under ``/usr/bin/time -v`` and prints the maximum resident set size, the
wall time and whether it passed. The agents are thread-per-agent (``agents/simulated.py``:
a websocket-client connection with a reader and a ping thread each). ``/usr/bin/time``
reports the largest of the robot process and the hub it started (its child); the robot
process is the larger one (the hub alone stays under 100 MB at 10,000 tasks).

Usage:
    .venv/bin/python benchmarks/agents_memory.py [--agents 500,1000,2000] [--tasks 10000]

Needs GNU time (`apt-get install time`). It measures, it does not gate: the exit code is 0
whether the 500 MB target is met or not (non-zero only when a run itself breaks).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"
TARGET_MB = 500


def run(agents: int, tasks: int, outdir: Path) -> tuple[float, str, int]:
    """(peak MB, wall time, robot's exit code) of one run."""
    command = [
        TIME, "-v", sys.executable, "-m", "robot",
        "--argumentfile", str(ROOT / "robot.args"),
        "--outputdir", str(outdir / str(agents)),
        "--console", "none",
        "--variable", f"LOAD_AGENTS:{agents}",
        "--variable", f"LOAD_TASKS:{tasks}",
        "--include", "LOAD-01",
        "--parse-include", str(ROOT / "suites" / "13_load_and_capacity.robot"),
        str(ROOT / "suites"),
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr)
    if not peak or not wall:
        raise SystemExit(f"{TIME} gave no figures:\n{proc.stderr[-2000:]}")
    return int(peak.group(1)) / 1024, wall.group(1), proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default="500,1000,2000")
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--outputdir", type=Path, default=None)
    args = parser.parse_args()
    if not Path(TIME).exists():
        print(f"{TIME} is missing: install GNU time (apt-get install time)")
        return 2
    outdir = args.outputdir or Path(tempfile.mkdtemp(prefix="agents-memory-"))
    print(f"{'agents':>6}  {'tasks':>6}  {'peak RSS':>9}  {'wall':>8}  result")
    broken = 0
    for agents in (int(a) for a in args.agents.split(",")):
        peak, wall, code = run(agents, args.tasks, outdir)
        verdict = "pass" if code == 0 else f"FAIL (robot exit {code})"
        target = "" if peak < TARGET_MB else f"  over the {TARGET_MB} MB target"
        print(f"{agents:>6}  {args.tasks:>6}  {peak:>6.0f} MB  {wall:>8}  {verdict}{target}")
        broken += code != 0
    if args.outputdir is None:
        shutil.rmtree(outdir, ignore_errors=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
