"""Thin HTTP client for the hub's API plus polling helpers for black-box tests."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

T = TypeVar("T")

POLL_S = 0.05
DEFAULT_WAIT_S = 15.0
HTTP_TIMEOUT_S = 15.0
TASK_ID_RE = re.compile(r"^task-[0-9a-f]{16}$")
TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")
PRIORITY = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
_DEFAULT = object()


def now_ms() -> int:
    """Wall clock in Unix milliseconds, like the hub's timestamps."""
    return int(time.time() * 1000)


def wait_for(
    probe: Callable[[], T],
    *,
    timeout: float = DEFAULT_WAIT_S,
    what: str = "condition",
    describe: Callable[[], str] | None = None,
) -> T:
    """Call `probe` every ~50 ms until it returns a truthy value; return that value.

    On timeout raise AssertionError naming `what` and the last value seen.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            extra = describe() if describe else f"last value seen: {last!r}"
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; {extra}")
        time.sleep(POLL_S)


def hold_for(
    probe: Callable[[], bool], *, duration: float, what: str, describe: Callable[[], str]
) -> None:
    """Assert that `probe` stays true for `duration` seconds (polled every ~50 ms).

    Only for showing that something does NOT happen (a fault's stall); never for syncing.
    """
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not probe():
            raise AssertionError(f"expected {what} to hold for {duration}s; {describe()}")
        time.sleep(POLL_S)


class Api:
    """requests.Session over the hub's HTTP API with a default bearer token."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def request(
        self, method: str, path: str, *, token: Any = _DEFAULT, **kwargs: Any
    ) -> requests.Response:
        """Send a request; `token=None` sends no Authorization header."""
        headers = dict(kwargs.pop("headers", None) or {})
        tok = self.token if token is _DEFAULT else token
        if tok is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {tok}"
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        return self.session.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- checked helpers --------------------------------------------------------------------

    @staticmethod
    def expect(resp: requests.Response, status: int) -> Any:
        """Assert the status code and return the JSON body."""
        body_text = resp.text[:500]
        assert resp.status_code == status, (
            f"{resp.request.method} {resp.request.path_url}: expected {status}, "
            f"got {resp.status_code} {body_text!r}"
        )
        try:
            return resp.json()
        except ValueError as exc:
            raise AssertionError(
                f"{resp.request.method} {resp.request.path_url}: body is not JSON: {body_text!r}"
            ) from exc

    def create_token(self, agent_id: str) -> str:
        """POST /admin/tokens; return the new token."""
        body = self.expect(self.post("/admin/tokens", json={"agent_id": agent_id}), 201)
        return body["token"]

    def submit(self, description: str = "task", **fields: Any) -> dict:
        """POST /api/tasks; return the 201 body."""
        payload = {"description": description, **fields}
        return self.expect(self.post("/api/tasks", json=payload), 201)

    def submit_id(self, description: str = "task", **fields: Any) -> str:
        return self.submit(description, **fields)["task_id"]

    def task(self, task_id: str) -> dict:
        """GET /api/tasks/:id (must exist)."""
        return self.expect(self.get(f"/api/tasks/{task_id}"), 200)

    def tasks(self, **params: str) -> list[dict]:
        body = self.expect(self.get("/api/tasks", params=params), 200)
        return body["tasks"]

    def dead_letter(self) -> list[dict]:
        return self.expect(self.get("/api/tasks/dead-letter"), 200)["tasks"]

    def stats(self) -> dict:
        return self.expect(self.get("/api/tasks/stats"), 200)

    def agent_state(self, agent_id: str) -> dict | None:
        """GET /api/agents/:id/state; None on 404."""
        resp = self.get(f"/api/agents/{agent_id}/state")
        if resp.status_code == 404:
            return None
        return self.expect(resp, 200)

    def agents(self) -> list[dict]:
        return self.expect(self.get("/api/agents", token=None), 200)["agents"]

    def health(self) -> dict:
        return self.expect(self.get("/health", token=None), 200)

    # -- waits ------------------------------------------------------------------------------

    def wait_task(
        self,
        task_id: str,
        predicate: Callable[[dict], bool],
        *,
        what: str,
        timeout: float = DEFAULT_WAIT_S,
    ) -> dict:
        """Poll GET /api/tasks/:id until `predicate(task)`; return the task."""
        last: dict = {}

        def probe() -> dict | None:
            nonlocal last
            last = self.task(task_id)
            return last if predicate(last) else None

        return wait_for(
            probe,
            timeout=timeout,
            what=f"task {task_id} {what}",
            describe=lambda: describe_task(last),
        )

    def wait_status(self, task_id: str, status: str, *, timeout: float = DEFAULT_WAIT_S) -> dict:
        return self.wait_task(
            task_id, lambda t: t["status"] == status, what=f"status {status}", timeout=timeout
        )

    def wait_agent_state(
        self,
        agent_id: str,
        predicate: Callable[[dict | None], bool],
        *,
        what: str,
        timeout: float = DEFAULT_WAIT_S,
    ) -> dict | None:
        last: dict | None = None

        def probe() -> bool:
            nonlocal last
            last = self.agent_state(agent_id)
            return predicate(last)

        wait_for(
            probe,
            timeout=timeout,
            what=f"agent {agent_id} {what}",
            describe=lambda: f"last state: {last!r}",
        )
        return last


def describe_task(task: dict) -> str:
    """One-line summary of a TASK object for failure messages."""
    if not task:
        return "no task seen"
    history = [(h.get("event"), h.get("details")) for h in task.get("history", [])]
    return (
        f"task {task.get('id')}: status={task.get('status')} "
        f"assigned_to={task.get('assigned_to')} generation={task.get('generation')} "
        f"retry_count={task.get('retry_count')} history(newest first)={history}"
    )


def events(task: dict) -> list[str]:
    """History event names, oldest first."""
    return [h["event"] for h in reversed(task["history"])]
