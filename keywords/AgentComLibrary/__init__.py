"""AgentComLibrary: Robot Framework keywords for acceptance tests of an AgentCom hub."""

from __future__ import annotations

# First, before the library's own imports (about 0.3 s): in a run that will open the
# embedded hub, that hub boots meanwhile (hubapi/early_start.py). The modules this needs are
# light.
from .hubapi import early_start

early_start.begin_during_import()

import logging
from datetime import timedelta

from robot.api import logger
from robot.api.types import Secret
from robotlibcore import DynamicCore

from .context import LibraryConfig, LibraryContext
from .hubapi.client import HubUnavailable
from .hubapi.launcher import HubProcessExited
from .keywords import (
    AgentKeywords,
    CheckKeywords,
    ContractKeywords,
    ExploreKeywords,
    GetterKeywords,
    KnownDefectKeywords,
    LatencyKeywords,
    LoadKeywords,
    NetworkKeywords,
    PoolKeywords,
    ProbeKeywords,
    ReportingKeywords,
    RouteKeywords,
    SessionKeywords,
    SidecarKeywords,
    TaskKeywords,
    TimeoutKeywords,
)
from .listener import RunListener
from .util.choices import CONVERTERS, Behaviour, RestartMode, TokenChoice
from .util.errors import as_library_error

__version__ = "0.1.0"
__all__ = ["AgentComLibrary", "Behaviour", "RestartMode", "TokenChoice"]

LOG = logging.getLogger(__name__)

HUB_EXIT_WAIT = 5.0  # seconds a hub that refuses connections gets to finish exiting
# keywords that clean up or start afresh: never stopped by a hub process that exited
_NO_HUB_CHECK = frozenset(
    {"close_hub_session", "stop_run_on_setup_error", "open_hub_session", "stop_all_agents"}
)
# teardown keywords that only read the hub: nothing to read once it is gone
_PASSED_OVER_WHEN_DEAD = frozenset({"log_test_summary", "contract_should_hold", "heal_network"})


class AgentComLibrary(DynamicCore):
    """Keywords for black-box acceptance tests of an AgentCom hub, over HTTP and WebSocket.

    The library opens a session with a hub, starts simulated agents that connect over
    WebSocket and answer task assignments the way a test asks them to, submits tasks over
    HTTP, waits on the hub's state, and checks the hub's records against what every agent
    saw and had acknowledged.

    = Sessions =

    `Open Hub Session` starts the embedded reference hub (``python -m agentcom_hub``) in a
    fresh temporary directory when ``hub_url`` is empty, or uses the hub at ``hub_url``
    with ``bootstrap_token`` (default: environment variable ``AGENTCOM_TOKEN``). It checks
    ``GET /health`` first and picks a run id of 8 hex characters.

    Everything a session makes is marked with its run id, so that a hub shared with real
    agents stays safe:

    - agents are ``smoke-<run>-<name>`` with their own tokens and the capability
      ``smoke-<run>``;
    - every task needs that capability and carries ``{"smoke_run": <run>}`` in its metadata;
    - a queued task that needs no capability could be handed to this suite's agents, so the
      session refuses to start while there are any (``allow_foreign_tasks`` overrides);
    - an agent handed a task of another run leaves it alone and the test fails, naming it.

    Tests refer to agents by their short names (``victim``, ``worker-1``). Counts and
    checks cover the current test: the library is also a listener, and forgets the
    previous test's tasks when a test starts. When Robot closes the library it stops every
    agent and the embedded hub, even if teardowns were skipped; a hub whose runner was
    killed stops by itself (``--parent-pid``).

    = Agent behaviours =

    | =Behaviour= | =The agent ...= |
    | complete | accepts and completes at once (the default) |
    | slow | accepts and completes after ``delay`` |
    | fail | accepts and reports a failure |
    | ignore | never accepts; the hub's acceptance timeout takes the task back |
    | hold | accepts and never finishes |
    | omit generation | accepts and completes without ``generation`` (an old sidecar defect) |

    "At once" means as soon as the agent receives the assignment: it sends
    ``task_accepted`` and ``task_complete`` back to back, without waiting for the hub's
    ack, so the hub records the completion one round trip after the assignment (a few
    milliseconds on one machine). A ``fail`` agent is as quick, and the hub may hand the
    task straight back to it: see `Submit Task` on retries.

    Behaviours can be changed at run time with `Set Agent Behaviour`. `Kill Agent Connection`
    breaks the TCP connection without a close frame, like a crash; `Close Agent Connection`
    closes cleanly. Agent counts are of reports the hub acknowledged (``task_ack``), not of
    frames sent; rejected reports are kept for `Wait Until Agent Report Is Rejected`.

    = Managed hubs =

    The library starts, restarts and stops a hub by itself in two cases: the embedded hub
    (no ``hub_url``, no ``hub_command``), and any hub whose command line is given as
    ``hub_command`` (Robot variable ``HUB_COMMAND``), e.g. the real Elixir hub. The command
    runs in the foreground with fresh state per start; its placeholders are ``{port}`` (a
    free port the library picks), ``{state_dir}`` (a fresh directory the library makes and
    removes) and ``{host}`` (the address to bind). The bootstrap token comes from
    ``hub_token_file``, from ``hub_token_command`` (run in the fresh state before the first
    start), or from ``AGENTCOM_TOKEN``. The library waits until ``GET /health`` answers 200
    within ``connect_timeout``; `Restart Hub` kills or terminates it and starts it again on
    the same state and port; `Open Private Hub Session` starts another instance. If the hub
    exits during the run, the next keyword fails saying so, with its last log lines, and the
    run stops. A watchdog process ends the hub and removes its state if the runner is
    killed. Details: ``docs/managed-hub.md``.

    | =Tag= | =The test ...= | =Skipped against= |
    | ``managed-hub`` | restarts the hub | a hub at ``hub_url`` |
    | ``embedded-only`` | needs the embedded hub's faults or timer options | any other hub |
    | ``slow`` | may wait on the hub's own timers (`Get Hub Timer`) | - |

    = Real sidecars =

    `Start Sidecar Agent` runs a real sidecar process (``node index.js`` from a copy of
    ``SIDECAR_DIR``) as an agent of the test; it counts in every check like a simulated
    agent. Without ``SIDECAR_DIR`` the sidecar tests are skipped. `Kill Agent Connection`
    on a sidecar kills its process; `Close Agent Connection` and `Reconnect Agent` are for
    simulated agents only; `Kill Sidecar Process` and `Restart Sidecar Process` are for
    sidecars only.

    = Waiting =

    Keywords that wait say so: ``Wait Until ...``, and the probe keywords that wait for
    the hub's next reply (``Next Reply Should Be ...``, `Probe Should Still Answer Ping`).
    Every other ``... Should ...`` keyword is a check: it reads the hub and the agents once
    and fails at once. Waits on the hub poll it every ``poll_interval``; waits on an
    agent or a probe wake up on its own messages. Every wait takes

    - ``timeout``: how long to wait; left out, the library's ``timeout`` (see `Timeouts`);
    - ``message``: a failure message to use instead of the library's own.

    Waits on tasks fail with a table of the unfinished tasks: status, priority, agent,
    generation and last events. When tasks stay queued while agents that could take them
    are idle, the failure starts with ``queue stalled: N tasks queued while M agents were
    idle``. Timeouts are written as Robot writes them (``within 2 seconds``).

    = Timeouts =

    | =Import argument= | =Default= | =What it covers= |
    | ``timeout`` | 30 s | every wait keyword whose own ``timeout`` is left out |
    | ``connect_timeout`` | 30 s | the embedded hub starting; an agent or sidecar connecting |
    | ``reply_timeout`` | 30 s | one HTTP request; the hub's answer to one report |
    | ``poll_interval`` | 100 ms | how often a wait on the hub asks it again (the suites: 25 ms) |

    - ``timeout``: ``Wait Until ...``, ``Next Reply Should Be ...`` and
      `Probe Should Still Answer Ping`.
    - ``connect_timeout``: the embedded hub writing its ready file (`Open Hub Session`,
      `Restart Embedded Hub`); the hub identifying an agent (`Start Agent`,
      `Reconnect Agent`, `Reconnect All Agents`); a sidecar connecting (`Start Sidecar Agent`).
    - ``reply_timeout``: every HTTP request of the library; the hub's answer to
      `Report Task Complete` and `Report Task Failed`.
    - ``poll_interval``: 100 ms when a suite imports the library itself; the project's
      ``resources/agentcom.resource`` imports it with its variable ``${POLL_INTERVAL}``,
      25 ms (``--variable POLL_INTERVAL:100ms`` changes it), so the project's suites
      poll every 25 ms.

    A wait that sees tasks completed (`Wait Until Tasks Are Completed` and the other task
    waits) then gives the agents that completed them up to 5 seconds (at most
    ``timeout``) to receive the hub's ``task_ack``, which the hub sends just after it
    records the completion: checks that follow count acknowledged completions. A check
    run without such a wait reads the agents' journals as they are.

    = Example =

    A suite file that runs as written: save it as ``example.robot`` and run
    ``robot example.robot``.

    | ``*** Settings ***``
    | Library           AgentComLibrary    hub_url=${HUB_URL}
    | Suite Setup       Open Hub Session
    | Suite Teardown    Close Hub Session
    | Test Teardown     Run Keywords    Log Test Summary    AND    Contract Should Hold
    | ...               AND    Stop All Agents
    |
    | ``*** Variables ***``
    | ${HUB_URL}        ${EMPTY}
    |
    | ``*** Test Cases ***``
    | Killed Agent's Task Is Completed By Another
    |     Start Agent    victim    behaviour=hold
    |     ${task} =    Submit Task    Reclaim me
    |     Wait Until Task Is Assigned    ${task}    agent=victim
    |     Start Agent    survivor
    |     Kill Agent Connection    victim
    |     Wait Until Task Is Completed    ${task}    timeout=10s
    |     Task Should Be Completed By    ${task}    survivor
    |     Task History Should Be    ${task}    queued    assigned to victim    reclaimed
    |     ...    assigned to survivor    completed
    |     Get Task Status    ${task}    ==    completed
    |     No Task Should Be Lost

    The teardown gives every test its summary in the log (`Log Test Summary`) and judges
    its whole history against the contract (`Contract Should Hold`); a test that used the
    hub without that check gets a warning. The project's own suites get both from
    ``Finish AgentCom Test`` in ``resources/agentcom.resource``.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"
    ROBOT_LISTENER_API_VERSION = 3
    # choices accept what the docs write ("omit generation") and name a misspelt argument
    ROBOT_LIBRARY_CONVERTERS = CONVERTERS

    def __init__(
        self,
        hub_url: str = "",
        bootstrap_token: Secret | str = "",
        hub_faults: str = "",
        allow_foreign_tasks: bool = False,
        timeout: timedelta = timedelta(seconds=30),
        poll_interval: timedelta = timedelta(milliseconds=100),
        sidecar_dir: str = "",
        connect_timeout: timedelta = timedelta(seconds=30),
        reply_timeout: timedelta = timedelta(seconds=30),
        hub_command: str = "",
        hub_token_file: str = "",
        hub_token_command: str = "",
        hub_cwd: str = "",
        hub_timers: str = "",
        hub_ports: str = "",
    ) -> None:
        """Sets the defaults of `Open Hub Session` and the timeouts (see `Timeouts`).

        Args:
            hub_url: URL of a running hub; empty to start the embedded hub.
            bootstrap_token: a token the hub knows (a ``Secret`` or a string); default:
                environment variable ``AGENTCOM_TOKEN``. Not used with the embedded hub.
            hub_faults: comma-separated fault names for the embedded hub
                (e.g. ``no-idle-scheduling``).
            allow_foreign_tasks: run even if the hub has queued tasks that need no capability.
            timeout: the default ``timeout`` of every wait keyword (see `Timeouts`).
            poll_interval: how often waits poll the hub; 100 ms when the library is
                imported directly, 25 ms in the project's suites (``${POLL_INTERVAL}``
                of ``resources/agentcom.resource``).
            sidecar_dir: a checkout of the Node.js sidecar for `Start Sidecar Agent`;
                default: the Robot variable ``${SIDECAR_DIR}``.
            connect_timeout: how long the embedded hub may take to start, and an agent or
                sidecar to be identified.
            reply_timeout: how long one HTTP request, or the hub's answer to a report, may
                take.
            hub_command: a shell command that runs a hub in the foreground, with the
                placeholders ``{port}``, ``{state_dir}`` and ``{host}``: the library starts,
                restarts and stops it (see `Managed hubs`); empty: the embedded hub.
            hub_token_file: where the hub of ``hub_command`` writes its bootstrap token,
                e.g. ``{state_dir}/bootstrap.token`` (read once it answers).
            hub_token_command: a command, run in the fresh state dir before the hub's first
                start, whose output holds the 64-hex bootstrap token.
            hub_cwd: the working directory of both commands; default: the state dir.
            hub_timers: the timers of a hub whose timers the library cannot set
                (``hub_command`` or ``hub_url``), ``name=duration,...``; default: the
                contract's (see `Get Hub Timer`).
            hub_ports: the ports ``{port}`` is picked from, e.g. ``4400-4499``; default:
                any free port.
        """
        token = bootstrap_token.value if isinstance(bootstrap_token, Secret) else bootstrap_token
        self.ctx = LibraryContext(
            LibraryConfig(
                hub_url=hub_url or "",
                bootstrap_token=token or "",
                hub_faults=[f.strip() for f in (hub_faults or "").split(",") if f.strip()],
                allow_foreign_tasks=allow_foreign_tasks,
                timeout=timeout.total_seconds(),
                connect_timeout=connect_timeout.total_seconds(),
                reply_timeout=reply_timeout.total_seconds(),
                poll_interval=poll_interval.total_seconds(),
                sidecar_dir=sidecar_dir or "",
                hub_command=hub_command or "",
                hub_token_file=hub_token_file or "",
                hub_token_command=hub_token_command or "",
                hub_cwd=hub_cwd or "",
                hub_timers=hub_timers or "",
                hub_ports=hub_ports or "",
            )
        )
        agents, tasks = AgentKeywords(self.ctx), TaskKeywords(self.ctx)
        session, checks = SessionKeywords(self.ctx), CheckKeywords(self.ctx)
        probes, network = ProbeKeywords(self.ctx), NetworkKeywords(self.ctx)
        contract, routes = ContractKeywords(self.ctx), RouteKeywords(self.ctx)
        components = [
            session,
            agents,
            PoolKeywords(self.ctx),
            tasks,
            checks,
            LatencyKeywords(self.ctx),
            ReportingKeywords(self.ctx),
            SidecarKeywords(self.ctx),
            probes,
            routes,
            network,
            contract,
            LoadKeywords(self.ctx, agents, tasks),
            GetterKeywords(self.ctx),
            TimeoutKeywords(self.ctx),
            KnownDefectKeywords(self.ctx),
            ExploreKeywords(
                self.ctx,
                agents=agents,
                tasks=tasks,
                checks=checks,
                probes=probes,
                contract=contract,
                session=session,
                network=network,
                routes=routes,
            ),
        ]
        super().__init__(components)
        self.run = RunListener(self.ctx, __version__)

    def run_keyword(self, name, args, kwargs=None):
        """Runs a keyword; a plain ``ValueError``/``TypeError``/``KeyError`` from it fails
        the keyword with its message alone (as an ``AgentComError``).

        When the hub the library started has exited by itself, the first keyword to notice
        (before it runs, or when it failed) fails saying so, and the run stops
        (``HubProcessExited``); the teardown keywords that only read the hub are passed
        over after that."""
        session = self.ctx.session
        if session is not None and name not in _NO_HUB_CHECK:
            if session.managed is not None and session.managed.reported:
                if name in _PASSED_OVER_WHEN_DEAD:
                    logger.info(f"'{name}' passed over: the hub process has exited.")
                    self.ctx.test.judged = True  # nothing left to judge it by
                    return None
            else:
                session.check_hub_process()
        try:
            return super().run_keyword(name, args, kwargs)
        except Exception as error:
            if session is not None and not isinstance(error, HubProcessExited):
                if session.managed is not None and _caused_by(error, HubUnavailable):
                    session.managed.wait_exit(HUB_EXIT_WAIT)  # a hub dies in a few ms
                try:
                    session.check_hub_process()
                except HubProcessExited as exited:
                    raise exited from error
            shown = as_library_error(error)
            if shown is error:
                raise
            raise shown from error

    # -- listener (API v3) -----------------------------------------------------------------

    def start_suite(self, data, result) -> None:
        self.run.start_suite(data, result)

    def end_suite(self, data, result) -> None:
        self.run.end_suite(data, result)

    def start_test(self, data, result) -> None:
        self.ctx.start_test(result.full_name)

    def end_test(self, data, result) -> None:
        test = self.ctx.test
        if not test.judged and test.used_the_hub(self.ctx.agents):
            logger.warn(
                f"Test '{test.name}' used the hub, but its contract checks did not run: "
                "give its file `Test Setup    Start AgentCom Test` and `Test Teardown    "
                "Finish AgentCom Test` (resources/agentcom.resource), or call `Contract Should "
                "Hold` in its own teardown. A file under suites/ gets both from "
                "suites/__init__.robot when Robot is given the directory: `robot "
                "--argumentfile robot.args --parse-include FILE suites`."
            )
        foreign = self.ctx.foreign_failure()
        if foreign and result.passed:
            result.status = "FAIL"
            result.message = foreign
        self.run.end_test(result, self._fetch_tasks)

    def _fetch_tasks(self) -> list | None:
        """The test's tasks read now (when no `Log Test Summary` read them at its end)."""
        return None if self.ctx.session is None else self.ctx.submitted_tasks()

    def close(self) -> None:
        self.run.close()
        try:
            self.ctx.close_session()
            early_start.discard()  # a hub begun during the import that no session took
        except Exception as error:  # never let cleanup break Robot's shutdown
            LOG.debug("closing the hub session failed: %s", error)


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether ``error`` or an error it was raised from (or during) is a ``kind``."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, kind):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False
