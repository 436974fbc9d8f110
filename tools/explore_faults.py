"""Prove the explorer finds the embedded hub's faults without being told which one is on.

Usage: python tools/explore_faults.py [--faults a,b] [--seed N] [--duration 60s]
                                      [--max-operations N] [--outputdir DIR]

For every fault of ``agentcom_hub.faults.Fault`` (or the ones named), one after another:
runs suites/15_explore.robot against the embedded hub started with that fault (the
explorer only sees a hub), records whether it found a failure and what, then runs the
reproduction it wrote against the same faulty hub (it must fail the same way) and against
the correct hub (it must pass). Prints a table and writes it to DIR/explore-faults.md;
exits 1 when a reproduction does not behave (a fault the explorer did not find is reported,
not an error: fairness, say, is no rule of the contract checker).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from agentcom_hub.faults import Fault
from AgentComLibrary.explore.findings import CONTRACT, KEYWORD, LEDGER, Finding
from robot.api import ExecutionResult, ResultVisitor

ROOT = Path(__file__).resolve().parents[1]

FOUND = re.compile(r"Explore Scenarios found: (.*?) \(seed .*?Reproduction: (\S+)", re.S)
SHRUNK = re.compile(r"shrunk from (\d+) to (\d+) operation")


@dataclass
class Row:
    fault: str
    found: str = "-"
    operations: str = "-"
    seconds: float = 0.0
    on_faulty: str = "-"
    on_correct: str = "-"
    repro: str = ""

    @property
    def ok(self) -> bool:
        """A reproduction, if any, fails the same way on the faulty hub and passes on the
        correct one."""
        return not self.repro or (
            self.on_faulty == "fails the same way" and self.on_correct == "passes"
        )


def finding_of(text: str) -> Finding:
    """The finding as the keyword's failure message names it (see Finding.__str__)."""
    if match := re.fullmatch(r"contract rule '(.+)' broken", text):
        return Finding(CONTRACT, match.group(1))
    if text.startswith("task ledger: "):
        return Finding(LEDGER, text.removeprefix("task ledger: "))
    return Finding(KEYWORD, text.removeprefix("keyword failed: "))


def robot(args: list[str], output: Path) -> tuple[str, str]:
    """Run robot; the status and message of its only test."""
    command = [
        sys.executable, "-m", "robot", "--argumentfile", str(ROOT / "robot.args"),
        "--output", str(output), "--log", str(output.with_suffix(".html")), "--report", "NONE",
        "--console", "none", *args,
    ]  # fmt: skip
    subprocess.run(["nice", "-n", "5", *command], cwd=ROOT, capture_output=True, text=True)
    if not output.exists():
        return "ERROR", "robot wrote no output"
    tests = []
    ExecutionResult(str(output)).suite.visit(_Tests(tests))
    return tests[0] if tests else ("ERROR", "no test ran")


class _Tests(ResultVisitor):
    def __init__(self, into: list) -> None:
        self.into = into

    def visit_test(self, test) -> None:
        self.into.append((test.status, test.message))


def explore(fault: str, args: argparse.Namespace, out: Path) -> Row:
    row = Row(fault)
    started = time.monotonic()
    status, message = robot(
        [
            "--outputdir", str(out / fault), "--variable", f"HUB_FAULTS:{fault}",
            "--variable", "EXPLORE:yes", "--variable", f"EXPLORE_SEED:{args.seed}",
            "--variable", f"EXPLORE_DURATION:{args.duration}",
            "--variable", f"EXPLORE_OPERATIONS:{args.max_operations}",
            "--parse-include", str(ROOT / "suites" / "15_explore.robot"), str(ROOT / "suites"),
        ],
        out / fault / "explore.xml",
    )  # fmt: skip
    row.seconds = time.monotonic() - started
    match = FOUND.search(message)
    if status != "FAIL" or not match:
        row.found = "nothing" if status == "PASS" else f"{status}: {message[:80]}"
        return row
    finding, row.repro = finding_of(match.group(1)), match.group(2)
    row.found = str(finding)
    if shrunk := SHRUNK.search(message):
        row.operations = f"{shrunk.group(1)} -> {shrunk.group(2)}"
    for hub, faults in (("faulty", fault), ("correct", "")):
        status, message = robot(
            ["--pythonpath", str(ROOT), "--variable", f"HUB_FAULTS:{faults}", row.repro],
            out / fault / f"repro-{hub}.xml",
        )
        if hub == "faulty":
            same = status == "FAIL" and finding.matches(message)
            row.on_faulty = "fails the same way" if same else f"{status}: {message[:60]!r}"
        else:
            row.on_correct = "passes" if status == "PASS" else f"{status}: {message[:60]!r}"
    return row


def table(rows: list[Row], args: argparse.Namespace) -> str:
    lines = [
        f"Explorer against each embedded-hub fault: seed {args.seed}, {args.duration} to find "
        f"(as long again to shrink), up to {args.max_operations} operations per scenario.",
        "",
        "| fault | found | operations (first -> shrunk) | seconds | repro, faulty hub | "
        "repro, correct hub |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r.fault}` | {r.found} | {r.operations} | {r.seconds:.0f} | {r.on_faulty} | "
        f"{r.on_correct} |"
        for r in rows
    ]
    found = sum(1 for r in rows if r.repro)
    good = sum(1 for r in rows if r.repro and r.ok)
    lines += ["", f"Found {found} of {len(rows)} faults; {good} reproductions behave."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", default="", help="comma-separated; default: every fault")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--max-operations", type=int, default=12)
    parser.add_argument("--outputdir", default=str(ROOT / "results" / "explore-faults"))
    args = parser.parse_args()
    faults = [f.strip() for f in args.faults.split(",") if f.strip()] or [f.value for f in Fault]
    out = Path(args.outputdir).resolve()
    rows = []
    for fault in faults:
        row = explore(fault, args, out)
        print(f"{fault}: {row.found} ({row.seconds:.0f} s); {row.on_faulty}; {row.on_correct}")
        rows.append(row)
    text = table(rows, args)
    out.mkdir(parents=True, exist_ok=True)
    (out / "explore-faults.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
