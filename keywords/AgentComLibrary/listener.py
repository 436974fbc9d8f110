"""The run-level part of the library's listener: what system a run tested (metadata and
console), ``metrics.json`` at close, and a warning when the suites run without robot.args.

Everything here only reports: an error in it is logged at debug level and never fails a
test or breaks Robot's shutdown.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn

from .context import HubSession, LibraryContext
from .contract_map import coverage_run
from .defects import run as known_defects
from .defects.outcome import finish_test
from .report import metrics, runinfo
from .util.masking import mask_text

LOG = logging.getLogger(__name__)

ARGS_VARIABLE = "${AGENTCOM_ARGUMENTFILE}"  # robot.args sets it; its absence is noticed
ARGS_FILE = "robot.args"
NEVER_OPENED = "never opened: the hub was not tested (see the first failure)"


@contextlib.contextmanager
def quietly(what: str) -> Iterator[None]:
    """Run a reporting step; a failure in it is logged at debug level and swallowed."""
    try:
        yield
    except Exception as error:  # reporting must never break a run
        LOG.debug("%s failed: %s", what, error)


def console(line: str) -> None:
    """One line on Robot's console (its own stdout, which Robot does not capture), only
    where Robot's console shows such lines: ``--console verbose`` (the default). Dotted,
    quiet and none stay as Robot writes them; the same facts are in the run's metadata."""
    stream = sys.__stdout__
    if stream is not None and console_is_verbose():
        stream.write(line + "\n")
        stream.flush()


def console_is_verbose() -> bool:
    """Whether Robot's console is the verbose one (``--console verbose``, the default).

    Robot offers no public way to ask; its logger's console is read, and when that cannot
    be read the answer is yes (the line is shown, as before)."""
    try:
        from robot.output import LOGGER

        facade = LOGGER._console  # robot's private API (Robot 7): None without a console
    except Exception:
        return True
    if facade is None:
        return False
    kind = type(getattr(facade, "listener", facade)).__name__
    return kind == "VerboseConsole"


def robot_running() -> bool:
    with contextlib.suppress(Exception):
        return bool(BuiltIn().robot_running)
    return False


def without_argument_file(top_source: Path | None, variable_set: bool) -> str:
    """The warning for ``robot suites`` (this project's suite directory) run without
    robot.args, else ''. (A single suite file run alone is left alone: tests of the
    project run them so on purpose, and the library warns there when a test's contract
    checks did not run.)"""
    if variable_set or top_source is None:
        return ""
    source = top_source.resolve()
    root = source.parent
    if source.name != "suites" or not source.is_dir() or not (root / ARGS_FILE).is_file():
        return ""
    return (
        f"The suites run without their argument file {root / ARGS_FILE}: Robot writes "
        "output.xml, log.html and report.html into the current directory instead of "
        "results/, each test's task summary stays at the bottom of its log (no SummaryFirst "
        "pre-rebot modifier), and the tag docs and the suite name 'AgentCom Acceptance' are "
        f"missing. Run `robot --argumentfile {ARGS_FILE} suites` (or `make smoke`)."
    )


class RunRecord:
    """One Robot run's sessions and tests. Shared by every instance of the library in the
    process (Robot makes one per import when an argument, like a ``Secret``, differs)."""

    def __init__(self, top: Any = None) -> None:
        self.top = top  # the top suite's result object: a new one means a new run
        self.sessions: list[runinfo.SessionInfo] = []  # every hub opened or joined, in order
        self.hubs: dict[int, runinfo.SessionInfo] = {}  # session object -> its first record
        self.tests: dict[str, dict[str, Any]] = {}  # by Robot's test id (s1-s1-t1)
        self.output_dir: Path | None = None
        self.started = time.time()
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.suite = ""
        self.planned = False
        self.announced = False
        self.defects = known_defects.DefectRun()  # the known-defects file and its verdicts
        self.coverage = coverage_run.CoverageRun()  # test statuses for the clause matrix


_RECORD = RunRecord()


def record() -> RunRecord:
    return _RECORD


def _top_of(result: Any) -> Any:
    while result.parent is not None:
        result = result.parent
    return result


class RunListener:
    """One library instance's part: feeds its context's sessions and tests to the run's
    :class:`RunRecord`, sets the metadata, writes metrics.json."""

    def __init__(self, ctx: LibraryContext, version: str) -> None:
        self.ctx = ctx
        self.version = version
        ctx.on_session_opened(self.session_opened)
        if robot_running() and not _RECORD.announced:
            _RECORD.announced = True
            config = ctx.config
            console(runinfo.console_plan(planned_hub(config), config.hub_faults, version))

    # -- events ----------------------------------------------------------------------------

    def start_suite(self, data: Any, result: Any) -> None:
        global _RECORD
        top = _top_of(result)
        if _RECORD.top is not top:
            if _RECORD.top is not None:  # an earlier run in this process (run_cli, pytest)
                _RECORD = RunRecord(top)
            _RECORD.top = top
        run = _RECORD
        run.suite = result.full_name
        if run.planned:
            return
        run.planned = True
        with quietly("reading the run's settings"):
            builtin = BuiltIn()
            run.output_dir = Path(str(builtin.get_variable_value("${OUTPUT_DIR}")))
            source = Path(str(top.source)) if top.source else None
            run.coverage.locate(source)
            warning = without_argument_file(
                source, builtin.get_variable_value(ARGS_VARIABLE) is not None
            )
            if warning:
                logger.warn(warning)
        config = self.ctx.config
        self._metadata(
            runinfo.planned_metadata(planned_hub(config), config.hub_faults, self.version)
        )

    def end_suite(self, data: Any, result: Any) -> None:
        """At the end of the top suite: say plainly when no hub session was ever opened."""
        if result.parent is None and not _RECORD.sessions:
            with quietly("finishing the suite metadata"):
                result.metadata["Hub session"] = NEVER_OPENED
        if result.parent is None:
            with quietly("writing the contract coverage page"):
                text = _RECORD.coverage.finish(_RECORD.output_dir, in_pabot())
                if text:
                    result.metadata["Contract coverage"] = text
        if result.parent is None and _RECORD.defects.active:
            with quietly("summing up the known defects"):
                text = known_defects.summary_text(self._defects_summary())
                result.metadata["Known defects"] = text
                console(f"AgentCom known defects: {text}")

    def session_opened(self, session: HubSession) -> None:
        """A hub session opened, or a suite joined the run's hub under a run id of its own
        (then the hub is not described again: no console line, no second GET /health)."""
        run = _RECORD
        with quietly("describing the hub session"):
            known = run.hubs.get(id(session))
            if known is not None:
                health: Any = known.health
            else:
                try:
                    health = session.client.health()
                except Exception as error:  # the session keyword itself reports a sick hub
                    health = f"no answer: {error}"
            info = runinfo.SessionInfo(
                suite=run.suite,
                url=session.url,
                embedded=session.embedded is not None,
                run_id=session.suite_run_id,
                faults=list(session.embedded.faults) if session.embedded else [],
                health=health,
                hub_version=runinfo.hub_version(health, session.embedded is not None),
            )
            run.sessions.append(info)
            if known is None:
                run.hubs[id(session)] = info
                console(runinfo.console_session(info))
            self._metadata(runinfo.session_metadata(run.sessions, self.version))
            self._metadata(runinfo.suite_metadata(info), top=False)

    def end_test(self, result: Any, fetch: Callable[[], list | None]) -> None:
        defects = _RECORD.defects
        with quietly("judging the test against the known defects"):
            url = self.ctx.session.url if self.ctx.session else ""
            reported = known_defects.reported_version(_RECORD.sessions, url)
            finish_test(defects, result, self.ctx.test.verdict, reported)
        with quietly("collecting the test's metrics"):
            test = self.ctx.test
            tasks = test.final_tasks if test.final_tasks is not None else fetch()
            session = self.ctx.session
            entry = metrics.entry_of_test(result, tasks, self.ctx.agent_names(), test.verdict)
            entry["run_id"] = session.run_id if session else None
            judged = defects.judged.get(result.full_name)
            entry["known_defects"] = known_defects.of_test(
                judged.judgement if judged else None, defects.active
            )
            _RECORD.tests[result.id] = entry
        with quietly("noting the test for the contract coverage page"):
            _RECORD.coverage.note(result.source, result.name, result.status)

    def close(self) -> Path | None:
        """Write metrics.json into Robot's output directory (every instance writes the same
        shared record; the last one wins with the same content)."""
        run = _RECORD
        if run.output_dir is None:
            return None
        with quietly("writing metrics.json"):
            config = self.ctx.config
            about = {
                "started_at": run.started_at,
                "wall_time_s": round(time.time() - run.started, 3),
                "library_version": self.version,
                "library": runinfo.library_text(self.version),
                "hub_url": config.hub_url,
                "hub_kind": "external" if planned_hub(config) else "embedded",
                "hub_faults": config.hub_faults,
                "known_defects": run.defects.about(),
            }
            sessions = [s.as_json() for s in run.sessions]
            document = metrics.run_document(about, sessions, list(run.tests.values()))
            return metrics.write(run.output_dir / metrics.FILE_NAME, document)
        return None

    # -- helpers ---------------------------------------------------------------------------

    def _defects_summary(self) -> dict[str, Any]:
        about = _RECORD.defects.about() or {}
        return known_defects.summarize(about, list(_RECORD.tests.values()))

    def _metadata(self, values: dict[str, str], top: bool = True) -> None:
        with quietly("setting the suite metadata"):
            builtin = BuiltIn()
            for name, value in values.items():
                builtin.set_suite_metadata(name, value, top=top)


def in_pabot() -> bool:
    """Whether this process is one of pabot's (it sets ``${PABOTQUEUEINDEX}``)."""
    with contextlib.suppress(Exception):
        return BuiltIn().get_variable_value("${PABOTQUEUEINDEX}") is not None
    return False


def planned_hub(config: Any) -> str:
    """What the run was told to test, for the lines written before a session opens: the
    URL, the command of ``HUB_COMMAND`` (a hub the library starts, reported as external:
    it is not the embedded hub), or '' for the embedded hub."""
    if config.hub_url:
        return config.hub_url
    command = mask_text(" ".join(config.hub_command.split()))
    if not command:
        return ""
    return f"HUB_COMMAND `{command[:77] + '...' if len(command) > 80 else command}`"
