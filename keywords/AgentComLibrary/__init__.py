"""AgentComLibrary: Robot Framework keywords for acceptance tests of an AgentCom hub."""

from __future__ import annotations

import logging
from datetime import timedelta

from robot.api import logger
from robot.api.types import Secret
from robotlibcore import DynamicCore

from .context import LibraryConfig, LibraryContext
from .keywords import (
    AgentKeywords,
    CheckKeywords,
    ContractCheckKeywords,
    ContractKeywords,
    KnownDefectKeywords,
    LoadKeywords,
    NetworkKeywords,
    ReportingKeywords,
    SessionKeywords,
    SidecarKeywords,
    TaskKeywords,
)
from .listener import RunListener
from .util.choices import Behaviour, RestartMode, TokenChoice
from .util.errors import as_library_error

__version__ = "0.1.0"
__all__ = ["AgentComLibrary", "Behaviour", "RestartMode", "TokenChoice"]

LOG = logging.getLogger(__name__)


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

    Behaviours can be changed at run time with `Set Agent Behaviour`. `Kill Agent Connection`
    breaks the TCP connection without a close frame, like a crash; `Close Agent Connection`
    closes cleanly. Agent counts are of reports the hub acknowledged (``task_ack``), not of
    frames sent; rejected reports are kept for `Wait Until Agent Report Is Rejected`.

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
    | ``poll_interval`` | 100 ms | how often a wait on the hub asks it again |

    - ``timeout``: ``Wait Until ...``, ``Next Reply Should Be ...`` and
      `Probe Should Still Answer Ping`.
    - ``connect_timeout``: the embedded hub writing its ready file (`Open Hub Session`,
      `Restart Embedded Hub`); the hub identifying an agent (`Start Agent`,
      `Reconnect Agent`, `Reconnect All Agents`); a sidecar connecting (`Start Sidecar Agent`).
    - ``reply_timeout``: every HTTP request of the library; the hub's answer to
      `Report Task Complete` and `Report Task Failed`.

    A wait that sees tasks completed (`Wait Until Tasks Are Completed` and the other task
    waits) then gives the agents that completed them up to 5 seconds (at most
    ``timeout``) to receive the hub's ``task_ack``, which the hub sends just after it
    records the completion: checks that follow count acknowledged completions. A check
    run without such a wait reads the agents' journals as they are.

    = Example =

    | *** Settings ***
    | Library           AgentComLibrary    hub_url=${HUB_URL}    hub_faults=${HUB_FAULTS}
    | Suite Setup       Open Hub Session
    | Suite Teardown    Close Hub Session
    | Test Teardown     Run Keywords    Log Test Summary    AND    Stop All Agents
    |
    | *** Variables ***
    | ${HUB_URL}        ${EMPTY}
    | ${HUB_FAULTS}     ${EMPTY}
    |
    | *** Test Cases ***
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
    |     No Task Should Be Lost
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"
    ROBOT_LISTENER_API_VERSION = 3

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
            poll_interval: how often waits poll the hub.
            sidecar_dir: a checkout of the Node.js sidecar for `Start Sidecar Agent`;
                default: the Robot variable ``${SIDECAR_DIR}``.
            connect_timeout: how long the embedded hub may take to start, and an agent or
                sidecar to be identified.
            reply_timeout: how long one HTTP request, or the hub's answer to a report, may
                take.
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
            )
        )
        agents, tasks = AgentKeywords(self.ctx), TaskKeywords(self.ctx)
        components = [
            SessionKeywords(self.ctx),
            agents,
            tasks,
            CheckKeywords(self.ctx),
            ReportingKeywords(self.ctx),
            SidecarKeywords(self.ctx),
            ContractKeywords(self.ctx),
            NetworkKeywords(self.ctx),
            ContractCheckKeywords(self.ctx),
            LoadKeywords(self.ctx, agents, tasks),
            KnownDefectKeywords(self.ctx),
        ]
        super().__init__(components)
        self.run = RunListener(self.ctx, __version__)

    def run_keyword(self, name, args, kwargs=None):
        """Runs a keyword; a plain ``ValueError``/``TypeError``/``KeyError`` from it fails
        the keyword with its message alone (as an ``AgentComError``)."""
        try:
            return super().run_keyword(name, args, kwargs)
        except Exception as error:
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
                "give it the teardown `Finish AgentCom Test` (suites/__init__.robot does, when "
                "Robot is given the directory: `robot --argumentfile robot.args --parse-include "
                "FILE suites`), or call `Contract Should Hold` in its own teardown."
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
        except Exception as error:  # never let cleanup break Robot's shutdown
            LOG.debug("closing the hub session failed: %s", error)
