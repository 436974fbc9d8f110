"""Real robot runs with a hub the library starts from HUB_COMMAND (here the embedded hub's
own command line, so no Elixir is needed): a command that cannot start is a setup error, a
hub that dies mid-run stops the run with one message, and nothing is left behind."""

from __future__ import annotations

import re
from pathlib import Path

from agentcom_hub.command import hub_command, shell_line
from AgentComLibrary.util.watchdog import marked_pids
from test_setup_error import NOT_TESTED, ROOT, Run

EMBEDDED_CMD = shell_line(hub_command("{state_dir}", port="{port}", stop_with_parent=False))
TOKEN_FILE = "HUB_TOKEN_FILE:{state_dir}/bootstrap-token.json"
RUN_DIR = re.compile(r"/\S*/(agentcom-hub-\w+)/")


def left_behind(text: str) -> list[str]:
    """Run directories named in ``text`` that still exist or still have processes."""
    names = set(RUN_DIR.findall(text))
    return [n for n in names if Path("/tmp", n).exists() or marked_pids(n)]


def test_a_hub_command_that_cannot_start_is_a_setup_error(tmp_path: Path) -> None:
    secret = "9f" * 32
    command = f"echo 'token {secret}'; echo 'eaddrinuse: port {{port}} taken' >&2; exit 5"
    run = Run(
        tmp_path,
        *("--variable", f"HUB_COMMAND:{command}", "--variable", TOKEN_FILE),
        *("--parse-include", str(ROOT / "suites" / "01_basic_pipeline.robot")),
    )
    assert run.rc != 0 and run.seconds < 15
    message = run.result.suite.setup.message
    assert message.startswith(
        f"{NOT_TESTED} The hub command exited with code 5 before it was ready"
    ), message
    assert "eaddrinuse: port" in message and "Last lines of its log" in message
    assert secret not in message + run.stdout + run.stderr and secret[:8] in message
    assert run.stderr.startswith(f"[ ERROR ] {NOT_TESTED} The hub command exited with code 5")
    assert all(m.startswith("Parent suite setup failed") for _, m, _ in run.tests.values())
    assert not left_behind(message)


DIES_MID_RUN = """
*** Settings ***
Resource          {root}/resources/agentcom.resource
Suite Setup       Start AgentCom Run
Suite Teardown    Finish AgentCom Run
Test Teardown     Finish AgentCom Test

*** Test Cases ***
The Hub Dies While A Test Runs
    Start Agent    worker
    ${{task}}    Submit Task    before the crash
    Wait Until Task Is Completed    ${{task}}
    ${{library}}    Get Library Instance    AgentComLibrary
    Evaluate    os.killpg(${{library.ctx.session.managed.pid}}, signal.SIGKILL)
    Submit Task    after the crash

The Next Test Does Not Run
    Submit Task    never
"""


def test_a_hub_that_dies_mid_run_stops_the_run(tmp_path: Path) -> None:
    suite = tmp_path / "dies.robot"
    suite.write_text(DIES_MID_RUN.format(root=ROOT), encoding="utf-8")
    run = Run(
        tmp_path,
        *("--variable", f"HUB_COMMAND:{EMBEDDED_CMD}", "--variable", TOKEN_FILE),
        suite=suite,
    )
    assert run.rc == 2, run.stdout
    first, second = (
        run.tests[n] for n in ("The Hub Dies While A Test Runs", "The Next Test Does Not Run")
    )
    assert re.match(
        r"The hub command at http://127\.0\.0\.1:\d+ \(pid \d+\) was killed by signal 9 "
        r"during the run; the run cannot go on\.\n"
        r"Command: \S+ -m agentcom_hub --host 127\.0\.0\.1 --port \d+ ",
        first[1],
    ), first[1]
    assert "Last lines of its log" in first[1] and "completed by smoke-" in first[1]
    assert "Also teardown failed" not in first[1]  # the teardown's reads are passed over
    assert second[1] == "Test execution stopped due to a fatal error."
    assert not left_behind(first[1] + run.stdout + run.stderr)
