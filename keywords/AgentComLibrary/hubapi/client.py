"""The hub's HTTP API over one ``requests.Session``, with typed errors and masked logs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import requests

from ..util.errors import AgentComError
from ..util.masking import mask, masked_head
from .task_record import TaskRecord

LOG = logging.getLogger(__name__)

# Called after every request: (method, path, status or None, request body, answer or None,
# wall ms when sent, error text). Must not raise; never gets the Authorization header.
Observer = Callable[[str, str, "int | None", object, object, int, str], None]
BODY_LOG_LIMIT = 2048
REQUEST_TIMEOUT = 10.0


class HubError(AgentComError):
    """Base of the errors of this module."""


class HubUrlError(HubError):
    """The hub URL cannot be a hub's base URL (no scheme, the /ws endpoint, ...)."""


# Where a token the hub accepts comes from (said when a hub refuses one, or none is given).
TOKEN_SOURCES = (
    "Tokens come from the hub: the embedded hub (agentcom-hub) writes its bootstrap token to "
    "bootstrap-token.json in its --data-dir; on the real hub, `mix agent_com.gen_token` makes "
    "one. Put it in the environment variable AGENTCOM_TOKEN (or pass BOOTSTRAP_TOKEN)."
)


def check_base_url(url: str) -> str:
    """``url`` without a trailing slash, or :class:`HubUrlError` saying how to write it."""
    text = str(url).strip()
    if "://" not in text:
        raise HubUrlError(
            f"The hub URL '{text}' has no scheme: write it as 'http://{text}' "
            "(or https://), e.g. --variable HUB_URL:http://localhost:4000."
        )
    scheme, rest = text.split("://", 1)
    base = text.rstrip("/")
    if base.endswith("/ws"):
        raise HubUrlError(
            f"The hub URL '{text}' is the hub's WebSocket endpoint: give its base URL "
            f"'{base[: -len('/ws')]}' (the library adds /ws for agents itself)."
        )
    if scheme.lower() not in ("http", "https") or not rest.strip("/"):
        fixed = "http://" + rest if scheme.lower() in ("ws", "wss") and rest else ""
        raise HubUrlError(
            f"The hub URL '{text}' is not an http:// or https:// URL: give the hub's base "
            "URL" + (f", e.g. '{fixed}'." if fixed else ", e.g. 'http://localhost:4000'.")
        )
    return base


class HubUnavailable(HubError):
    """The hub did not answer at all (connection refused, timeout, DNS)."""

    def __init__(self, url: str, reason: object) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"AgentCom hub is not reachable at {url} ({_short_reason(reason)}). "
            "Start one (leave HUB_URL empty to let the library start the embedded hub, "
            "or run `agentcom-hub --port 4000`) or point HUB_URL at a running hub."
        )


class HubRequestError(HubError):
    """The hub answered with an unexpected status code."""

    def __init__(self, method: str, path: str, status: int, body: object) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        text = body if isinstance(body, str) else json.dumps(body)
        super().__init__(f"{method} {path} answered {status}: {masked_head(text, 500)}")

    @property
    def error(self) -> str | None:
        """The ``error`` field of a JSON error body, if any."""
        return self.body.get("error") if isinstance(self.body, dict) else None


def _short_reason(reason: object) -> str:
    text = str(reason)
    if isinstance(reason, requests.ConnectionError):
        text = "connection refused" if "refused" in text.lower() else "connection failed"
    elif isinstance(reason, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(reason, requests.Timeout | TimeoutError):
        text = "no answer in time"
    return text


class HubClient:
    """Calls to the routes of the contract. Task records come back parsed as :class:`TaskRecord`
    (its ``raw`` keeps the JSON); every other answer is the decoded JSON body.

    Every request has a timeout. Non-2xx answers raise :class:`HubRequestError`,
    network failures :class:`HubUnavailable`.
    """

    def __init__(self, base_url: str, token: str = "", timeout: float = REQUEST_TIMEOUT) -> None:
        self.base_url = check_base_url(base_url)
        self.timeout = timeout
        self.session = _session_for(self.base_url)
        self.token = token
        self._held: list[str] | None = None
        self.observer: Observer | None = None

    def clone(self) -> HubClient:
        """A new client (own ``requests.Session``) with the same URL, token, timeout and
        observer: one per thread, since a client is not thread-safe."""
        other = HubClient(self.base_url, self.token, self.timeout)
        other.observer = self.observer
        return other

    @property
    def token(self) -> str:
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        self._token = value
        if value:
            self.session.headers["Authorization"] = f"Bearer {value}"
        else:
            self.session.headers.pop("Authorization", None)

    @property
    def ws_url(self) -> str:
        """The WebSocket endpoint that belongs to this HTTP base URL."""
        scheme, rest = self.base_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"

    def close(self) -> None:
        self.session.close()

    @contextlib.contextmanager
    def hold_logs(self) -> Iterator[Callable[[], None]]:
        """Keep only the last attempt's request logs while polling.

        Yields ``new_attempt()``: each call drops the request logs held so far. On exit
        the held ones (the last attempt's) are logged. urllib3's own per-request debug
        lines are muted meanwhile.
        """
        pool_logger = logging.getLogger("urllib3.connectionpool")
        old_level = pool_logger.level
        pool_logger.setLevel(logging.INFO)
        self._held = []
        try:
            yield lambda: self._held.clear() if self._held is not None else None
        finally:
            held, self._held = self._held, None
            pool_logger.setLevel(old_level)
            for line in held:
                LOG.debug("%s", line)

    # -- transport -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        """Send one request and return the decoded body; raise on other statuses."""
        sent = time.time_ns() // 1_000_000
        try:
            status, body = self._send(method, path, json_body, params)
        except self.TRANSPORT_ERRORS as error:
            LOG.debug("%s %s failed: %s", method, path, error)
            self._observe(method, path, None, json_body, None, sent, str(error))
            raise HubUnavailable(self.base_url, error) from None
        self._observe(method, path, status, json_body, body, sent, "")
        self._log(method, path, json_body, params, status, body)
        if status not in expect:
            raise HubRequestError(method, path, status, body)
        return body

    TRANSPORT_ERRORS: tuple[type[Exception], ...] = (requests.RequestException,)

    def _send(
        self, method: str, path: str, json_body: object, params: dict[str, Any] | None
    ) -> tuple[int, Any]:
        """One exchange over the transport: (status, decoded body)."""
        response = self.session.request(
            method, self.base_url + path, json=json_body, params=params, timeout=self.timeout
        )
        return response.status_code, _decode(response)

    def _observe(self, *exchange: Any) -> None:
        if self.observer is not None:
            try:
                self.observer(*exchange)
            except Exception as error:  # an observer must never break a request
                LOG.debug("HTTP observer failed: %s", error)

    def _log(self, method, path, json_body, params, status, body) -> None:
        if not LOG.isEnabledFor(logging.DEBUG):
            return
        shown = f"Bearer {mask(self.token)}" if self.token else "none"
        request_text = "" if json_body is None else json.dumps(json_body)
        answer = body if isinstance(body, str) else json.dumps(body)
        line = (
            f"{method} {path}{f'?{params}' if params else ''} (Authorization: {shown}) "
            f"{masked_head(request_text, BODY_LOG_LIMIT)} -> {status} "
            f"{masked_head(answer, BODY_LOG_LIMIT)}"
        )
        if self._held is not None:
            self._held.append(line)
        else:
            LOG.debug("%s", line)

    # -- routes ----------------------------------------------------------------------------

    def health(self) -> dict:
        return self.request("GET", "/health")

    def create_token(self, agent_id: str) -> str:
        """A new token for ``agent_id`` (returned whole: callers must not log it)."""
        body = self.request(
            "POST", "/admin/tokens", json_body={"agent_id": agent_id}, expect=(201,)
        )
        return body["token"]

    def list_tokens(self) -> list[dict]:
        return self.request("GET", "/admin/tokens")["tokens"]

    def revoke_tokens(self, agent_id: str) -> dict:
        return self.request("DELETE", f"/admin/tokens/{quote(agent_id, safe='')}")

    def submit_task(self, task: dict) -> dict:
        return self.request("POST", "/api/tasks", json_body=task, expect=(201,))

    def list_tasks(self, **filters: str) -> list[TaskRecord]:
        params = {key: value for key, value in filters.items() if value is not None}
        return _tasks(self.request("GET", "/api/tasks", params=params or None))

    def dead_letter_tasks(self) -> list[TaskRecord]:
        return _tasks(self.request("GET", "/api/tasks/dead-letter"))

    def task_stats(self) -> dict:
        return self.request("GET", "/api/tasks/stats")

    def get_task(self, task_id: str) -> TaskRecord:
        return TaskRecord.parse(self.request("GET", f"/api/tasks/{quote(task_id, safe='')}"))

    def find_task(self, task_id: str) -> TaskRecord | None:
        """The task, or None when the hub answers 404."""
        try:
            return self.get_task(task_id)
        except HubRequestError as error:
            if error.status == 404:
                return None
            raise

    def retry_task(self, task_id: str) -> dict:
        return self.request("POST", f"/api/tasks/{quote(task_id, safe='')}/retry")

    def agents(self) -> list[dict]:
        return self.request("GET", "/api/agents")["agents"]

    def agent_states(self) -> list[dict]:
        return self.request("GET", "/api/agents/states")["agents"]

    def agent_state(self, agent_id: str) -> dict:
        return self.request("GET", f"/api/agents/{quote(agent_id, safe='')}/state")


def _session_for(base_url: str) -> requests.Session:
    """A ``requests.Session`` with the environment's proxy and CA settings for ``base_url``
    read once: with ``trust_env`` on, requests scans the whole environment on every
    request (a quarter of its time per request, measured)."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


def _tasks(body: Any) -> list[TaskRecord]:
    """The ``tasks`` of a list answer, parsed (entries that are not objects are left out)."""
    return [TaskRecord.parse(t) for t in body["tasks"] if isinstance(t, dict)]


def _decode(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
