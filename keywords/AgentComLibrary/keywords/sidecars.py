"""Keywords that run real sidecar processes (Node.js) as agents of the suite."""

from __future__ import annotations

import html
import os
import time
from datetime import timedelta
from pathlib import Path

from robot.api import SkipExecution
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robotlibcore import keyword

from ..hubapi.client import HubError
from ..sidecars import hub_records
from ..sidecars.checkout import check_node, check_node_version, check_sidecar_dir
from ..sidecars.logformat import SidecarLogSummary
from ..sidecars.process import SidecarProcess
from ..sidecars.wake import WakeBehaviour
from ..util.formatting import id_list
from ..util.masking import mask
from ..util.timeutil import Deadline, human, seconds
from .base import LibraryComponent, Timeout

POLL = 0.1
ENABLE_HINT = (
    "Enable them with `--variable SIDECAR_DIR:/path/to/sidecar` (a checkout of the AgentCom "
    "sidecar with `npm install` done, Node.js 18+ on PATH), for example "
    "`--variable SIDECAR_DIR:tests/sidecar_standin` for the stand-in in this repository "
    "(after `make standin`)."
)
RECOVERY_ANSWERS = ("task_continue", "task_reassign")


class SidecarKeywords(LibraryComponent):
    """Real sidecars: each one a copy of ``SIDECAR_DIR`` in the output directory with its
    own config.json, queue.json, results dir and logs, run as ``node index.js``."""

    # -- configuration ---------------------------------------------------------------------

    def _sidecar_dir(self, sidecar_dir: str | None) -> str:
        """The argument, else the library's ``sidecar_dir`` import argument, else the
        Robot variable ``${SIDECAR_DIR}``."""
        if sidecar_dir:
            return sidecar_dir
        configured = getattr(self.ctx.config, "sidecar_dir", "")
        if configured:
            return str(configured)
        return str(_robot_variable("${SIDECAR_DIR}", "") or "")

    def _instance_dir(self, name: str) -> Path:
        output = Path(str(_robot_variable("${OUTPUT_DIR}", os.getcwd())))
        base = output / "sidecars" / self.session.run_id
        candidate, n = base / name, 1
        while candidate.exists():  # a later sidecar of the same name keeps the old logs
            n += 1
            candidate = base / f"{name}-{n}"
        return candidate

    def sidecar(self, name: str) -> SidecarProcess:
        """The named agent, which must be a sidecar process."""
        agent = self.agent(name)
        if not isinstance(agent, SidecarProcess):
            raise TypeError(
                f"Agent '{name}' is a simulated agent, not a sidecar process; this keyword "
                "needs one started with `Start Sidecar Agent`."
            )
        return agent

    # -- keywords --------------------------------------------------------------------------

    @keyword(tags=["Sidecar"])
    def skip_if_sidecars_are_not_configured(self, sidecar_dir: str | None = None) -> None:
        """Skips the current test (or, in a suite setup, the whole suite) when no sidecar
        checkout is configured, with a message saying how to enable the tests.

        With ``SIDECAR_DIR`` set, it checks that Node.js runs and the checkout is usable
        and fails with a clear message if not (a test asked for sidecars must not pass
        or skip silently).

        Args:
            sidecar_dir: the checkout; default: the import argument or ``${SIDECAR_DIR}``.

        Example:
        | `Skip If Sidecars Are Not Configured` |
        """
        directory = self._sidecar_dir(sidecar_dir)
        if not directory.strip():
            raise SkipExecution(
                f"Real-sidecar tests are skipped: SIDECAR_DIR is empty. {ENABLE_HINT}"
            )
        node = check_node()
        path = check_sidecar_dir(directory)
        check_node_version(node, path)
        self.info(f"Real sidecars from {path}, Node.js {node.version} ({node.path}).")

    @keyword(tags=["Sidecar"])
    def start_sidecar_agent(
        self,
        name: str,
        capabilities: list[str] | str | None = None,
        wake: WakeBehaviour = WakeBehaviour.SUCCEED,
        delay: timedelta = timedelta(seconds=1),
        sidecar_dir: str | None = None,
        omit_generation: bool = False,
        node: str = "node",
        timeout: Timeout = None,
    ) -> str:
        """Starts a real sidecar process as agent ``name`` and waits until the hub lists it.

        Copies ``SIDECAR_DIR`` (``node_modules`` as a symlink) to
        ``${OUTPUT_DIR}/sidecars/<run>/<name>``, writes its ``config.json`` (agent id
        ``smoke-<run>-<name>``, a new token, the hub's WebSocket URL, capabilities with
        the run's ``smoke-<run>``, a ``wake_command`` running `agentcom-wake`, its own
        ``results_dir`` and ``log_file``) and runs ``node index.js`` there in its own
        process group. Links to its logs are written to the log.

        Args:
            name: short name used in the test, e.g. ``victim``.
            capabilities: more capabilities besides the run's, a list or comma separated.
            wake: what the wake command does: ``succeed``, ``fail``, ``hang`` (confirms,
                never finishes) or ``delay`` (succeeds after ``delay``).
            delay: how long ``delay`` works on a task.
            sidecar_dir: the checkout; default: the import argument or ``${SIDECAR_DIR}``.
            omit_generation: write ``omit_generation: true`` to config.json (the stand-in
                then reproduces the historical defect; the production sidecar ignores it).
            node: the Node.js executable.
            timeout: how long to wait for the connection; default: the library timeout.

        Returns:
            The name.

        Example:
        | `Start Sidecar Agent` | victim | wake=hang |
        """
        session = self.session
        if name in self.ctx.agents.active:
            raise ValueError(f"An agent named '{name}' is already running; stop it first.")
        directory = self._sidecar_dir(sidecar_dir)
        agent_id = session.agent_id(name)
        extra = capabilities.split(",") if isinstance(capabilities, str) else capabilities or []
        caps = list(dict.fromkeys([session.capability, *(c.strip() for c in extra if c.strip())]))
        sidecar = SidecarProcess(
            name,
            agent_id,
            directory,
            self._instance_dir(name),
            self.client,
            capabilities=caps,
            behaviour=wake,
            delay=delay.total_seconds(),
            node=node,
            extra_config={"omit_generation": True} if omit_generation else None,
            run_id=session.run_id,
            ws_url=session.ws_url,
            warn=self.warn,
            history=self.ctx.test.history,
        )
        try:
            sidecar.start(seconds(timeout, self.ctx.config.connect_timeout))
        finally:
            if sidecar.token:
                session.token_owners.append(agent_id)  # created by the sidecar's own call
            if sidecar.dir.exists():
                self._link_logs(sidecar)
        self.ctx.agents.add(sidecar)
        self.info(
            f"Sidecar '{name}' connected as {agent_id} (pid {sidecar.pid}, wake {wake.value}, "
            f"capabilities {', '.join(caps)}, token {mask(sidecar.token)})"
        )
        return name

    @keyword(tags=["Sidecar"])
    def kill_sidecar_process(self, name: str) -> None:
        """Kills the sidecar's whole process group with SIGKILL, like a crash.

        The operating system closes its TCP connection (no WebSocket close frame), and
        its ``queue.json`` keeps the task it was working on. The agent stays registered
        and can come back with `Restart Sidecar Process`.

        Args:
            name: short name of the sidecar.

        Example:
        | `Kill Sidecar Process` | victim |
        """
        sidecar = self.sidecar(name)
        pid = sidecar.pid
        code = sidecar.kill()
        active = (sidecar.queue().get("active") or {}).get("task_id")
        held = f"; its queue.json holds {active}" if active else "; its queue.json is empty"
        self.info(f"Sidecar '{name}' (pid {pid}) killed with SIGKILL (exit code {code}){held}.")

    @keyword(tags=["Sidecar"])
    def restart_sidecar_process(
        self,
        name: str,
        wake: WakeBehaviour | None = None,
        delay: timedelta | None = None,
        timeout: Timeout = None,
    ) -> None:
        """Starts the sidecar again in the same directory and waits until the hub lists it.

        It finds its ``queue.json``: a task it held is reported with ``task_recovering``
        (see `Wait Until Sidecar Reports Recovery`).

        Args:
            name: short name of the sidecar (killed or exited).
            wake: a new wake behaviour for the tasks it runs from now on.
            delay: a new delay for ``delay``.
            timeout: how long to wait for the connection; default: the library timeout.

        Example:
        | `Restart Sidecar Process` | victim | wake=succeed |
        """
        sidecar = self.sidecar(name)
        if wake is not None or delay is not None:
            sidecar.set_behaviour(
                wake or sidecar.behaviour.behaviour,
                None if delay is None else delay.total_seconds(),
            )
        held = (sidecar.queue().get("active") or {}).get("task_id")
        sidecar.restart(seconds(timeout, self.ctx.config.connect_timeout))
        note = f"; it will report {held} as recovering" if held else ""
        self.info(
            f"Sidecar '{name}' restarted (pid {sidecar.pid}, wake "
            f"{sidecar.behaviour.behaviour.value}){note}."
        )

    @keyword(tags=["Sidecar"])
    def set_sidecar_wake_behaviour(
        self, name: str, wake: WakeBehaviour, delay: timedelta | None = None
    ) -> None:
        """Changes what the sidecar's wake command does from its next task on.

        Args:
            name: short name of the sidecar.
            wake: ``succeed``, ``fail``, ``hang`` or ``delay``.
            delay: a new delay for ``delay``; unchanged when left out.

        Example:
        | `Set Sidecar Wake Behaviour` | worker | delay | delay=2s |
        """
        self.sidecar(name).set_behaviour(wake, None if delay is None else delay.total_seconds())
        self.info(f"Sidecar '{name}' wake behaviour: {wake.value}")

    @keyword(tags=["Sidecar"])
    def wait_until_sidecar_is_working_on_task(
        self, name: str, task_id: str | None = None, timeout: timedelta = timedelta(seconds=15)
    ) -> str:
        """Waits until the sidecar's ``queue.json`` shows a task in status ``working``
        (the wake command confirmed it) and returns that task's id.

        Args:
            name: short name of the sidecar.
            task_id: the task expected; default: any task.
            timeout: how long to wait.

        Returns:
            The task id.

        Example:
        | ${task} = | `Wait Until Sidecar Is Working On Task` | victim |
        """
        sidecar = self.sidecar(name)
        deadline = Deadline(timeout.total_seconds())
        while True:
            active = sidecar.queue().get("active") or {}
            if active.get("status") == "working" and task_id in (None, active.get("task_id")):
                self.info(f"Sidecar '{name}' is working on {active['task_id']}.")
                return active["task_id"]
            if deadline.expired or not sidecar.running:
                wanted = task_id or "a task"
                raise AssertionError(
                    f"Sidecar '{name}' was expected to be working on {wanted} within "
                    f"{human(timeout)}, but its queue.json shows "
                    f"{_describe_active(active)} (process "
                    f"{'running' if sidecar.running else 'not running'}).\n"
                    f"{sidecar.describe_logs()}"
                )
            time.sleep(POLL)

    @keyword(tags=["Sidecar"])
    def wait_until_sidecar_reports_recovery(
        self, name: str, task_id: str, timeout: timedelta = timedelta(seconds=15)
    ) -> str:
        """Waits until the restarted sidecar has reported the task it held with
        ``task_recovering`` and got the hub's answer, and returns the answer
        (``task_continue`` or ``task_reassign``).

        The answer is read from the sidecar's log (either known log shape). When the log
        cannot be read, a warning says so and the answer is the one the hub's records
        imply: ``task_continue`` when the task was assigned when the sidecar identified
        again (or the hub handed it straight back to it), else ``task_reassign``.

        Args:
            name: short name of the sidecar.
            task_id: the task it held when it went down.
            timeout: how long to wait.

        Returns:
            ``task_continue`` or ``task_reassign``.

        Example:
        | ${answer} = | `Wait Until Sidecar Reports Recovery` | victim | ${task} |
        """
        sidecar = self.sidecar(name)
        deadline = Deadline(timeout.total_seconds())
        while True:
            answer, source = self._recovery_answer(sidecar, task_id)
            if answer:
                self.info(f"Sidecar '{name}' reported {task_id} as recovering; {source}: {answer}.")
                return answer
            if deadline.expired:
                summary = sidecar.summary()
                sent = "sent" if task_id in summary.recovering else "did not send"
                raise AssertionError(
                    f"Sidecar '{name}' was expected to report {task_id} as recovering and get "
                    f"task_continue or task_reassign within {human(timeout)}; its log "
                    f"({summary.format} format) shows it {sent} task_recovering for it and no "
                    f"answer, and the hub's records do not settle it either: "
                    f"{self._history(task_id)}.\n{sidecar.describe_logs()}"
                )
            time.sleep(POLL)

    def _recovery_answer(self, sidecar: SidecarProcess, task_id: str) -> tuple[str | None, str]:
        """The latest answer and where it was read: the log, else the hub's records."""
        if sidecar.log_shape().readable:
            answers = sidecar.recovery_answers(task_id)[task_id]
            return (answers[-1] if answers else None), "the hub answered (sidecar log)"
        sidecar.warn_once(
            "log:recovery",
            f"Sidecar '{sidecar.name}' ({sidecar.agent_id}): "
            f"{sidecar.log_problem()}. Its task_recovering and the hub's answer cannot be "
            "read from it; the answer is judged from the hub's records of the task instead.",
        )
        return sidecar.recovery_answer_from_hub(task_id), "the hub's records imply"

    def _history(self, task_id: str) -> str:
        try:
            task = self.client.get_task(task_id)
        except HubError as error:
            return f"hub records unavailable ({error})"
        names = self.ctx.agent_names()
        return f"status {task.status}, history " + ", ".join(e.describe(names) for e in task.events)

    @keyword(tags=["Sidecar"])
    def sidecar_recovery_answer_should_be(self, name: str, task_id: str, expected: str) -> None:
        """Fails unless the hub's latest answer to the sidecar's ``task_recovering`` for
        the task was ``expected`` (``task_continue`` or ``task_reassign``).

        The answer is read from the sidecar's log and checked against what the hub's
        records of the task imply; with a log that cannot be read (a warning says so), the
        hub's records alone decide.

        Args:
            name: short name of the sidecar.
            task_id: the task it reported as recovering.
            expected: ``task_continue`` or ``task_reassign``.

        Example:
        | `Sidecar Recovery Answer Should Be` | victim | ${task} | task_reassign |
        """
        if expected not in RECOVERY_ANSWERS:
            raise ValueError(f"expected must be task_continue or task_reassign, got {expected!r}")
        sidecar = self.sidecar(name)
        seen, source = self._recovery_answer(sidecar, task_id)
        implied = sidecar.recovery_answer_from_hub(task_id)
        if seen != expected or implied not in (None, expected):
            raise AssertionError(
                f"Sidecar '{name}': expected the hub to answer {expected} to task_recovering "
                f"for {task_id}, but {source}: {seen or 'no answer'} (the hub's records "
                f"imply {implied or 'nothing yet'}: {self._history(task_id)})."
            )
        self.info(f"Sidecar '{name}': {source} {expected} for {task_id}.")

    @keyword(tags=["Sidecar"])
    def sidecar_log_should_match_hub_records(self, name: str) -> None:
        """Cross-checks the sidecar's own log with the hub's records, which are the
        authority.

        The hub's records must show every task it credits to this agent (since the
        sidecar started) completed exactly once. When the log can be read (either known
        shape), every completion it shows acknowledged must be one of those, each of those
        must be acknowledged in it, and none may have been rejected. A log that cannot be
        read (no event line of a known shape, or no ``task_ack`` lines) does not fail the
        test: a warning names the file and what was expected.

        Args:
            name: short name of the sidecar.

        Example:
        | `Sidecar Log Should Match Hub Records` | worker-1 |
        """
        sidecar = self.sidecar(name)
        try:
            completed = self.client.list_tasks(status="completed")
        except HubError as error:
            raise AssertionError(f"Sidecar '{name}': hub records unavailable: {error}") from None
        from_hub = hub_records.completed_by_agent(completed, sidecar.agent_id, sidecar.started_ms)
        counts = hub_records.completion_counts(t for t in completed if t.id in set(from_hub))
        problems = [
            f"the hub's history of {task_id} has {n} 'completed' events"
            for task_id, n in counts.items()
            if n != 1
        ]
        problem = sidecar.log_problem()
        summary = sidecar.summary()
        if problem is not None:
            self.warn(
                f"Sidecar '{name}' ({sidecar.agent_id}): {problem}. Its log is not "
                f"cross-checked; the hub's records alone show {len(from_hub)} completions "
                "by it."
            )
        else:
            problems += _log_vs_hub(summary, from_hub)
        if problems:
            detail = "; ".join(problems)
            raise AssertionError(f"Sidecar '{name}' ({sidecar.agent_id}): {detail}")
        checked = (
            "the hub's records (log not readable)"
            if problem
            else f"its log ({summary.format} format) and the hub's records"
        )
        self.info(f"Sidecar '{name}': {len(from_hub)} completions agree in {checked}.")

    @keyword(tags=["Sidecar"])
    def get_sidecar_log_summary(self, name: str) -> dict:
        """Returns what the sidecar's log says it did, as a dictionary: ``format``,
        ``received``, ``sent_completions``, ``acknowledged_completions``,
        ``rejected_completions``, ``rejected_assignments``, ``recovering``,
        ``recovery_answers``, ``hub_errors``, ``starts``.

        Args:
            name: short name of the sidecar.

        Example:
        | ${summary} = | `Get Sidecar Log Summary` | worker-1 |
        """
        sidecar = self.sidecar(name)
        summary = dict(vars(sidecar.summary()))
        summary["format"] = sidecar.log_shape().format
        return summary

    # -- logging ---------------------------------------------------------------------------

    def _link_logs(self, sidecar: SidecarProcess) -> None:
        links = ", ".join(
            f'<a href="{html.escape(_href(path))}">{html.escape(path.name)}</a>'
            for path in (sidecar.paths.log, sidecar.paths.process_log)
        )
        self.info(
            f"Sidecar '{html.escape(sidecar.name)}' directory "
            f"<code>{html.escape(str(sidecar.dir))}</code>, logs: {links}",
            html=True,
        )


def _log_vs_hub(summary: SidecarLogSummary, from_hub: list[str]) -> list[str]:
    """What a readable log says that disagrees with the hub's completions."""
    logged = summary.acknowledged_completions
    problems = []
    if summary.rejected_completions:
        rejected = "; ".join(f"{t}: {e}" for t, e in summary.rejected_completions)
        problems.append(f"the hub rejected completions: {rejected}")
    if sorted(set(logged)) != sorted(logged):
        problems.append(f"completions acknowledged twice: {id_list(logged)}")
    if missing := sorted(set(from_hub) - set(logged)):
        problems.append(
            f"completed by it in the hub but not acknowledged in its log: {id_list(missing)}"
        )
    if extra := sorted(set(logged) - set(from_hub)):
        problems.append(
            f"acknowledged in its log but not completed by it in the hub: {id_list(extra)}"
        )
    return problems


def _describe_active(active: dict) -> str:
    if not active:
        return "no active task"
    return f"{active.get('task_id')} in status {active.get('status')}"


def _robot_variable(name: str, default: object) -> object:
    try:
        return BuiltIn().get_variable_value(name, default)
    except RobotNotRunningError:
        return default


def _href(path: Path) -> str:
    """A link to ``path``: relative to the log file's directory when it has one."""
    log_file = _robot_variable("${LOG FILE}", "NONE")
    if log_file and str(log_file).upper() != "NONE":
        try:
            return os.path.relpath(path, Path(str(log_file)).parent)
        except ValueError:
            pass
    return path.resolve().as_uri()
