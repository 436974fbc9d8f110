"""The hub's command line, built in one place.

Everything that starts an embedded hub as a process (the library's launcher, the benchmarks,
the tests' helpers) gets its ``python -m agentcom_hub ...`` from :func:`hub_command`, next to
the parser that reads it (``cli.build_parser``). Standard library only: the keyword library
imports it without the hub's own dependencies.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path


def hub_command(
    data_dir: Path | str,
    *,
    port: int | str = 0,
    host: str = "127.0.0.1",
    ready_file: Path | str | None = None,
    parent_pid: int | None = None,
    stop_with_parent: bool = True,
    bootstrap_agent: str | None = None,
    faults: Sequence[str] = (),
    log_level: str | None = None,
    options: Sequence[str] = (),
    python: str = sys.executable,
) -> list[str]:
    """The command line of one hub on ``host``:``port`` (0: a free port) keeping its state in
    ``data_dir``.

    Args:
        ready_file: where it writes url, ws_url, token and pid once it serves.
        parent_pid: the process whose end stops the hub (default: this one); none with
            ``stop_with_parent=False``.
        bootstrap_agent: the bootstrap token's agent id (default: the hub's, smoke-admin).
        faults: named defects to switch on (``agentcom-hub --list-faults``).
        options: further options, e.g. timers: ``["--acceptance-timeout", "2s"]``.
        python: the interpreter to run it with.

    Arguments may be placeholders such as ``"{port}"``, which a launcher fills in.
    """
    command = [python, "-m", "agentcom_hub", "--host", host, "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    if ready_file is not None:
        command += ["--ready-file", str(ready_file)]
    if stop_with_parent:
        command += ["--parent-pid", str(os.getpid() if parent_pid is None else parent_pid)]
    if bootstrap_agent:
        command += ["--bootstrap-agent", bootstrap_agent]
    for fault in faults:
        command += ["--fault", fault]
    if log_level:
        command += ["--log-level", log_level]
    return command + list(options)


def shell_line(command: Sequence[str]) -> str:
    """``command`` as one shell line, its ``{placeholder}`` parts left as they are (a
    ``HUB_COMMAND`` template)."""
    return " ".join(part if part.startswith("{") else shlex.quote(part) for part in command)
