"""The hub's command line, built in one place (agentcom_hub.command)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agentcom_hub.cli import build_parser, config_from
from agentcom_hub.command import hub_command, shell_line
from agentcom_hub.faults import Fault


def test_the_command_is_what_the_hub_parses(tmp_path: Path) -> None:
    command = hub_command(
        tmp_path / "data",
        port=0,
        ready_file=tmp_path / "ready.json",
        bootstrap_agent="admin",
        faults=["double-assign", "no-auth"],
        log_level="DEBUG",
        options=["--acceptance-timeout", "2s"],
    )
    assert command[:3] == [sys.executable, "-m", "agentcom_hub"]
    config = config_from(build_parser().parse_args(command[3:]))
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 0, tmp_path / "data")
    assert config.ready_file == tmp_path / "ready.json"
    assert config.parent_pid == os.getpid()
    assert config.bootstrap_agent == "admin"
    assert config.faults == {Fault.DOUBLE_ASSIGN, Fault.NO_AUTH}
    assert config.log_level == "DEBUG"
    assert config.acceptance_timeout == 2.0


def test_a_template_keeps_its_placeholders() -> None:
    command = hub_command("{state_dir}", port="{port}", host="{host}", stop_with_parent=False)
    assert "--parent-pid" not in command and "--ready-file" not in command
    line = shell_line([*command[:1], "x y", *command[1:]])
    assert line.endswith("-m agentcom_hub --host {host} --port {port} --data-dir {state_dir}")
    assert "'x y'" in line
