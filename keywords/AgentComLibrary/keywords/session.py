"""Keywords of the hub session: open/close, health, tokens, restart."""

from __future__ import annotations

import os
import re
import shlex
from datetime import timedelta

from robot.api import SkipExecution, logger
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robotlibcore import keyword

from ..context import HubSession, new_run_id
from ..hubapi.client import TOKEN_SOURCES, HubClient, HubError, HubRequestError, HubUnavailable
from ..hubapi.embedded import EmbeddedHub
from ..hubapi.notahub import looks_like_a_page, not_a_hub
from ..util.choices import RestartMode
from ..util.errors import AgentComAssertion, AgentComError
from ..util.formatting import id_list, plural
from ..util.masking import mask
from ..util.timeutil import hub_duration
from .base import LibraryComponent

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
        acceptance_timeout: timedelta | None = None,
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
        session = self._open(hub_url, bootstrap_token, hub_faults, allow_foreign_tasks, options)
        self.ctx.open_session(session, _suite())
        return session.run_id

    @keyword(tags=["Session"])
    def open_private_hub_session(
        self,
        hub_faults: str | list[str] | None = None,
        allow_foreign_tasks: bool | None = None,
        acceptance_timeout: timedelta | None = None,
        hub_options: list[str] | str | None = None,
    ) -> str:
        """Opens a session with an embedded hub of its own for the tests that follow, and
        returns its run id; `Close Hub Session` stops that hub and goes back to the session
        that was open before (the run's shared hub).

        For a suite that restarts or breaks the hub, or needs other hub timers, while the
        other suites share one hub (``suites/__init__.robot`` opens it). Against an external
        hub (``HUB_URL`` set) there is no hub of one's own: the suite goes on with the open
        session (or opens one) under a new run id, and ``acceptance_timeout`` and
        ``hub_options`` are only logged; tests that need the private hub are tagged
        ``embedded-only`` and skip there.

        Args:
            hub_faults: fault names for the private hub, comma separated; default: the
                library's ``hub_faults``.
            allow_foreign_tasks: run even if the hub has capability-free queued tasks.
            acceptance_timeout: the private hub's acceptance timeout (its default is 60 s).
            hub_options: more command line options for the private hub,
                e.g. ``--ping-timeout 1s``.

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
        session = self._open("", None, hub_faults, allow_foreign_tasks, options)
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
        hub_url: str | None = None,
        token: Secret | str | None = None,
        hub_faults: str | list[str] | None = None,
        allow_foreign: bool | None = None,
        options: list[str] | None = None,
    ) -> HubSession:
        """A new session (not yet current), checked for foreign tasks; see `Open Hub Session`.
        Arguments left out (None) take the library's import arguments."""
        config = self.ctx.config
        url = (config.hub_url if hub_url is None else hub_url).strip()
        faults = _split_list(config.hub_faults if hub_faults is None else hub_faults)
        allow = config.allow_foreign_tasks if allow_foreign is None else allow_foreign
        options = options or []
        if url:
            _refuse_faults(url, faults)
            if options:
                self.info(
                    f"The hub at {url} runs with its own timers; the embedded hub options "
                    f"{' '.join(options)} are not used."
                )
            session = self._external(url, token)
        else:
            session = self._embedded(faults, options)
        try:
            self._check_foreign_tasks(session, allow)
        except BaseException:
            self._close_unused(session)
            raise
        where = (
            f"embedded hub at {session.url} (pid {session.embedded.pid}, faults: {id_list(faults)})"
            if session.embedded
            else f"hub at {session.url}"
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

    def _embedded(self, faults: list[str], options: list[str]) -> HubSession:
        config = self.ctx.config
        hub = EmbeddedHub(faults=faults, options=options, start_timeout=config.connect_timeout)
        hub.start()
        client = HubClient(hub.url, hub.token, timeout=config.reply_timeout)
        # on 127.0.0.1 no proxy applies, and requests would read the environment's proxy
        # settings again on every request (about 0.1 ms each, thousands of them per run)
        client.session.trust_env = False
        session = HubSession(client, new_run_id(), hub.ws_url, embedded=hub)
        try:
            _health(client)
        except BaseException:
            hub.stop()
            raise
        return session

    def _external(self, url: str, token: Secret | str | None) -> HubSession:
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
        return HubSession(client, new_run_id(), client.ws_url)

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

        Safe to call when no session is open. The embedded hub's last log lines are
        logged (collapsed) before its temporary directory is removed.

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
        if session is not None and session.embedded is not None:
            self.log_details("Embedded hub log (last 40 lines)", session.embedded.log_tail(40))

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
    def restart_embedded_hub(self, mode: RestartMode = RestartMode.KILL) -> None:
        """Stops the embedded hub and starts it again on the same data dir and port.

        Connected agents lose their connections; use `Reconnect Agent` to bring them back.
        Fails against an external hub.

        Args:
            mode: ``kill`` (SIGKILL, a crash) or ``terminate`` (SIGTERM, clean shutdown).

        Example:
        | `Restart Embedded Hub` | mode=kill |
        """
        session = self.session
        if session.embedded is None:
            raise AgentComAssertion(
                f"Restart Embedded Hub needs the embedded hub, but this session uses the hub "
                f"at {session.url}; tag the test 'embedded-only' and skip it there."
            )
        mode = RestartMode(mode)  # also when called from Python with a plain string
        old_pid = session.embedded.pid
        session.embedded.restart(mode)
        session.client.token = session.embedded.token
        _health(session.client)
        self.info(
            f"Embedded hub restarted ({mode.value}): pid {old_pid} -> {session.embedded.pid}, "
            f"still at {session.url}"
        )

    @keyword(tags=["Session"])
    def skip_test_if_it_needs_the_embedded_hub(self, tag: str = "embedded-only") -> None:
        """Skips the current test when it has ``tag`` and the session uses an external hub
        (tests that restart or break the hub can only run on the embedded one).

        Args:
            tag: the tag that marks such tests.

        Example:
        | [Setup] | `Skip Test If It Needs The Embedded Hub` |
        """
        session = self.ctx.session
        if session is None or session.embedded is not None:
            return
        tags = BuiltIn().get_variable_value("@{TEST TAGS}", []) or []
        if tag in tags:
            raise SkipExecution(
                f"This test is tagged '{tag}': it restarts or breaks the hub, which only the "
                f"embedded hub allows; this run uses the hub at {session.url}."
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
    try:
        return str(BuiltIn().get_variable_value("${SUITE NAME}", "") or "")
    except RobotNotRunningError:
        return ""


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
        raise ValueError(
            f"Hub faults only apply to the embedded hub, but HUB_URL is '{url}' "
            f"(faults: {id_list(faults)})."
        )


def _acceptance(timeout: timedelta | None) -> list[str]:
    return [] if timeout is None else ["--acceptance-timeout", hub_duration(timeout)]


def _options(value: list[str] | str | None) -> list[str]:
    if not value:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
