"""Probe keywords: raw frames and raw HTTP requests (wire probes), each checked against the
exact error the wire contract promises, so a hub that answers bad input wrongly is caught."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

import requests
from robotlibcore import keyword

from ..agents.probe import ProbeConnection, ProbeError
from ..context import LibraryContext
from ..hubapi.client import HubUnavailable
from ..report.probes_panel import ProbeCheck
from ..util.choices import TokenChoice
from ..util.errors import AgentComAssertion
from ..util.waiting import Outcome
from .base import LibraryComponent, Message, Timeout

UNAUTHORIZED_HINT = "provide Authorization: Bearer <token>"


class ProbeKeywords(LibraryComponent):
    """Probe connections and raw requests for the `contract` scenarios."""

    def __init__(self, ctx: LibraryContext) -> None:
        super().__init__(ctx)
        self._probes: dict[str, ProbeConnection] = {}
        self._sent: dict[str, str] = {}  # probe -> what it sent last (for the probes panel)

    def _checked(self, keyword: str, request: str, expected: str, got: str, ok: bool) -> None:
        """Note one check for the test's "Wire contract checks" panel."""
        self.ctx.test.probe_checks.append(ProbeCheck(keyword, request, expected, got, ok))

    def _reply(self, keyword: str, name: str, expected: str, key: str = "reply", **wait: Any):
        """The probe's next message of ``key``; a timeout is noted as a failed check."""
        try:
            return self._wait_for_message(name, key, wait.get("timeout"), wait.get("message"))
        except AssertionError as error:
            self._checked(keyword, self._sent.get(name, ""), expected, str(error), False)
            raise

    # -- WebSocket probes --------------------------------------------------------------------

    @keyword(tags=["Contract"])
    def open_probe_connection(self, name: str = "probe") -> str:
        """Opens a raw WebSocket to the hub that sends only what it is told to.

        The probe does not identify by itself and never answers the hub. Use it to send
        malformed or out-of-order frames and check the hub's exact reply. Probes are
        closed when the test's agents are stopped.

        Args:
            name: the probe's name in later keywords.

        Example:
        | `Open Probe Connection` | probe |
        | `Send Frame` | probe | {"type": "ping"} |
        | `Next Reply Should Be Error` | probe | not_identified |
        """
        self.close_probe_connection(name)
        self._probes[name] = ProbeConnection(
            name, self.session.ws_url, history=self.ctx.test.history
        )
        self.ctx.on_agents_stopped(self._close_all)
        return name

    @keyword(tags=["Contract"])
    def close_probe_connection(self, name: str = "probe") -> None:
        """Closes the named probe connection if it is open.

        Example:
        | `Close Probe Connection` | probe |
        """
        probe = self._probes.pop(name, None)
        if probe is not None:
            probe.close()

    def _close_all(self) -> None:
        for name in list(self._probes):
            self.close_probe_connection(name)

    def _probe(self, name: str) -> ProbeConnection:
        try:
            return self._probes[name]
        except KeyError:
            raise ProbeError(
                f"No probe connection named '{name}' is open; use 'Open Probe Connection'."
            ) from None

    @keyword(tags=["Contract"])
    def send_identify(
        self,
        name: str = "probe",
        agent: str = "probe",
        token: TokenChoice = TokenChoice.OWN,
        takes_tasks: bool = False,
        extra: dict[str, Any] | None = None,
        capabilities: list[str] | str | None = None,
    ) -> None:
        """Sends an ``identify`` frame from the probe as agent ``smoke-<run>-<agent>``.

        With ``takes_tasks`` the probe declares the run's capability (and ``capabilities``),
        so once identified it is offered the run's tasks like any agent (see `Wait Until
        Probe Receives Task`); otherwise it declares none and is never handed the run's
        tasks.

        Args:
            name: the probe.
            agent: short agent name to identify as.
            token: `own`, `unknown` or `another agent` (see the table of TokenChoice).
            takes_tasks: declare the run's capability.
            extra: more fields for the frame, e.g. ``{"client_type": "sidecar"}`` (the
                contract says the hub ignores them).
            capabilities: with ``takes_tasks``, more capabilities besides the run's, a list
                or comma separated (e.g. those of `Submit Task`'s ``capabilities``).

        Example:
        | `Send Identify` | probe | agent=intruder | token=unknown |
        | `Next Reply Should Be Error` | probe | invalid_token |
        """
        agent_id = self.session.agent_id(agent)
        if token is TokenChoice.OWN:
            value = self._token_for(agent_id)
        elif token is TokenChoice.ANOTHER_AGENT:
            value = self._token_for(self.session.agent_id(f"{agent}-other"))
        elif token is TokenChoice.UNKNOWN:
            value = secrets.token_hex(32)
        else:
            raise ValueError(f"Identify needs a token; '{token.value}' is not one for WebSocket.")
        self._sent[name] = f"{name}: identify as {agent} (token={token.value})"
        self._probe(name).send_json(
            {
                "type": "identify",
                "agent_id": agent_id,
                "token": value,
                "name": agent,
                "status": "idle",
                "capabilities": [self.session.capability, *_names(capabilities)]
                if takes_tasks
                else [],
                **(extra or {}),
            }
        )

    def _token_for(self, agent_id: str) -> str:
        return self.session.create_token(agent_id)

    @keyword(tags=["Contract"])
    def send_frame(self, name: str, frame: str) -> None:
        """Sends ``frame`` from the probe as one text frame, byte for byte.

        Args:
            name: the probe.
            frame: the text to send: JSON or deliberately not.

        Example:
        | `Send Frame` | probe | {"type": "make_coffee"} |
        """
        self._sent[name] = f"{name}: {frame}"
        self._probe(name).send(frame)

    @keyword(tags=["Contract", "Wait"])
    def next_reply_should_be_error(
        self, name: str, error: str, timeout: Timeout = None, message: Message = None
    ) -> None:
        """Waits for the hub's next reply to the probe and checks that it is
        ``{"type":"error","error":error}``.

        Presence messages and assignments in between are skipped.

        Args:
            name: the probe.
            error: the exact error text, e.g. ``invalid_json`` or
                ``task_complete_failed: stale_generation``.
            timeout: how long to wait for the reply; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Example:
        | `Next Reply Should Be Error` | probe | unknown_message_type |
        """
        expected = {"type": "error", "error": error}
        kw, want = "Next Reply Should Be Error", json.dumps(expected)
        reply = self._reply(kw, name, want, timeout=timeout, message=message)
        self._checked(kw, self._sent.get(name, ""), want, json.dumps(reply), reply == expected)
        if reply != expected:
            raise ProbeError(
                message
                or f"Probe '{name}': expected the reply {json.dumps(expected)}, "
                f"got {json.dumps(reply)}."
            )

    @keyword(tags=["Contract", "Wait"])
    def next_reply_should_be(
        self, name: str, message_type: str, timeout: Timeout = None, message: Message = None
    ) -> dict[str, Any]:
        """Waits for the hub's next reply to the probe and checks that it has type
        ``message_type``; returns it.

        Args:
            name: the probe.
            message_type: e.g. ``identified``, ``pong``, ``task_ack``.
            timeout: how long to wait for the reply; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Example:
        | ${reply} = | `Next Reply Should Be` | probe | identified |
        """
        kw, want = "Next Reply Should Be", f'{{"type": "{message_type}", ...}}'
        reply = self._reply(kw, name, want, timeout=timeout, message=message)
        ok = reply.get("type") == message_type
        self._checked(kw, self._sent.get(name, ""), want, json.dumps(reply), ok)
        if reply.get("type") != message_type:
            raise ProbeError(
                message
                or f"Probe '{name}': expected a '{message_type}' reply, got {json.dumps(reply)}."
            )
        return reply

    @keyword(tags=["Contract", "Wait"])
    def probe_should_still_answer_ping(
        self, name: str = "probe", timeout: Timeout = None, message: Message = None
    ) -> None:
        """Sends ``ping`` and waits for ``pong`` with an integer timestamp: the connection
        survived whatever was sent before.

        Args:
            name: the probe.
            timeout: how long to wait for the pong; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Example:
        | `Probe Should Still Answer Ping` | probe |
        """
        self._probe(name).send_json({"type": "ping"})
        self._sent[name] = f'{name}: {{"type": "ping"}}'
        kw, want = "Probe Should Still Answer Ping", '{"type": "pong", "timestamp": <ms>}'
        reply = self._reply(kw, name, want, timeout=timeout, message=message)
        ok = reply.get("type") == "pong" and isinstance(reply.get("timestamp"), int)
        self._checked(kw, self._sent.get(name, ""), want, json.dumps(reply), ok)
        if not ok:
            raise ProbeError(
                message
                or f'Probe \'{name}\': expected {{"type":"pong","timestamp":<ms>}} after a '
                f"ping, got {json.dumps(reply)}; the connection did not stay usable."
            )

    @keyword(tags=["Contract", "Wait"])
    def wait_until_probe_receives_task(
        self, name: str = "probe", timeout: Timeout = None, message: Message = None
    ) -> dict[str, Any]:
        """Waits for a ``task_assign`` to the (identified) probe and returns it as a dict.

        Args:
            name: the probe.
            timeout: how long to wait; default: the library's ``timeout`` (see `Timeouts`).
            message: a failure message to use instead of the library's own.

        Example:
        | ${assign} = | `Wait Until Probe Receives Task` | probe |
        | `Log` | ${assign}[task_id] has generation ${assign}[generation] |
        """
        return self._wait_for_message(name, "task_assign", timeout, message)

    @keyword(tags=["Contract", "Wait"])
    def wait_until_probe_receives_message(
        self, name: str, message_type: str, timeout: Timeout = None, message: Message = None
    ) -> dict[str, Any]:
        """Waits for the next message of ``message_type`` the hub pushes to the probe (one
        this keyword has not returned yet), e.g. ``agent_joined``, and returns it as a dict.

        Args:
            name: the probe.
            message_type: the ``type`` of the message.
            timeout: how long to wait; default: the library's ``timeout`` (see `Timeouts`).
            message: a failure message to use instead of the library's own.

        Example:
        | ${joined} = | `Wait Until Probe Receives Message` | watcher | agent_joined |
        | `Should Be Equal` | ${joined}[agent][agent_id] | ${newcomer_id} |
        """
        return self._wait_for_message(name, message_type, timeout, message)

    def _wait_for_message(
        self, name: str, key: str, timeout: timedelta | None, message: str | None
    ) -> dict[str, Any]:
        """The probe's next ``reply`` (or message of type ``key``), through the library's
        one wait helper."""
        probe = self._probe(name)
        seconds = self.wait_timeout(timeout)

        def attempt() -> Outcome[dict]:
            found = probe.take(key)
            return Outcome(found is not None, found)

        def failure(_: Outcome[dict]) -> str:
            return probe.missing(key, seconds)

        what = f"probe '{name}' got a {key.replace('_', ' ')}"
        found = self.wait(attempt, seconds, failure, message, what, probe)
        assert found is not None
        return found

    # -- raw HTTP ------------------------------------------------------------------------------

    @keyword(tags=["Contract"])
    def request_should_be_refused(
        self,
        method: str,
        path: str,
        status: int,
        error: str,
        token: TokenChoice = TokenChoice.VALID,
        body: str | None = None,
    ) -> dict[str, Any]:
        """Sends one raw HTTP request and checks the exact refusal: status and ``error`` field.

        For 401 it also checks the contract's ``hint``. The request is sent as given, so a
        body that is not JSON can be tested too (it is sent as ``application/json``).

        Args:
            method: ``GET``, ``POST``, ``DELETE``, ...
            path: e.g. ``/api/tasks``.
            status: the expected status code.
            error: the expected ``error`` field of the JSON answer; ``*`` accepts any answer
                body (the contract fixes only the status of some refusals).
            token: `valid` (bootstrap token), `unknown` or `none`.
            body: the request body, sent as is with ``Content-Type: application/json``.

        Example:
        | `Request Should Be Refused` | GET | /api/tasks | 401 | unauthorized | token=none |
        | `Request Should Be Refused` | DELETE | /api/nowhere | 404 | not_found |
        """
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token is TokenChoice.VALID:
            headers["Authorization"] = f"Bearer {self.client.token}"
        elif token is TokenChoice.UNKNOWN:
            headers["Authorization"] = f"Bearer {secrets.token_hex(32)}"
        elif token is not TokenChoice.NONE:
            raise ValueError(f"HTTP requests take token=valid, unknown or none, not '{token}'.")
        url = self.session.url + path
        try:
            response = requests.request(
                method.upper(),
                url,
                data=body,
                headers=headers,
                timeout=self.ctx.config.reply_timeout,
            )
        except requests.RequestException as reason:
            raise HubUnavailable(self.session.url, reason) from None
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        what = f"{method.upper()} {path} with token={token.value}"
        seen = f"{response.status_code} {json.dumps(answer)[:300]}"
        hint_ok = status != 401 or (
            isinstance(answer, dict) and answer.get("hint") == UNAUTHORIZED_HINT
        )
        error_ok = error == "*" or (isinstance(answer, dict) and answer.get("error") == error)
        self._checked(
            "Request Should Be Refused",
            what + (f" body={body}" if body is not None else ""),
            f"{status} error '{error}'" + (" with the 401 hint" if status == 401 else ""),
            seen,
            response.status_code == status and error_ok and hint_ok,
        )
        if response.status_code != status:
            raise AgentComAssertion(
                f"{what}: expected {status} with error '{error}', got {seen}. "
                + ("The hub accepts requests it should refuse." if response.ok else "")
            )
        if error != "*" and (not isinstance(answer, dict) or answer.get("error") != error):
            raise AgentComAssertion(f"{what}: expected the error '{error}', got {seen}.")
        if status == 401 and answer.get("hint") != UNAUTHORIZED_HINT:
            raise AgentComAssertion(
                f"{what}: expected the hint '{UNAUTHORIZED_HINT}' in the 401 answer, got {seen}."
            )
        self.info(f"{what} -> {seen}")
        return answer


def _names(value: list[str] | str | None) -> list[str]:
    """Capability names from a list or a comma separated string."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [item.strip() for item in items if item.strip()]
