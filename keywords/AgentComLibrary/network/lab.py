"""The network lab: two namespaces (:mod:`.netns`), a "far" agent pool on the agent host
side, a "near" pool and the robot run (with its embedded hub) on the hub side, and a
teardown that leaves no namespace, interface or process behind whatever happens.

Command line (root; what ``make network`` runs)::

    python -m AgentComLibrary.network.lab -- --outputdir results/network \\
        suites/12_network_faults.robot

Everything after ``--`` goes to ``robot``, which runs inside the hub's namespace with
``NETWORK_LAB`` (the lab file) and ``AGENT_POOLS`` set. Exit code: robot's, or 3 when
something was left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..pool.server import SECRET_ENV
from ..util.child_process import ManagedProcess
from .netns import NetnsError, NetworkLab, run, unavailable

FAR_PORT = 8270
NEAR_PORT = 8271
LEFTOVER = 3


@dataclass
class RunningLab:
    """A lab that is up: its layout, lab file, pool URLs and child processes."""

    lab: NetworkLab
    lab_file: Path
    workdir: Path
    secret: str
    pools: dict[str, str]
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def agent_pools(self) -> str:
        return ",".join(f"{alias}={url}" for alias, url in self.pools.items())

    def robot(self, robot_args: list[str], log_path: Path) -> ManagedProcess:
        """A robot run inside the hub's namespace with the lab's variables."""
        command = self.lab.exec(
            self.lab.hub_ns,
            [
                sys.executable,
                "-m",
                "robot",
                "--variable",
                f"NETWORK_LAB:{self.lab_file}",
                "--variable",
                f"AGENT_POOLS:{self.agent_pools}",
                *robot_args,
            ],
        )
        process = ManagedProcess("robot", command, log_path=log_path, env=self.env())
        self.processes.append(process)
        return process

    def env(self) -> dict[str, str]:
        return {**os.environ, SECRET_ENV: self.secret, "PYTHONUNBUFFERED": "1"}


def pids_in(ns: str) -> list[int]:
    """Processes running in namespace ``ns``."""
    return [int(p) for p in run(["ip", "netns", "pids", ns], check=False).split()]


def _pool(lab: NetworkLab, name: str, ns: str, host: str, port: int, workdir: Path, env: dict):
    ready = workdir / f"{name}-pool.json"
    command = lab.exec(
        ns,
        [
            sys.executable,
            "-m",
            "AgentComLibrary.pool.server",
            "--host",
            host,
            "--port",
            str(port),
            "--ready-file",
            str(ready),
            "--parent-pid",
            str(os.getpid()),
        ],
    )
    return ManagedProcess(
        f"{name} agent pool",
        command,
        log_path=workdir / f"{name}-pool.log",
        ready_file=ready,
        env=env,
    )


@contextlib.contextmanager
def network_lab(workdir: Path | None = None) -> Iterator[RunningLab]:
    """Build the lab and start both pools; on exit stop every process, delete the
    namespaces and raise ``NetnsError`` if anything of the lab is still there."""
    why = unavailable()
    if why:
        raise NetnsError(why)
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="agentcom-lab-"))
    workdir.mkdir(parents=True, exist_ok=True)
    lab = NetworkLab.new()
    running = RunningLab(lab, workdir / "lab.json", workdir, secrets.token_hex(16), {})
    lab.up()
    try:
        env = running.env()
        far = _pool(lab, "far", lab.pool_ns, lab.pool_addr, FAR_PORT, workdir, env)
        near = _pool(lab, "near", lab.hub_ns, "127.0.0.1", NEAR_PORT, workdir, env)
        for process in (far, near):
            running.processes.append(process)
            process.start(timeout=30)
        running.pools = {
            "far": f"http://{lab.pool_addr}:{FAR_PORT}",
            "near": f"http://127.0.0.1:{NEAR_PORT}",
        }
        running.lab_file.write_text(
            json.dumps(
                {
                    **lab.as_dict(),
                    "pools": {
                        "far": {
                            "url": running.pools["far"],
                            "addr": lab.pool_addr,
                            "ns": lab.pool_ns,
                            "veth": lab.pool_veth,
                        },
                        "near": {
                            "url": running.pools["near"],
                            "addr": lab.hub_addr,
                            "ns": lab.hub_ns,
                            "veth": "",
                        },
                    },
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        yield running
    finally:
        _teardown(running, own_dir)


def _teardown(running: RunningLab, remove_dir: bool) -> None:
    lab = running.lab
    for process in reversed(running.processes):
        with contextlib.suppress(Exception):
            process.close(grace=5.0)
    stray = {ns: pids_in(ns) for ns in (lab.hub_ns, lab.pool_ns)}
    stray = {ns: pids for ns, pids in stray.items() if pids}
    for pids in stray.values():  # children of ours that outlived their parent
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    left = lab.down()
    alive = [p.name for p in running.processes if p.running]
    if remove_dir:
        shutil.rmtree(running.workdir, ignore_errors=True)
    problems = left + [f"process {n}" for n in alive]
    problems += [f"processes {pids} in {ns} (killed)" for ns, pids in stray.items()]
    if problems:
        raise NetnsError("The network lab left things behind: " + "; ".join(problems))


def _follow(process: ManagedProcess, timeout: float) -> int:
    """Print the process's log as it grows until it exits; stop it after ``timeout``."""
    deadline = time.monotonic() + timeout
    offset = 0
    while True:
        code = process.exit_code()
        with contextlib.suppress(OSError), open(process.log_path, "rb") as log:
            log.seek(offset)
            chunk = log.read()
            offset += len(chunk)
            sys.stdout.write(chunk.decode("utf-8", errors="replace"))
            sys.stdout.flush()
        if code is not None:
            return code
        if time.monotonic() > deadline:
            print(f"robot ran longer than {timeout:g} s: stopping it", file=sys.stderr)
            process.stop(grace=10.0)
            return 1
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run robot inside a two-namespace network lab (root needed)."
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the run")
    parser.add_argument("--workdir", help="keep pool logs and the lab file here")
    parser.add_argument("robot_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    robot_args = [a for a in args.robot_args if a != "--"] or ["suites/12_network_faults.robot"]
    why = unavailable()
    if why:
        print(f"network lab not available: {why}", file=sys.stderr)
        return 2

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    code = 1
    try:
        with network_lab(Path(args.workdir) if args.workdir else None) as running:
            print(
                f"network lab {running.lab.lab_id}: hub side {running.lab.hub_ns} "
                f"({running.lab.hub_addr}), agent host {running.lab.pool_ns} "
                f"({running.lab.pool_addr}); pools {running.agent_pools}"
            )
            robot = running.robot(robot_args, running.workdir / "robot.log")
            robot.start()
            code = _follow(robot, args.timeout)
    except KeyboardInterrupt:
        print("interrupted: tearing the lab down", file=sys.stderr)
        code = 130
    except NetnsError as error:
        print(str(error), file=sys.stderr)
        return LEFTOVER
    print("network lab torn down: no namespace, interface or process left behind")
    return code


if __name__ == "__main__":
    sys.exit(main())
