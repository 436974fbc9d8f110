"""Keywords of the hub session: open/close, health, tokens, restart."""

from __future__ import annotations

import os
import re
import shlex
from datetime import timedelta

from robot.api import SkipExecution, logger
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn
from robotlibcore import keyword

from ..context import HubSession, new_run_id
from ..hubapi import early_start
from ..hubapi.client import TOKEN_SOURCES, HubClient, HubError, HubRequestError, HubUnavailable
from ..hubapi.embedded import EmbeddedHub
from ..hubapi.launcher import HubLauncher, TokenSource, parse_ports
from ..hubapi.notahub import looks_like_a_page, not_a_hub
from ..hubapi.timers import HubTimers
from ..util.choices import RestartMode
from ..util.errors import AgentComAssertion, AgentComError
from ..util.formatting import id_list, plural
from ..util.masking import mask
from ..util.timeutil import hub_duration, human
from .base import LibraryComponent, Timeout, robot_variable

TOKEN_ENV = "AGENTCOM_TOKEN"
FIRST_CONTACT_TIMEOUT = 5.0  # seconds for an external hub's first GET /health
SETUP_ERROR = "Setup error, the product was not tested:"
# the class name Robot puts before the message of an exception without ROBOT_SUPPRESS_NAME
_CLASS_NAME = re.compile(r"^(?:[A-Z]\w*\.)*[A-Z]\w*(?:Error|Exception): ")


class SessionKeywords(LibraryComponent):
    @keyword(tags=["Session"])
    def open_hub_session(
        self,
        hub_url: str | None = None,
        bootstrap_token: Secret | str | None = None,
        hub_faults: str | list[str] | None = None,
        allow_foreign_tasks: bool | None = None,
        acceptance_timeout: Timeout = None,
        hub_options: list[str] | str | None = None,
    ) -> str:
        """Opens a session with a hub and returns the new run id.

        With an empty ``hub_url`` the library starts the embedded hub in a fresh
        temporary directory and uses its bootstrap token; otherwise it uses the hub at
        ``hub_url`` with ``bootstrap_token`` (default: environment variable
        ``AGENTCOM_TOKEN``). Either way it checks ``GET /health`` first, and it stops
        when the hub has queued tasks that need no capability (any agent of this suite
        could be handed them) unless ``allow_foreign_tasks`` is true.

        Arguments left out take the library's import arguments. An open session is
        closed first.

        Args:
            hub_url: URL of a running hub (``http://127.0.0.1:4000``); empty: the embedded hub.
            bootstrap_token: a token the hub knows; a Robot ``Secret`` or a string.
            hub_faults: fault names for the embedded hub, comma separated.
            allow_foreign_tasks: run even if the hub has capability-free queued tasks.
            acceptance_timeout: the embedded hub's acceptance timeout (its default is 60 s);
                an external hub keeps its own, so the option is only logged there.
            hub_options: more command line options for the embedded hub,
                e.g. ``--stuck-threshold 2s --stuck-sweep-interval 200ms``.

        Returns:
            The run id (8 hex characters): agents are ``smoke-<run>-<name>``.

        Example:
        | ${run} = | `Open Hub Session` | hub_faults=no-idle-scheduling |
        """
        if self.ctx.session is not None:
            self.warn("A hub session was still open; closing it before opening a new one.")
            self._log_hub_tail()
            for note in self.ctx.close_current():
                self.warn(f"Close Hub Session: {note}")
        options = _options(hub_options) + _acceptance(acceptance_timeout)
        session = self._open(
            hub_url=hub_url,
            token=bootstrap_token,
            hub_faults=hub_faults,
            allow_foreign=allow_foreign_tasks,
            options=options,
        )
        self.ctx.open_session(session, _suite())
        return session.run_id

    @keyword(tags=["Session"])
    def open_private_hub_session(
        self,
        hub_faults: str | list[str] | None = None,
        allow_foreign_tasks: bool | None = None,
        acceptance_timeout: Timeout = None,
        hub_options: list[str] | str | None = None,
        host: str = "127.0.0.1",
    ) -> str:
        """Opens a session with a hub of its own for the tests that follow, and returns its
        run id; `Close Hub Session` stops that hub and goes back to the session that was
        open before (the run's shared hub).

        For a suite that restarts or breaks the hub, or needs other hub timers, while the
        other suites share one hub (``suites/__init__.robot`` opens it). The hub is another
        embedded hub, or, when the run uses ``HUB_COMMAND``, another instance of that
        command (a new port, a new state dir; ``acceptance_timeout`` and ``hub_options``
        are only logged: such a hub keeps its own timers, see `Get Hub Timer`). Against a
        hub at ``HUB_URL`` there is no hub of one's own: the suite goes on with the open
        session (or opens one) under a new run id, the options are only logged, and tests
        tagged ``managed-hub`` or ``embedded-only`` skip there.

        Args:
            hub_faults: fault names for the private hub, comma separated; default: the
                library's ``hub_faults``.
            allow_foreign_tasks: run even if the hub has capability-free queued tasks.
            acceptance_timeout: the private hub's acceptance timeout (its default is 60 s).
            hub_options: more command line options for the private hub,
                e.g. ``--ping-timeout 1s``.
            host: the address the private hub binds (``{host}`` of ``HUB_COMMAND``), e.g.
                the network lab's hub side address.

        Returns:
            The run id of the private session.

        Example:
        | Suite Setup | `Open Private Hub Session` | acceptance_timeout=2s |
        | Suite Teardown | `Close Hub Session` | |
        """
        url = self.ctx.config.hub_url.strip()
        options = _options(hub_options) + _acceptance(acceptance_timeout)
        if url:
            _refuse_faults(url, _split_list(hub_faults))
            if options:
                self.info(
                    f"No private hub against the hub at {self.ctx.config.hub_url}: its own "
                    f"timers apply; the options {' '.join(options)} are not used."
                )
            return self.join_hub_session()
        session = self._open(
            hub_url="",
            hub_faults=hub_faults,
            allow_foreign=allow_foreign_tasks,
            options=options,
            host=host,
        )
        self.ctx.enter_session(session, _suite())
        return session.run_id

    @keyword(tags=["Session"])
    def join_hub_session(self, bootstrap_token: Secret | str | None = None) -> str:
        """Goes on with the hub session that is open, under a new run id, and returns that
        id; opens a session (as `Open Hub Session` with the import arguments) when none
        is open. `Close Hub Session` then leaves it: it closes the session only if this
        keyword opened it.

        A suite file joins the run's shared hub this way (``Start AgentCom Suite`` in
        ``resources/agentcom.resource``): its agents and tasks carry their own run id, so
        a task an earlier suite left queued is never handed to them. Run alone (without
        ``suites/__init__.robot``) the file still gets a hub.

        Args:
            bootstrap_token: the token for a session it opens (see `Open Hub Session`).

        Returns:
            The run id (8 hex characters): agents are ``smoke-<run>-<name>``.

        Example:
        | ${run} = | `Join Hub Session` |
        """
        session = self.ctx.session
        if session is None:
            session = self._open(token=bootstrap_token)  # a suite file run alone
        else:
            self.info(f"Joined the hub session at {session.url}; run id {session.new_run()}")
        self.ctx.enter_session(session, _suite())
        return session.run_id

    def _open(
        self,
        *,
        hub_url: str | None = None,
        token: Secret | str | None = None,
        hub_faults: str | list[str] | None = None,
        allow_foreign: bool | None = None,
        options: list[str] | None = None,
        host: str = "127.0.0.1",
    ) -> HubSession:
        """A new session (not yet current), checked for foreign tasks; see `Open Hub Session`.
        Arguments left out (None) take the library's import arguments."""
        config = self.ctx.config
        url = (config.hub_url if hub_url is None else hub_url).strip()
        faults = _split_list(config.hub_faults if hub_faults is None else hub_faults)
        allow = config.allow_foreign_tasks if allow_foreign is None else allow_foreign
        options = options or []
        command = config.hub_command.strip()
        if url and command:
            raise ValueError(
                f"Both HUB_URL ('{url}') and HUB_COMMAND are set: give HUB_URL for a hub that "
                "runs already, or HUB_COMMAND for a hub the library starts, not both."
            )
        if url or command:
            _refuse_faults(url, faults)
            if options:
                self.info(
                    f"The hub {'at ' + url if url else 'of HUB_COMMAND'} runs with its own "
                    f"timers; the embedded hub options {' '.join(options)} are not used."
                )
        session = self._external(url, token) if url else self._managed(faults, options, host, token)
        try:
            self._check_foreign_tasks(session, allow)
        except BaseException:
            self._close_unused(session)
            raise
        hub = session.managed
        if session.embedded:
            begun = session.embedded.begun_early
            early = ", started while the library was imported" if begun else ""
            where = (
                f"embedded hub at {session.url} (pid {hub.pid}, faults: {id_list(faults)}{early})"
            )
        elif hub is not None:
            where = (
                f"hub started by HUB_COMMAND at {session.url} (pid {hub.pid}, state "
                f"{hub.state_dir}, {hub.token_source.describe()}): {hub.shown_command()}"
            )
        else:
            where = f"hub at {session.url}"
        if hub is not None and hub.lost_ports:
            where += (
                f"; another process took port(s) {id_list(map(str, hub.lost_ports))} before "
                "the hub could bind it, so it was started again on another"
            )
        self.info(
            f"Hub session open: {where}; run id {session.run_id}; "
            f"bootstrap token {mask(session.client.token)}"
        )
        return session

    def _close_unused(self, session: HubSession) -> None:
        current, owner = self.ctx.session, self.ctx.session_owner
        self.ctx.session = session
        try:
            self.ctx.close_current()
        finally:
            self.ctx.session, self.ctx.session_owner = current, owner

    def _managed(
        self, faults: list[str], options: list[str], host: str, token: Secret | str | None
    ) -> HubSession:
        """A session with a hub the library starts: the command of ``HUB_COMMAND``, else
        the embedded hub (the same launcher with the generated command)."""
        config = self.ctx.config
        hub: HubLauncher
        if config.hub_command.strip():
            early_start.discard()
            hub = HubLauncher(
                config.hub_command,
                token=self._token_source(token),
                host=host,
                cwd=config.hub_cwd,
                start_timeout=config.connect_timeout,
                timers=HubTimers().overridden(config.hub_timers),
                ports=parse_ports(config.hub_ports),
            ).start()
        elif (early := early_start.claim(faults, options, host)) is not None:
            early.start_timeout = config.connect_timeout
            hub = early.wait_started()  # begun while the library was imported
        else:
            hub = EmbeddedHub(
                faults=faults, options=options, start_timeout=config.connect_timeout, host=host
            ).start()
        client = HubClient(hub.url, hub.token, timeout=config.reply_timeout)
        # a hub the library started is near: no proxy applies, and requests would read the
        # environment's proxy settings again on every request (about 0.1 ms each)
        client.session.trust_env = False
        session = HubSession(client, new_run_id(), hub.ws_url, managed=hub, timers=hub.timers)
        try:
            _health(client)
        except BaseException:
            hub.stop()
            raise
        return session

    def _token_source(self, token: Secret | str | None) -> TokenSource:
        """Where the bootstrap token of a ``HUB_COMMAND`` hub comes from."""
        config = self.ctx.config
        if config.hub_token_file and config.hub_token_command:
            raise ValueError(
                "Both HUB_TOKEN_FILE and HUB_TOKEN_COMMAND are set: give one way to get the "
                "hub's bootstrap token."
            )
        if config.hub_token_file:
            return TokenSource("file", config.hub_token_file)
        if config.hub_token_command:
            return TokenSource("command", config.hub_token_command)
        if token is None:
            token = config.bootstrap_token
        value = (token.value if isinstance(token, Secret) else token) or ""
        value = value or os.environ.get(TOKEN_ENV, "")
        if not value:
            raise ValueError(
                "No bootstrap token for the hub of HUB_COMMAND: set HUB_TOKEN_FILE (a file the "
                "hub writes, e.g. {state_dir}/bootstrap.token), HUB_TOKEN_COMMAND (a command "
                "that prints a token, run in the fresh state before the hub starts) or the "
                f"environment variable {TOKEN_ENV}. See docs/managed-hub.md."
            )
        return TokenSource("given", value)

    def _external(self, url: str, token: Secret | str | None) -> HubSession:
        early_start.discard()
        if token is None:
            token = self.ctx.config.bootstrap_token
        value = token.value if isinstance(token, Secret) else token
        value = value or os.environ.get(TOKEN_ENV, "")
        client = HubClient(url, value, timeout=self.ctx.config.reply_timeout)
        # first: no token helps when nothing answers at the URL; and a hub that does not
        # answer its health check within a few seconds is a setup error, said at once
        client.timeout = min(client.timeout, FIRST_CONTACT_TIMEOUT)
        try:
            _health(client)
        finally:
            client.timeout = self.ctx.config.reply_timeout
        if not value:
            client.close()
            raise ValueError(
                f"No bootstrap token for the hub at {url}: set BOOTSTRAP_TOKEN or the "
                f"environment variable {TOKEN_ENV} to a token the hub knows. {TOKEN_SOURCES}"
            )
        timers = HubTimers().overridden(self.ctx.config.hub_timers)
        return HubSession(client, new_run_id(), client.ws_url, timers=timers)

    def _check_foreign_tasks(self, session: HubSession, allow: bool) -> None:
        try:
            queued = session.client.list_tasks(status="queued")
        except HubRequestError as error:
            if error.status == 401:
                raise AgentComAssertion(
                    f"The hub at {session.url} rejected the bootstrap token "
                    f"{mask(session.client.token)} (401 unauthorized). {TOKEN_SOURCES}"
                ) from None
            raise
        open_to_all = [t for t in queued if not t.needed_capabilities]
        if not open_to_all:
            return
        listing = "; ".join(
            f"{t.id} '{t.description}' (submitted by {t.submitted_by})" for t in open_to_all[:10]
        )
        message = (
            f"The hub at {session.url} has {plural(len(open_to_all), 'queued task')} that "
            f"need no capability, so it may hand them to this suite's agents: {listing}."
        )
        if allow:
            self.warn(message + " Running anyway (allow_foreign_tasks).")
            return
        raise AgentComAssertion(
            message + " Drain them first, or set ALLOW_FOREIGN_TASKS to True to run anyway."
        )

    @keyword(tags=["Session"])
    def close_hub_session(self) -> None:
        """Stops every agent, revokes the tokens it made and stops the embedded hub, then
        goes back to the session that was open before `Open Private Hub Session` or
        `Join Hub Session`, if any (a joined session is left, not closed).

        Safe to call when no session is open. The last log lines of a hub the library
        started are logged (collapsed) before its run directory is removed.

        Example:
        | `Close Hub Session` |
        """
        suite, owner = _suite(), self.ctx.session_owner
        if suite and owner and owner != suite:
            self.ctx.stop_agents()
            self.info(
                f"Close Hub Session: the hub session at {self.ctx.require_session().url} was "
                f"opened by the suite '{owner}', not by this one; it stays open."
            )
            return
        outer = self.ctx.outer_sessions[-1][0] if self.ctx.outer_sessions else None
        if outer is not self.ctx.session:
            self._log_hub_tail()
        for note in self.ctx.leave_session():
            self.warn(f"Close Hub Session: {note}")
        if outer is not None:
            self.info(f"Back on the hub session at {outer.url}.")

    def _log_hub_tail(self) -> None:
        session = self.ctx.session
        if session is not None and session.managed is not None:
            hub = session.managed
            what = "Embedded hub log" if session.embedded else "Hub log (HUB_COMMAND)"
            self.log_details(f"{what} (last 40 lines)", hub.log_tail(40))

    @keyword(tags=["Session"])
    def stop_run_on_setup_error(self, error: str) -> None:
        """Stops the run because its set-up failed (no hub at ``HUB_URL``, no token or a
        rejected one, ...), saying plainly that the product was not tested.

        It logs one error (the first line on the console), puts it in the top suite's
        metadata as ``Setup error`` and at the head of its documentation, then fails with
        it. Called in the top suite's setup, so Robot runs no test and marks each one
        "Parent suite setup failed" with the same message; the exit code is non-zero.

        Args:
            error: what went wrong and what to do, e.g. the failure of `Open Hub Session`.

        Example:
        | TRY | | |
        | | `Open Hub Session` | |
        | EXCEPT | AS | ${error} |
        | | `Stop Run On Setup Error` | ${error} |
        | END | | |
        """
        message = f"{SETUP_ERROR} {_without_class_name(error)}"
        builtin = BuiltIn()
        doc = builtin.get_variable_value("${SUITE DOCUMENTATION}", "") or ""
        builtin.set_suite_metadata("Setup error", message, top=True)
        builtin.set_suite_documentation(f"*{message}*\n\n{doc}".rstrip(), top=True)
        logger.error(message)
        raise AgentComError(message)

    @keyword(tags=["Session"])
    def hub_should_be_healthy(self) -> None:
        """Fails unless ``GET /health`` answers ``{"status": "ok", ...}``.

        Example:
        | `Hub Should Be Healthy` |
        """
        body = _health(self.client)
        self.info(f"Hub at {self.client.base_url} is healthy: {body}")

    @keyword(tags=["Session"])
    def create_agent_token(self, agent_id: str) -> Secret:
        """Creates a token for ``agent_id`` and returns it as a Robot ``Secret``.

        The library revokes tokens it created on an external hub when the session closes.

        Args:
            agent_id: the hub agent id the token is bound to (used as given).

        Returns:
            The token as a ``Secret`` (its ``value`` holds the 64 hex characters).

        Example:
        | ${token} = | `Create Agent Token` | smoke-${run}-outsider |
        """
        token = self.session.create_token(agent_id)
        self.info(f"Created a token for {agent_id}: {mask(token)}")
        return Secret(token)

    @keyword(tags=["Session"])
    def revoke_agent_token(self, agent_id: str) -> None:
        """Revokes every token of ``agent_id``.

        Args:
            agent_id: the hub agent id.

        Example:
        | `Revoke Agent Token` | smoke-${run}-outsider |
        """
        body = self.session.revoke_tokens(agent_id)
        self.info(f"Revoked the tokens of {agent_id}: {body}")

    @keyword(tags=["Session"])
    def restart_hub(self, mode: RestartMode = RestartMode.KILL, fresh: bool = False) -> None:
        """Stops the hub the library started (embedded, or ``HUB_COMMAND``) and starts it
        again on the same state and port, then waits until it answers ``GET /health``.
        With ``fresh`` it starts on an empty state instead, as a new hub would (no tasks,
        no tokens, a new bootstrap token, counters from zero), still on the same port.

        Connected agents lose their connections; use `Reconnect Agent` or
        `Reconnect All Agents` to bring them back. Fails against a hub at ``HUB_URL``
        (tag such tests ``managed-hub``: they skip there). A hub that does not come back
        fails the keyword with the last lines of its log.

        Args:
            mode: ``kill`` (SIGKILL to its process group, a crash) or ``terminate``
                (SIGTERM, a clean shutdown; SIGKILL after 5 s).
            fresh: start on an empty state (what the hub stored is gone).

        Example:
        | `Restart Hub` | mode=kill | |
        | `Restart Hub` | mode=kill | fresh=True |
        """
        session = self.session
        hub = session.managed
        if hub is None:
            raise AgentComAssertion(
                f"Restart Hub needs a hub the library starts (the embedded hub, or "
                f"HUB_COMMAND), but this session uses the hub at {session.url}; tag the test "
                f"'managed-hub' and it skips there."
            )
        session.check_hub_process()  # a hub that died by itself is a finding, not a restart
        mode = RestartMode(mode)  # also when called from Python with a plain string
        old_pid = hub.pid
        hub.restart(mode, fresh=fresh)
        session.client.token = hub.token
        if fresh:
            session.token_owners.clear()  # the tokens it made are gone with the state
        _health(session.client)
        self.info(
            f"{hub.name} restarted ({mode.value}{', fresh state' if fresh else ''}): pid "
            f"{old_pid} -> {hub.pid}, still at {session.url}"
        )

    @keyword(tags=["Session"])
    def restart_embedded_hub(self, mode: RestartMode = RestartMode.KILL) -> None:
        """*DEPRECATED* Use `Restart Hub`, which restarts any hub the library started.

        Args:
            mode: ``kill`` or ``terminate`` (see `Restart Hub`).

        Example:
        | `Restart Hub` | mode=kill |
        """
        self.restart_hub(mode)

    @keyword(tags=["Session"])
    def skip_test_if_it_needs_the_embedded_hub(
        self, tag: str = "embedded-only", managed_tag: str = "managed-hub"
    ) -> None:
        """Skips the current test, saying why, when its tags ask for a hub this run does
        not have: ``tag`` (``embedded-only``: it needs the embedded hub's fault switches or
        timer options) when the hub is not the embedded one; ``managed_tag``
        (``managed-hub``: it restarts the hub) when the hub is one at ``HUB_URL``, which
        the library cannot restart.

        Args:
            tag: the tag of tests that need the embedded hub.
            managed_tag: the tag of tests that need a hub the library starts.

        Example:
        | [Setup] | `Skip Test If It Needs The Embedded Hub` |
        """
        session = self.ctx.session
        if session is None or session.embedded is not None:
            return
        tags = BuiltIn().get_variable_value("@{TEST TAGS}", []) or []
        if tag in tags:
            what = "the hub of HUB_COMMAND" if session.managed else f"the hub at {session.url}"
            raise SkipExecution(
                f"This test is tagged '{tag}': it needs the embedded hub's fault switches or "
                f"timer options; this run uses {what}."
            )
        if managed_tag in tags and session.managed is None:
            raise SkipExecution(
                f"This test is tagged '{managed_tag}': it restarts the hub, which needs a hub "
                f"the library starts (the embedded hub, or HUB_COMMAND); this run uses the "
                f"hub at {session.url}."
            )

    @keyword(tags=["Session"])
    def get_hub_timer(
        self, name: str, at_most: timedelta | None = None, slow_tag: str = "slow"
    ) -> float:
        """Returns one timer of the session's hub in seconds; with ``at_most``, skips the
        test when the timer is longer, unless the test is tagged ``slow_tag``.

        The embedded hub's timers are what it was started with (``hub_options``,
        ``acceptance_timeout``); any other hub's are the contract's values (60 s for the
        acceptance and ping timeouts), or what ``HUB_TIMERS`` says
        (``--variable HUB_TIMERS:ping_timeout=30s,liveness_sweep=10s``). A test derives its
        deadlines from them, so a ``slow`` test runs with the hub's own timer, and a test
        that is not ``slow`` skips with the reason rather than wait minutes.

        Timers: ``acceptance_timeout``, ``ping_timeout``, ``liveness_sweep`` (how often the
        hub looks for agents past the ping timeout), ``idle_timeout``, ``stuck_threshold``,
        ``stuck_sweep_interval``, ``overdue_sweep_interval``.

        Args:
            name: the timer.
            at_most: the longest timer the test can wait on unless it is ``slow``.
            slow_tag: the tag of tests that may wait on the hub's own timers.

        Returns:
            The timer in seconds (a Robot time value: ``${timer}`` works as ``timeout=``).

        Example:
        | ${acceptance} = | `Get Hub Timer` | acceptance_timeout | at_most=5s |
        | `Wait Until Task Is Completed` | ${task} | timeout=${acceptance + 30} |
        """
        session = self.session
        value = session.timers.get(name)
        if at_most is None or value <= at_most.total_seconds():
            return value
        tags = BuiltIn().get_variable_value("@{TEST TAGS}", []) or []
        if slow_tag in tags:
            self.info(
                f"This test is tagged '{slow_tag}': it runs with the hub's own {name} of "
                f"{human(value)} ({session.timers.source})."
            )
            return value
        raise SkipExecution(
            f"This test needs the hub's {name} to be at most {human(at_most.total_seconds())}, "
            f"but the hub at {session.url} has {human(value)} ({session.timers.source}; a hub "
            f"the library cannot set timers on keeps its own; HUB_TIMERS says what they are). "
            f"Tests tagged '{slow_tag}' wait on such timers."
        )

    @keyword(tags=["Session"])
    def get_run_id(self) -> str:
        """Returns the run id of the open session (agents are ``smoke-<run>-<name>``).

        Example:
        | ${run} = | `Get Run Id` |
        """
        return self.session.run_id


def _suite() -> str:
    """The full name of the running suite ("" outside a Robot run)."""
    return robot_variable("${SUITE NAME}")


def _without_class_name(error: str) -> str:
    return _CLASS_NAME.sub("", str(error).strip(), count=1)


def _health(client: HubClient) -> dict:
    try:
        body = client.health()
    except HubUnavailable:
        raise
    except HubRequestError as error:
        if looks_like_a_page(error.body):  # a web server, not a hub: say so in one line
            raise AgentComAssertion(not_a_hub(client.base_url, error.status, error.body)) from None
        raise AgentComAssertion(f"Hub at {client.base_url} is not healthy: {error}") from None
    except HubError as error:
        raise AgentComAssertion(f"Hub at {client.base_url} is not healthy: {error}") from None
    if looks_like_a_page(body):
        raise AgentComAssertion(not_a_hub(client.base_url, 200, body))
    if not isinstance(body, dict) or body.get("status") != "ok":
        raise AgentComAssertion(
            f"Hub at {client.base_url} is not healthy: expected GET /health to answer "
            f'{{"status": "ok"}}, got {body!r}'
        )
    return body


def _split_list(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def _refuse_faults(url: str, faults: list[str]) -> None:
    if faults:
        hub = f"HUB_URL is '{url}'" if url else "the run uses HUB_COMMAND"
        raise ValueError(
            f"Hub faults only apply to the embedded hub, but {hub} (faults: {id_list(faults)})."
        )


def _acceptance(timeout: timedelta | None) -> list[str]:
    return [] if timeout is None else ["--acceptance-timeout", hub_duration(timeout)]


def _options(value: list[str] | str | None) -> list[str]:
    if not value:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
