"""The fault matrix: the correct hub passes every suite and each fault turns a test red.

It runs in its quick mode (--until-caught): one robot process per hub, and a fault's run
stops once a test has caught it; `make fault-matrix` runs the full table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentcom_hub.faults import Fault

ROOT = Path(__file__).resolve().parents[2]


def test_every_fault_is_caught_and_the_correct_hub_is_green(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "fault_matrix.py"),
            *("--until-caught", "--jobs", "8", "--outputdir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"fault matrix failed:\n{report}"
    table = (tmp_path / "fault-matrix.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in table.splitlines()[2:]}
    assert "| green |" in rows["none"], table
    for fault in (f.value for f in Fault):
        assert fault in rows, f"{fault} missing from the matrix:\n{table}"
        assert "| caught |" in rows[fault], f"{fault} was not caught:\n{table}"
    for fault, rule in ((f.value, f.rule) for f in Fault if f.rule):
        assert f"**`{rule}`**" in rows[fault], f"{fault} was not named by {rule}:\n{table}"
