"""Prove the suites catch every known defect: run them against the correct hub and once per fault.

Usage: python tools/fault_matrix.py [--faults a,b] [--jobs N] [--outputdir DIR] [--include-slow]
                                    [--repeat N] [--until-caught]

Every suite file runs as its own `robot` process, once against the correct embedded hub and
once per fault (`--variable HUB_FAULTS:<fault>`), N processes at a time; tests tagged `sidecar`
and `load` are left out, and `slow` ones unless --include-slow.

With --until-caught (what `make test` runs) each hub gets one `robot` process over all the
suites instead, and a fault's run skips its remaining tests once a test has caught it (by its
own rule, when it has one: tools/stop_when_caught.py). The verdicts are the same; the table
then lists the test that caught each fault rather than every test that would have failed, and
the correct hub still runs every test. The correct hub must pass every test; each fault must
make at least one test fail, and each fault with its own contract rule (declared beside the
fault in agentcom_hub/faults.toml) must be caught by that rule (failure messages name it:
"Contract rule '<name>' broken: ..."). The tool prints a table (fault, tests that failed,
contract rules that caught it, first failure message), writes it to DIR/fault-matrix.md and
DIR/<fault>/log.html, and exits 1 when the baseline is not green, a fault went unnoticed or
unnamed by its rule, or (with --repeat) two repetitions disagree on which tests failed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from agentcom_hub.faults import Fault
from robot.api import ExecutionResult, ResultVisitor
from robot.result import TestCase
from stop_when_caught import SETUP_ERROR, rules_named

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "none"
MESSAGE_WIDTH = 110
WRAPPERS = ("Teardown failed:", "Also teardown failed:", "Setup failed:")
# The contract-checker rule each fault breaks, where it has one (declared beside the fault in
# agentcom_hub/faults.toml): a failure must name it.
OWN_RULE = {f.value: f.rule for f in Fault if f.rule}


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

    @property
    def rules(self) -> dict[str, list[str]]:
        """Contract rule -> tests whose failure message names it."""
        found: dict[str, list[str]] = {}
        for test, message in sorted(self.failed.items()):
            for rule in rules_named(message):
                found.setdefault(rule, []).append(test)
        return found

    @property
    def named_by_own_rule(self) -> bool:
        """True unless the fault has an own rule that no failure named."""
        own = OWN_RULE.get(self.fault)
        return own is None or own in self.rules


class _Collector(ResultVisitor):
    def __init__(self, outcome: RunOutcome) -> None:
        self.outcome = outcome

    def visit_test(self, test: TestCase) -> None:
        if SETUP_ERROR in test.message:  # the run never tested the hub: not a catch
            self.outcome.error = self.outcome.error or f"{test.name}: {test.message}"
        elif test.status == "PASS":
            self.outcome.passed.append(test.name)
        elif test.status == "FAIL":
            self.outcome.failed[test.name] = test.message
        else:
            self.outcome.skipped.append(test.name)


def known_faults() -> list[str]:
    """The hub's fault names, in the order `agentcom-hub --list-faults` prints them."""
    return [fault.value for fault in Fault]


def suite_files() -> list[Path]:
    """The suite files, in the order `robot suites` runs them."""
    return sorted((ROOT / "suites").glob("*.robot"))


def run_suite(
    fault: str, suite: Path | None, outdir: Path, include_slow: bool, until_caught: bool = False
) -> Path | str:
    """Run one suite file (None: every suite) against the embedded hub started with `fault`
    (or none); with `until_caught`, a fault's run stops testing once the fault is caught.

    Returns the output.xml path, or an error text when robot produced none."""
    output = outdir / fault / f"{suite.stem if suite else 'all-suites'}.xml"
    command = [
        sys.executable,
        "-m",
        "robot",
        "--argumentfile",
        str(ROOT / "robot.args"),
        "--output",
        str(output),
        "--log",
        "NONE",
        "--report",
        "NONE",
        "--exclude",
        "load",  # measures capacity; under a fault it would only wait out its timeouts
        "--runemptysuite",
        "--console",
        "none",
    ]
    if not include_slow:
        command += ["--exclude", "slow"]
    command += ["--exclude", "sidecar", "--exclude", "explore"]  # explore: its own tool
    if fault != BASELINE:
        command += ["--variable", f"HUB_FAULTS:{fault}"]
        if until_caught:
            listener = ROOT / "tools" / "stop_when_caught.py"
            command += ["--listener", f"{listener}:{fault}"]
    if suite is not None:
        # the directory, narrowed to one file: suites/__init__.robot (the tests' set-up and
        # teardown) applies as in `make smoke`
        command += ["--parse-include", str(suite)]
    command += [str(ROOT / "suites")]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    name = suite.name if suite else "suites"
    if not output.exists():
        return f"{name}: robot produced no output (exit {proc.returncode}): {proc.stderr[-400:]}"
    return output


def merge_run(fault: str, outputs: list[Path | str], outdir: Path, seconds: float) -> RunOutcome:
    """Collect the per-suite results of one fault and write its combined log.html."""
    outcome = RunOutcome(fault=fault, seconds=seconds)
    xmls = [str(o) for o in outputs if isinstance(o, Path)]
    outcome.error = "; ".join(o for o in outputs if isinstance(o, str))
    for xml in xmls:
        ExecutionResult(xml).visit(_Collector(outcome))
    if xmls:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "robot.rebot",
                "--name",
                f"Fault {fault}",
                "--outputdir",
                str(outdir / fault),
                "--output",
                "output.xml",
                "--prerebotmodifier",
                "AgentComLibrary.report.summary_first.SummaryFirst",
                "--nostatusrc",
                *xmls,
            ],
            capture_output=True,
            cwd=ROOT,
            check=False,
        )
    return outcome


TASK_ID = re.compile(r"task-[0-9a-f]{16}")
RUN_ID = re.compile(r"smoke-[0-9a-f]{8}")


def normalise(message: str) -> str:
    """A failure message without the ids that differ from run to run."""
    return RUN_ID.sub("smoke-<run>", TASK_ID.sub("task-<id>", message))


def one_line(text: str, width: int = MESSAGE_WIDTH) -> str:
    """First line of a failure message, shortened for a table cell."""
    text = normalise(text)
    lines = [line for line in text.strip().splitlines() if line.strip() not in WRAPPERS]
    first = " ".join(lines[0].split()) if lines else ""
    first = first.replace("|", "/")
    return first if len(first) <= width else first[: width - 3] + "..."


def render_table(outcomes: list[RunOutcome]) -> str:
    """Markdown table: fault, verdict, tests that failed, contract rules that caught it
    (with how many tests), first failure message."""
    lines = [
        "| fault | verdict | tests that failed | contract rules | first failure message |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        if o.error:
            verdict, names, first = "ERROR", "-", one_line(o.error)
        elif o.fault == BASELINE:
            verdict = "green" if not o.failed else "RED"
            names = "; ".join(sorted(o.failed)) or f"none ({len(o.passed)} passed)"
            first = one_line(next(iter(o.failed.values()), ""))
        else:
            verdict = "caught" if o.caught else "MISSED"
            if o.caught and not o.named_by_own_rule:
                verdict = f"NOT NAMED by {OWN_RULE[o.fault]}"
            names = "; ".join(sorted(o.failed)) or "none"
            first = one_line(o.failed[sorted(o.failed)[0]]) if o.failed else ""
        rules = (
            ", ".join(
                f"`{r}` ({len(t)})" if r != OWN_RULE.get(o.fault) else f"**`{r}`** ({len(t)})"
                for r, t in sorted(o.rules.items())
            )
            or "-"
        )
        lines.append(f"| {o.fault} | {verdict} | {names} | {rules} | {first} |")
    return "\n".join(lines)


def run_matrix(
    runs: list[str], outdir: Path, jobs: int, include_slow: bool, until_caught: bool = False
) -> list[RunOutcome]:
    """Every suite file against every hub variant, `jobs` robot processes at a time (with
    `until_caught`, one process per hub over every suite, stopping once it is caught)."""
    suites: list[Path | None] = [None] if until_caught else list(suite_files())
    for run in runs:
        (outdir / run).mkdir(parents=True, exist_ok=True)
    started = {run: time.monotonic() for run in runs}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {
            run: [
                pool.submit(run_suite, run, suite, outdir, include_slow, until_caught)
                for suite in suites
            ]
            for run in runs
        }
        outcomes = []
        for run in runs:
            outputs = [future.result() for future in futures[run]]
            outcome = merge_run(run, outputs, outdir, time.monotonic() - started[run])
            state = "error" if outcome.error else f"{len(outcome.failed)} failed"
            print(f"  {run:<26} {state:<10} done after {outcome.seconds:6.1f} s", flush=True)
            outcomes.append(outcome)
    return outcomes


def signature(outcomes: list[RunOutcome]) -> list[tuple[str, tuple[str, ...]]]:
    """What must be the same in every repetition: which tests failed under which hub."""
    return [(o.fault, tuple(sorted(o.failed))) for o in outcomes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", help="comma-separated subset of faults (default: all)")
    parser.add_argument("--jobs", type=int, default=4, help="robot processes at once (default 4)")
    parser.add_argument("--outputdir", default=str(ROOT / "results" / "fault-matrix"))
    parser.add_argument("--include-slow", action="store_true", help="also run tests tagged slow")
    parser.add_argument("--repeat", type=int, default=1, help="run the matrix N times")
    parser.add_argument(
        "--until-caught",
        action="store_true",
        help="one robot process per hub; skip a fault's remaining tests once it is caught",
    )
    args = parser.parse_args(argv)

    faults = args.faults.split(",") if args.faults else known_faults()
    runs = [BASELINE, *faults]
    base_outdir = Path(args.outputdir).resolve()
    print(
        f"Fault matrix: {len(suite_files())} suite files x {len(runs)} hubs "
        f"({', '.join(runs)}), {args.jobs} robot processes at a time"
    )
    signatures = []
    ok = True
    for repetition in range(1, args.repeat + 1):
        outdir = base_outdir if args.repeat == 1 else base_outdir / f"run-{repetition}"
        if args.repeat > 1:
            print(f"Repetition {repetition} of {args.repeat}")
        started = time.monotonic()
        ordered = run_matrix(runs, outdir, args.jobs, args.include_slow, args.until_caught)
        table = render_table(ordered)
        (outdir / "fault-matrix.md").write_text(table + "\n", encoding="utf-8")
        print()
        print(table)
        print(f"\nWall time {time.monotonic() - started:.0f} s. Logs: {outdir}/<fault>/log.html")
        baseline_ok = not ordered[0].failed and not ordered[0].error
        missed = [o.fault for o in ordered[1:] if not o.caught or o.error]
        unnamed = [o.fault for o in ordered[1:] if o.caught and not o.named_by_own_rule]
        if not baseline_ok:
            print("FAIL: the correct hub did not pass every test.")
        if missed:
            print(f"FAIL: not caught by any test: {', '.join(missed)}")
        if unnamed:
            print(
                "FAIL: not named by their own contract rule: "
                + ", ".join(f"{f} ({OWN_RULE[f]})" for f in unnamed)
            )
        ok = ok and baseline_ok and not missed and not unnamed
        signatures.append(signature(ordered))
    if args.repeat > 1:
        same = all(sig == signatures[0] for sig in signatures)
        print(
            f"\n{args.repeat} repetitions: "
            + ("the same tests failed under each hub every time." if same else "RESULTS DIFFER:")
        )
        if not same:
            for number, sig in enumerate(signatures, 1):
                print(f"  run {number}: " + "; ".join(f"{f}: {len(t)}" for f, t in sig))
        ok = ok and same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
