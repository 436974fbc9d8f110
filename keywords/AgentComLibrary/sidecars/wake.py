"""The wake command a sidecar runs for each task (``agentcom-wake`` /
``python -S .../AgentComLibrary/sidecars/wake.py``; stdlib only).

The sidecar substitutes ``${TASK_ID}`` and runs::

    agentcom-wake --agent-dir /path/to/instance --task-id ${TASK_ID}

It writes ``<results_dir>/<id>.started`` (the confirmation), then, depending on the
behaviour read from ``<agent-dir>/agentcom-behaviour.json`` at each run:

| behaviour | result file ``<results_dir>/<id>.json`` |
| ``succeed`` | ``{"status": "success", "output": ..., "tokens_used": N}`` at once (N: 100-449) |
| ``fail`` | ``{"status": "failure", "error": ...}`` at once |
| ``hang`` | never (the task stays with the sidecar) |
| ``delay`` | the success file after ``delay`` seconds |

Trivial tasks, no LLM. The command returns at once in every case (the production
sidecar waits for it to exit before it watches for the confirmation); ``delay``
leaves a child process in the sidecar's process group that writes the result
later, so killing the sidecar's group also ends the pending work. Every file is
written atomically (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

BEHAVIOUR_FILE = "agentcom-behaviour.json"
JOURNAL_FILE = "wake-journal.log"
FOREIGN_FILE = "foreign-tasks.jsonl"


class WakeBehaviour(Enum):
    """What a real sidecar's wake command does with a task (read at each task).

    | = Wake = | = The wake command ... = |
    | `succeed` | confirms (``<id>.started``) and writes a success result at once |
    | `fail` | confirms and writes a failure result (the sidecar sends ``task_failed``) |
    | `hang` | confirms and never writes a result (the task stays with the sidecar) |
    | `delay` | confirms and writes a success result after the sidecar's ``delay`` |
    """

    SUCCEED = "succeed"
    FAIL = "fail"
    HANG = "hang"
    DELAY = "delay"


ALIASES = {
    "succeed": WakeBehaviour.SUCCEED,
    "success": WakeBehaviour.SUCCEED,
    "complete": WakeBehaviour.SUCCEED,
    "fail": WakeBehaviour.FAIL,
    "hang": WakeBehaviour.HANG,
    "hold": WakeBehaviour.HANG,
    "delay": WakeBehaviour.DELAY,
    "slow": WakeBehaviour.DELAY,
}


def parse_behaviour(value: object) -> WakeBehaviour:
    """A :class:`WakeBehaviour` from its name or an alias used for simulated agents
    (``complete`` = succeed, ``slow`` = delay, ``hold`` = hang); case-insensitive."""
    if isinstance(value, WakeBehaviour):
        return value
    raw = getattr(value, "value", value)
    key = str(raw).strip().lower().replace("_", " ")
    if key in ALIASES:
        return ALIASES[key]
    names = ", ".join(b.value for b in WakeBehaviour)
    raise ValueError(
        f"Unknown sidecar wake behaviour {raw!r}: expected one of {names} "
        "(or complete, slow, hold). A sidecar always accepts its tasks and always sends "
        "the generation, so 'ignore' and 'omit generation' do not apply to it."
    )


@dataclass(frozen=True)
class BehaviourSetting:
    """The content of the behaviour file."""

    behaviour: WakeBehaviour = WakeBehaviour.SUCCEED
    delay: float = 1.0
    smoke_run: str = ""  # when set, tasks of another run are left alone

    def to_json(self) -> str:
        return json.dumps(
            {"behaviour": self.behaviour.value, "delay": self.delay, "smoke_run": self.smoke_run}
        )


def wake_script(python: str = sys.executable) -> list[str]:
    """The command that runs this module: the file itself, with ``-S``. It needs only the
    standard library, so it skips the library's package import (about 0.2 s of start-up per
    task on a quiet machine, seconds on a busy one)."""
    return [python, "-S", str(Path(__file__).resolve())]


def default_wake_command(instance_dir: Path, python: str = sys.executable) -> str:
    """``python -S .../sidecars/wake.py --agent-dir DIR --task-id ${TASK_ID}``: the wake
    command written to each instance's config.json (the sidecar substitutes the id)."""
    base = shlex.join([*wake_script(python), "--agent-dir", str(instance_dir)])
    return base + " --task-id ${TASK_ID}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename.

    The temporary name ends in ``.tmp`` so a watcher of ``*.json`` never sees it.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_behaviour(agent_dir: Path, setting: BehaviourSetting) -> None:
    """Store the behaviour the next wake command of this agent will use."""
    write_atomic(Path(agent_dir) / BEHAVIOUR_FILE, setting.to_json())


def read_behaviour(agent_dir: Path) -> BehaviourSetting:
    """The behaviour stored in ``agent_dir`` (succeed when there is no file)."""
    path = Path(agent_dir) / BEHAVIOUR_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return BehaviourSetting()
    return BehaviourSetting(
        parse_behaviour(data.get("behaviour", "succeed")),
        float(data.get("delay", 1.0)),
        str(data.get("smoke_run") or ""),
    )


def _config(agent_dir: Path) -> dict:
    try:
        return json.loads((agent_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def results_dir_of(agent_dir: Path) -> Path:
    """The sidecar's ``results_dir`` from its config.json (relative to its directory)."""
    raw = _config(agent_dir).get("results_dir") or "./results"
    path = Path(raw)
    return path if path.is_absolute() else agent_dir / path


def realistic_tokens(task_id: str) -> int:
    """100..449 from the task id: what ``agents/tokens.py`` gives simulated agents (this
    script runs alone under ``python -S``, so it cannot import it; a test keeps them equal)."""
    return 100 + zlib.crc32(str(task_id).encode("utf-8")) % 350


def success_result(task_id: str, agent_id: str) -> dict:
    return {
        "status": "success",
        "output": f"task {task_id} done by {agent_id or 'sidecar'}",
        "tokens_used": realistic_tokens(task_id),
        "agent_id": agent_id,
    }


def failure_result(task_id: str, agent_id: str) -> dict:
    return {
        "status": "failure",
        "error": f"simulated failure of task {task_id} by {agent_id or 'sidecar'}",
        "agent_id": agent_id,
    }


def _journal(agent_dir: Path, text: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(agent_dir / JOURNAL_FILE, "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {text}\n")


def foreign_task(agent_dir: Path, task_id: str, smoke_run: str) -> dict | None:
    """The sidecar's active task (from its queue.json) when it belongs to another run.

    The sidecar persists the task, metadata included, before it runs the wake command.
    """
    if not smoke_run:
        return None
    try:
        queue = json.loads((agent_dir / "queue.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    active = queue.get("active") if isinstance(queue, dict) else None
    if not isinstance(active, dict) or active.get("task_id") != task_id:
        return None
    metadata = active.get("metadata") if isinstance(active.get("metadata"), dict) else {}
    if metadata.get("smoke_run") == smoke_run:
        return None
    return {"task_id": task_id, "description": active.get("description", ""),
            "metadata": metadata}  # fmt: skip


def _finish_later(agent_dir: Path, task_id: str, results_dir: Path, delay: float) -> None:
    """Start a child (same process group as the sidecar) that writes the result later."""
    command = [
        *wake_script(),
        "--agent-dir", str(agent_dir), "--task-id", task_id,
        "--results-dir", str(results_dir), "--finish-after", str(delay),
    ]  # fmt: skip
    # No new session: a SIGKILL of the sidecar's group ends this pending work too.
    # stdio detached so the sidecar's exec() returns as soon as this command exits.
    subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
    )


def run(agent_dir: Path, task_id: str, results_dir: Path | None = None) -> WakeBehaviour:
    """Handle one wake: confirmation file, then the behaviour's result. Returns it."""
    agent_dir = Path(agent_dir).resolve()
    results = Path(results_dir) if results_dir else results_dir_of(agent_dir)
    results.mkdir(parents=True, exist_ok=True)
    setting = read_behaviour(agent_dir)
    agent_id = _config(agent_dir).get("agent_id", "")
    _journal(agent_dir, f"wake {task_id} behaviour={setting.behaviour.value}")
    write_atomic(results / f"{task_id}.started", f"{time.time():.3f}\n")
    foreign = foreign_task(agent_dir, task_id, setting.smoke_run)
    if foreign is not None:
        # Leave it alone: confirmed (so the sidecar does not report a failure and burn
        # one of its retries), never finished; the hub takes it back when the sidecar stops.
        with open(agent_dir / FOREIGN_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(foreign) + "\n")
        _journal(agent_dir, f"foreign task {task_id} left alone")
        return WakeBehaviour.HANG
    if setting.behaviour is WakeBehaviour.SUCCEED:
        write_atomic(results / f"{task_id}.json", json.dumps(success_result(task_id, agent_id)))
    elif setting.behaviour is WakeBehaviour.FAIL:
        write_atomic(results / f"{task_id}.json", json.dumps(failure_result(task_id, agent_id)))
    elif setting.behaviour is WakeBehaviour.DELAY:
        _finish_later(agent_dir, task_id, results, setting.delay)
    return setting.behaviour


def finish_after(agent_dir: Path, task_id: str, results_dir: Path, delay: float) -> None:
    """Sleep, then write the success result (the ``delay`` behaviour's second half)."""
    time.sleep(max(0.0, delay))
    agent_id = _config(Path(agent_dir)).get("agent_id", "")
    write_atomic(Path(results_dir) / f"{task_id}.json",
                 json.dumps(success_result(task_id, agent_id)))  # fmt: skip
    _journal(Path(agent_dir), f"result {task_id} after {delay:g} s")


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``agentcom-wake``."""
    parser = argparse.ArgumentParser(
        prog="agentcom-wake",
        description="Wake command for AgentCom sidecars in the acceptance suite: "
        "writes <id>.started, then <id>.json as the agent directory's behaviour says.",
    )
    parser.add_argument(
        "--agent-dir",
        required=True,
        type=Path,
        help="the sidecar instance directory (config.json, behaviour file)",
    )
    parser.add_argument("--task-id", required=True, help="the task id (${TASK_ID})")
    parser.add_argument(
        "--results-dir", type=Path, help="override results_dir from the agent's config.json"
    )
    parser.add_argument("--finish-after", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)  # fmt: skip
    if not args.task_id or "/" in args.task_id or args.task_id.startswith("."):
        parser.error(f"expected a task id like task-0123abcd, got {args.task_id!r}")
    if not args.agent_dir.is_dir():
        parser.error(f"agent directory {args.agent_dir} does not exist")
    if args.finish_after is not None:
        results = args.results_dir or results_dir_of(args.agent_dir.resolve())
        finish_after(args.agent_dir.resolve(), args.task_id, results, args.finish_after)
        return 0
    behaviour = run(args.agent_dir, args.task_id, args.results_dir)
    print(f"wake {args.task_id}: {behaviour.value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
