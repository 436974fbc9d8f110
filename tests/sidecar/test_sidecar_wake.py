"""The wake command: files it writes for each behaviour, run as the sidecar runs it."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from AgentComLibrary.agents import tokens
from AgentComLibrary.sidecars import wake
from AgentComLibrary.sidecars.wake import (
    BehaviourSetting,
    WakeBehaviour,
    parse_behaviour,
    wake_script,
)
from sidecar_helpers import wait_until


@pytest.fixture
def agent_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "agent"
    directory.mkdir()
    config = {"agent_id": "smoke-abc-w", "results_dir": "./results"}
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def run_cli(agent_dir: Path, task_id: str) -> subprocess.CompletedProcess:
    """Run the wake command as the sidecar does: a shell command line."""
    wake_cmd = shlex.join(wake_script())
    command = f"{wake_cmd} --agent-dir {agent_dir} --task-id {task_id}"
    return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)


def read_result(agent_dir: Path, task_id: str) -> dict:
    return json.loads((agent_dir / "results" / f"{task_id}.json").read_text())


def test_succeed_writes_started_then_success_result(agent_dir: Path) -> None:
    done = run_cli(agent_dir, "task-0001")
    assert done.returncode == 0, done.stderr
    assert (agent_dir / "results" / "task-0001.started").exists()
    result = read_result(agent_dir, "task-0001")
    assert result["status"] == "success"
    # a realistic count, so token checks can fail; the same as a simulated agent's
    assert result["tokens_used"] == tokens.realistic_tokens("task-0001")
    assert "smoke-abc-w" in result["output"]
    assert not list((agent_dir / "results").glob("*.tmp")), "temporary files left behind"


def test_fail_writes_failure_with_error(agent_dir: Path) -> None:
    wake.write_behaviour(agent_dir, BehaviourSetting(WakeBehaviour.FAIL))
    assert run_cli(agent_dir, "task-0002").returncode == 0
    result = read_result(agent_dir, "task-0002")
    assert result["status"] == "failure"
    assert "task-0002" in result["error"]


def test_hang_confirms_and_never_finishes(agent_dir: Path) -> None:
    wake.write_behaviour(agent_dir, BehaviourSetting(WakeBehaviour.HANG))
    assert run_cli(agent_dir, "task-0003").returncode == 0
    assert (agent_dir / "results" / "task-0003.started").exists()
    assert not (agent_dir / "results" / "task-0003.json").exists()


def test_delay_returns_at_once_and_finishes_later(agent_dir: Path) -> None:
    wake.write_behaviour(agent_dir, BehaviourSetting(WakeBehaviour.DELAY, delay=0.5))
    done = run_cli(agent_dir, "task-0004")
    assert done.returncode == 0
    assert (agent_dir / "results" / "task-0004.started").exists()
    result_file = agent_dir / "results" / "task-0004.json"
    wait_until(result_file.exists, 30, "the delayed result file")
    assert read_result(agent_dir, "task-0004")["status"] == "success"


def test_behaviour_is_read_at_each_run(agent_dir: Path) -> None:
    run_cli(agent_dir, "task-0005")
    wake.write_behaviour(agent_dir, BehaviourSetting(WakeBehaviour.FAIL))
    run_cli(agent_dir, "task-0006")
    assert read_result(agent_dir, "task-0005")["status"] == "success"
    assert read_result(agent_dir, "task-0006")["status"] == "failure"


def test_foreign_task_is_left_alone(agent_dir: Path) -> None:
    wake.write_behaviour(agent_dir, BehaviourSetting(smoke_run="mine"))
    active = {"task_id": "task-0007", "description": "x", "metadata": {"smoke_run": "other"}}
    (agent_dir / "queue.json").write_text(json.dumps({"active": active, "recovering": None}))
    assert run_cli(agent_dir, "task-0007").returncode == 0
    assert (agent_dir / "results" / "task-0007.started").exists()
    assert not (agent_dir / "results" / "task-0007.json").exists()
    foreign = (agent_dir / wake.FOREIGN_FILE).read_text().splitlines()
    assert json.loads(foreign[0])["task_id"] == "task-0007"


def test_own_task_is_run(agent_dir: Path) -> None:
    wake.write_behaviour(agent_dir, BehaviourSetting(smoke_run="mine"))
    active = {"task_id": "task-0008", "metadata": {"smoke_run": "mine"}}
    (agent_dir / "queue.json").write_text(json.dumps({"active": active, "recovering": None}))
    run_cli(agent_dir, "task-0008")
    assert read_result(agent_dir, "task-0008")["status"] == "success"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("succeed", WakeBehaviour.SUCCEED),
        ("Complete", WakeBehaviour.SUCCEED),
        ("hold", WakeBehaviour.HANG),
        ("SLOW", WakeBehaviour.DELAY),
        ("fail", WakeBehaviour.FAIL),
    ],
)
def test_parse_behaviour_accepts_simulated_agent_names(given: str, expected: WakeBehaviour) -> None:
    assert parse_behaviour(given) is expected


@pytest.mark.parametrize("given", ["ignore", "omit generation", "bogus"])
def test_parse_behaviour_rejects_what_a_sidecar_cannot_do(given: str) -> None:
    with pytest.raises(ValueError, match="expected one of succeed, fail, hang, delay"):
        parse_behaviour(given)


def test_cli_rejects_a_path_as_task_id(agent_dir: Path) -> None:
    done = run_cli(agent_dir, "../evil")
    assert done.returncode == 2
    assert "expected a task id" in done.stderr
