"""benchmarks/seed_scenarios.py: the ratio is against the original suite's passing rounds
(run in turn with the robot rounds) or a figure the user gives, never a built-in one."""

from __future__ import annotations

import re

import pytest
import seed_scenarios


def test_the_original_is_run_in_turn_and_only_its_passing_rounds_count(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    flip = tmp_path / "flip"
    # passes the first time, fails the second (as the real hub's defects make it do)
    original = f"test -e {flip} && exit 3 || touch {flip}"
    assert seed_scenarios.main(["--rounds", "2", "--original", original]) == 0
    out = capsys.readouterr().out
    assert "original suite (1 of 2 passed)" in out
    assert "original suite failed, not counted: round 2: exit 3 after" in out
    started = re.search(r"robot, hub started\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)", out)
    assert started and float(started.group(1)) > 1, out  # robot takes longer than `touch`


def test_no_original_no_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert seed_scenarios.main(["--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "original" not in out.split("\n", 2)[2]
    assert re.search(r"robot, hub started .* -$", out, re.MULTILINE), out


def test_a_given_reference_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    # so large a figure that any robot run, however slow the machine, is 0.00 of it
    assert seed_scenarios.main(["--rounds", "1", "--reference", "1000000"]) == 0
    out = capsys.readouterr().out
    assert "original suite (--reference)" in out and "1000000.00" in out
    assert re.search(r"robot, hub running .* 0\.00$", out, re.MULTILINE), out


def test_an_original_that_never_passes_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert seed_scenarios.main(["--rounds", "1", "--original", "exit 1"]) == 1
    assert "no passing round" in capsys.readouterr().out
