"""Prove the suites catch every known defect: run them against the correct hub and once per fault.

Usage: python tools/fault_matrix.py [--faults a,b] [--jobs N] [--outputdir DIR] [--include-slow]

Each run is a separate `robot` process over `suites/` with `--variable HUB_FAULTS:<fault>`
(tests tagged `sidecar` are left out, and `slow` ones unless --include-slow). The correct hub
must pass every test; each fault must make at least one test fail. The tool prints a table
(fault, tests that failed, first failure message), writes it to DIR/fault-matrix.md and exits
1 when the baseline is not green or a fault went unnoticed. Logs of every run stay in DIR/<run>/.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor
from robot.result import TestCase

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "none"
MESSAGE_WIDTH = 110


@dataclass
class RunOutcome:
    """What one robot run against one hub variant showed."""

    fault: str
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    @property
    def caught(self) -> bool:
        return bool(self.failed)


class _Collector(ResultVisitor):
    def __init__(self, outcome: RunOutcome) -> None:
        self.outcome = outcome

    def visit_test(self, test: TestCase) -> None:
        if test.status == "PASS":
            self.outcome.passed.append(test.name)
        elif test.status == "FAIL":
            self.outcome.failed[test.name] = test.message
        else:
            self.outcome.skipped.append(test.name)


def known_faults() -> list[str]:
    """The hub's fault names, as `agentcom-hub --list-faults` prints them."""
    listing = subprocess.run(
        [sys.executable, "-m", "agentcom_hub", "--list-faults"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split()[0] for line in listing.splitlines() if line.strip()]


def run_suites(fault: str, outdir: Path, include_slow: bool) -> RunOutcome:
    """Run every suite against the embedded hub started with `fault` (or none)."""
    run_dir = outdir / fault
    command = [
        sys.executable,
        "-m",
        "robot",
        "--argumentfile",
        str(ROOT / "robot.args"),
        "--outputdir",
        str(run_dir),
        "--name",
        f"Fault {fault}",
        "--exclude",
        "sidecar",
        "--console",
        "none",
    ]
    if not include_slow:
        command += ["--exclude", "slow"]
    if fault != BASELINE:
        command += ["--variable", f"HUB_FAULTS:{fault}"]
    command.append(str(ROOT / "suites"))
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    outcome = RunOutcome(fault=fault, seconds=time.monotonic() - started)
    output = run_dir / "output.xml"
    if not output.exists():
        tail = proc.stderr[-500:]
        outcome.error = f"robot produced no output.xml (exit {proc.returncode}): {tail}"
        return outcome
    ExecutionResult(str(output)).visit(_Collector(outcome))
    return outcome


def one_line(text: str, width: int = MESSAGE_WIDTH) -> str:
    """First line of a failure message, shortened for a table cell."""
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    first = first.replace("|", "/")
    return first if len(first) <= width else first[: width - 3] + "..."


def render_table(outcomes: list[RunOutcome]) -> str:
    """Markdown table: fault, verdict, tests that failed, first failure message."""
    lines = [
        "| fault | verdict | tests that failed | first failure message |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        if o.error:
            verdict, names, first = "ERROR", "-", one_line(o.error)
        elif o.fault == BASELINE:
            verdict = "green" if not o.failed else "RED"
            names = ", ".join(sorted(o.failed)) or f"none ({len(o.passed)} passed)"
            first = one_line(next(iter(o.failed.values()), ""))
        else:
            verdict = "caught" if o.caught else "MISSED"
            names = ", ".join(sorted(o.failed)) or "none"
            first = one_line(o.failed[sorted(o.failed)[0]]) if o.failed else ""
        lines.append(f"| {o.fault} | {verdict} | {names} | {first} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", help="comma-separated subset of faults (default: all)")
    parser.add_argument("--jobs", type=int, default=3, help="robot runs at once (default 3)")
    parser.add_argument("--outputdir", default=str(ROOT / "results" / "fault-matrix"))
    parser.add_argument("--include-slow", action="store_true", help="also run tests tagged slow")
    args = parser.parse_args(argv)

    faults = args.faults.split(",") if args.faults else known_faults()
    runs = [BASELINE, *faults]
    outdir = Path(args.outputdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    print(f"Fault matrix: {len(runs)} runs ({', '.join(runs)}), {args.jobs} at a time")
    started = time.monotonic()
    outcomes: dict[str, RunOutcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_suites, f, outdir, args.include_slow): f for f in runs}
        for future in futures:
            outcome = future.result()
            outcomes[outcome.fault] = outcome
            state = "error" if outcome.error else f"{len(outcome.failed)} failed"
            print(f"  {outcome.fault:<26} {state:<10} {outcome.seconds:6.1f} s", flush=True)
    ordered = [outcomes[r] for r in runs]
    table = render_table(ordered)
    total = time.monotonic() - started
    (outdir / "fault-matrix.md").write_text(table + "\n", encoding="utf-8")
    print()
    print(table)
    print(f"\nWall time {total:.0f} s. Logs: {outdir}/<fault>/log.html")
    baseline_ok = not ordered[0].failed and not ordered[0].error
    missed = [o.fault for o in ordered[1:] if not o.caught or o.error]
    if not baseline_ok:
        print("FAIL: the correct hub did not pass every test.")
    if missed:
        print(f"FAIL: not caught by any test: {', '.join(missed)}")
    return 0 if baseline_ok and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
