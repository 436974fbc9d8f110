"""HubClient against the real embedded hub: routes, typed errors, masked logging, timeouts."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from AgentComLibrary.hubapi.client import BODY_LOG_LIMIT, HubClient, HubRequestError, HubUnavailable
from libsupport import FULL_TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_health_and_ws_url(client: HubClient, hub) -> None:
    assert client.health()["status"] == "ok"
    assert client.ws_url == hub.ws_url


def test_unreachable_hub_says_where_and_how_to_fix() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(HubUnavailable) as info:
        HubClient(url, timeout=2).health()
    message = str(info.value)
    assert f"not reachable at {url}" in message
    assert "connection refused" in message
    assert "HUB_URL" in message and "agentcom-hub" in message


def test_silent_server_times_out() -> None:
    """Every request has a timeout: a server that accepts and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(HubUnavailable, match="no answer in time"):
            HubClient(url, timeout=0.5).health()
    finally:
        for sock in accepted:
            sock.close()
        server.close()


def test_request_error_carries_method_path_status_body(client: HubClient) -> None:
    with pytest.raises(HubRequestError) as info:
        client.get_task("task-0000000000000000")
    error = info.value
    assert (error.method, error.path, error.status) == (
        "GET",
        "/api/tasks/task-0000000000000000",
        404,
    )
    assert error.error == "task_not_found"
    assert "GET /api/tasks/task-0000000000000000 answered 404" in str(error)
    assert client.find_task("task-0000000000000000") is None


def test_missing_description_is_a_400(client: HubClient) -> None:
    with pytest.raises(HubRequestError) as info:
        client.submit_task({"priority": "low"})
    assert info.value.status == 400
    assert info.value.body == {"error": "missing required field: description"}


def test_unknown_token_is_a_401_and_not_shown_whole(hub) -> None:
    bad = "ab" * 32
    with pytest.raises(HubRequestError) as info:
        HubClient(hub.url, bad).list_tasks()
    assert info.value.status == 401
    assert bad not in str(info.value)


def test_token_routes(client: HubClient, run_id: str) -> None:
    agent_id = f"smoke-{run_id}-tok"
    token = client.create_token(agent_id)
    assert len(token) == 64
    listed = [t for t in client.list_tokens() if t["agent_id"] == agent_id]
    assert listed and listed[0]["token_prefix"].startswith(token[:8])
    assert client.revoke_tokens(agent_id)["status"] == "revoked"
    assert not [t for t in client.list_tokens() if t["agent_id"] == agent_id]


def test_debug_log_masks_authorization_and_tokens(
    client: HubClient, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="AgentComLibrary.hubapi.client")
    token = client.create_token(f"smoke-{run_id}-logged")
    text = caplog.text
    assert "POST /admin/tokens" in text and "-> 201" in text
    assert f"Authorization: Bearer {client.token[:8]}..." in text
    assert client.token not in text
    assert token not in text and token[:8] + "..." in text
    assert not FULL_TOKEN.search(text)


def test_debug_log_caps_bodies(
    client: HubClient, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="AgentComLibrary.hubapi.client")
    client.submit_task(
        {"description": "x" * 10_000, "needed_capabilities": [f"smoke-{run_id}-nobody"]}
    )
    record = next(r for r in caplog.records if "POST /api/tasks" in r.getMessage())
    message = record.getMessage()
    assert "characters)" in message
    assert len(message) < 3 * BODY_LOG_LIMIT


def test_task_routes(client: HubClient, run_id: str) -> None:
    body = {"description": "routes", "needed_capabilities": [f"smoke-{run_id}"], "priority": "high"}
    answer = client.submit_task(body)
    assert answer["priority"] == 1
    task = client.get_task(answer["task_id"])
    assert task.status == "queued" and task.generation == 0 and task.priority_name == "high"
    assert task.raw["id"] == task.id == answer["task_id"]  # the JSON is kept as received
    assert any(t.id == answer["task_id"] for t in client.list_tasks(status="queued"))
    assert "by_status" in client.task_stats()
    assert isinstance(client.dead_letter_tasks(), list)
    assert isinstance(client.agents(), list) and isinstance(client.agent_states(), list)
    with pytest.raises(HubRequestError) as info:
        client.retry_task(answer["task_id"])
    assert info.value.status == 404
    with pytest.raises(HubRequestError) as info:
        client.agent_state(f"smoke-{run_id}-nobody")
    assert info.value.error == "agent_not_found"
