"""Every row of the contract's HTTP table, checked over real sockets."""

from __future__ import annotations

import threading

import pytest
from hubapi import PRIORITY, TASK_ID_RE, TOKEN_RE, events, now_ms, wait_for
from hubsession import HubSession, uid
from hubwsclient import WsClient
from taskshape import FRESH_TASK, TASK_FIELDS

UNAUTHORIZED = {"error": "unauthorized", "hint": "provide Authorization: Bearer <token>"}
NOT_FOUND = {"error": "not_found"}
AGENT_FIELDS = {"agent_id", "name", "status", "capabilities", "connected_at", "fsm_state"}
STATE_FIELDS = {
    "agent_id",
    "fsm_state",
    "current_task_id",
    "capabilities",
    "flags",
    "connected_at",
    "name",
}
FAKE_TASK = "task-0123456789abcdef"

PROTECTED = [
    ("GET", "/admin/tokens"),
    ("POST", "/admin/tokens"),
    ("DELETE", "/admin/tokens/someone"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks"),
    ("GET", "/api/tasks/dead-letter"),
    ("GET", "/api/tasks/stats"),
    ("GET", f"/api/tasks/{FAKE_TASK}"),
    ("POST", f"/api/tasks/{FAKE_TASK}/retry"),
    ("GET", "/api/agents/states"),
    ("GET", "/api/agents/someone/state"),
]


def is_int(value: object) -> bool:
    """A JSON integer (bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def assert_task_shape(task: dict) -> None:
    """Field set and value types of a TASK object."""
    assert set(task) == TASK_FIELDS, (
        f"TASK fields: extra {set(task) - TASK_FIELDS}, missing {TASK_FIELDS - set(task)}"
    )
    assert TASK_ID_RE.match(task["id"]), task["id"]
    assert isinstance(task["description"], str)
    assert isinstance(task["metadata"], dict)
    assert is_int(task["priority"]) and 0 <= task["priority"] <= 3
    assert task["status"] in {"queued", "assigned", "completed", "dead_letter"}
    assert task["assigned_to"] is None or isinstance(task["assigned_to"], str)
    assert task["assigned_at"] is None or is_int(task["assigned_at"])
    for key in ("generation", "retry_count", "max_retries", "created_at", "updated_at"):
        assert is_int(task[key]), f"{key} must be an integer, got {task[key]!r}"
    assert isinstance(task["needed_capabilities"], list)
    assert task["tokens_used"] is None or is_int(task["tokens_used"])
    assert isinstance(task["history"], list) and 1 <= len(task["history"]) <= 50
    for item in task["history"]:
        assert set(item) == {"event", "timestamp", "details"}, item
        assert is_int(item["timestamp"]), item
    stamps = [h["timestamp"] for h in task["history"]]
    assert stamps == sorted(stamps, reverse=True), f"history not newest first: {task['history']}"


# -- /health ----------------------------------------------------------------------------------


def test_health_is_public_and_counts_identified_agents(fresh_hub: HubSession) -> None:
    api = fresh_hub.api
    resp = api.get("/health", token=None)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "service": "agent_com", "agents_connected": 0}
    agent = fresh_hub.agent("health")
    wait_for(
        lambda: api.health()["agents_connected"] == 1,
        what="agents_connected == 1 after one identify",
        describe=lambda: repr(api.health()),
    )
    body = api.health()
    assert is_int(body["agents_connected"])
    agent.close()
    wait_for(
        lambda: api.health()["agents_connected"] == 0,
        what="agents_connected back to 0 after the agent closed",
        describe=lambda: repr(api.health()),
    )


# -- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_protected_route_without_valid_token_is_401(
    hub: HubSession, method: str, path: str
) -> None:
    bad_headers = [
        {},
        {"Authorization": "Bearer " + "0" * 64},
        {"Authorization": "Bearer"},
        {"Authorization": f"Token {hub.token}"},
        {"Authorization": f"Bearer {hub.token}x"},
    ]
    for headers in bad_headers:
        resp = hub.api.request(method, path, token=None, headers=headers, json={"agent_id": "x"})
        shown = {k: v[:14] for k, v in headers.items()}
        assert resp.status_code == 401, f"{method} {path} with {shown}: got {resp.status_code}"
        assert resp.json() == UNAUTHORIZED, f"{method} {path} with {shown}: {resp.text!r}"


def test_public_routes_need_no_token(hub: HubSession) -> None:
    assert hub.api.get("/health", token=None).status_code == 200
    assert hub.api.get("/api/agents", token=None).status_code == 200


# -- /admin/tokens ---------------------------------------------------------------------------


def test_create_token_returns_64_hex_bound_to_agent(hub: HubSession) -> None:
    agent_id = f"bb-tok-{uid()}"
    resp = hub.api.post("/admin/tokens", json={"agent_id": agent_id})
    body = hub.api.expect(resp, 201)
    assert set(body) == {"agent_id", "token"}
    assert body["agent_id"] == agent_id
    assert TOKEN_RE.match(body["token"]), "token must be 64 lowercase hex characters"
    second = hub.api.create_token(agent_id)
    assert second != body["token"], "two tokens for one agent must differ"
    # the new token authenticates HTTP and identifies exactly its own agent
    hub.api.expect(hub.api.get("/api/tasks/stats", token=body["token"]), 200)
    ws = hub.client()
    ws.identify(agent_id, second)
    ws.assert_open()


@pytest.mark.parametrize("payload", [{}, {"agent": "x"}], ids=["empty", "typo"])
def test_create_token_without_agent_id_is_400(hub: HubSession, payload: dict) -> None:
    resp = hub.api.post("/admin/tokens", json=payload)
    assert resp.status_code == 400
    assert resp.json() == {"error": "missing required field: agent_id"}


def test_list_tokens_shows_prefixes_only(hub: HubSession) -> None:
    agent_id = f"bb-list-{uid()}"
    token = hub.api.create_token(agent_id)
    resp = hub.api.get("/admin/tokens")
    body = hub.api.expect(resp, 200)
    assert set(body) == {"tokens"}
    for entry in body["tokens"]:
        assert set(entry) == {"agent_id", "token_prefix"}, entry
        assert entry["token_prefix"].endswith("...") and len(entry["token_prefix"]) == 11, entry
    assert {"agent_id": agent_id, "token_prefix": token[:8] + "..."} in body["tokens"]
    assert token not in resp.text, "GET /admin/tokens must not reveal whole tokens"
    assert hub.token not in resp.text, "GET /admin/tokens must not reveal the bootstrap token"


def test_revoke_removes_every_token_of_that_agent_only(hub: HubSession) -> None:
    agent_id, other = f"bb-rev-{uid()}", f"bb-keep-{uid()}"
    first, second = hub.api.create_token(agent_id), hub.api.create_token(agent_id)
    kept = hub.api.create_token(other)
    resp = hub.api.delete(f"/admin/tokens/{agent_id}")
    assert hub.api.expect(resp, 200) == {"status": "revoked", "agent_id": agent_id}
    for token in (first, second):
        resp = hub.api.get("/api/tasks/stats", token=token)
        assert resp.status_code == 401 and resp.json() == UNAUTHORIZED
    hub.api.expect(hub.api.get("/api/tasks/stats", token=kept), 200)
    listed = hub.api.expect(hub.api.get("/admin/tokens"), 200)["tokens"]
    assert all(e["agent_id"] != agent_id for e in listed), "revoked agent still listed"
    ws = hub.client()
    assert ws.identify(agent_id, first, expect_ok=False) == {
        "type": "error",
        "error": "invalid_token",
    }
    ws.assert_open()


# -- POST /api/tasks and the TASK object -----------------------------------------------------


def test_submit_response_and_default_task_object(hub: HubSession) -> None:
    submitter = f"bb-sub-{uid()}"
    token = hub.api.create_token(submitter)
    cap = f"cap-{uid()}"
    before = now_ms()
    resp = hub.api.post(
        "/api/tasks", token=token, json={"description": "defaults", "needed_capabilities": [cap]}
    )
    after = now_ms()
    body = hub.api.expect(resp, 201)
    assert set(body) == {"status", "task_id", "priority", "created_at"}
    assert body["status"] == "queued"
    assert TASK_ID_RE.match(body["task_id"]), body["task_id"]
    assert is_int(body["priority"]) and body["priority"] == 2
    assert is_int(body["created_at"]) and before - 5 <= body["created_at"] <= after + 5

    task = hub.api.task(body["task_id"])
    assert_task_shape(task)
    expected = {
        "id": body["task_id"],
        "description": "defaults",
        "metadata": {},
        **FRESH_TASK,
        "needed_capabilities": [cap],
        "submitted_by": submitter,
        "created_at": body["created_at"],
    }
    assert {k: task[k] for k in expected} == expected
    assert task["updated_at"] >= task["created_at"]
    assert len(task["history"]) == 1
    assert task["history"][0]["event"] == "queued"
    assert task["history"][0]["details"] == "submitted"


def test_submit_defaults_apply_without_capabilities(fresh_hub: HubSession) -> None:
    task = fresh_hub.api.task(fresh_hub.api.submit_id("bare"))
    assert task["needed_capabilities"] == []
    assert task["submitted_by"] == "smoke-admin", "bootstrap token belongs to smoke-admin"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("urgent", 0), ("high", 1), ("normal", 2), ("low", 3), ("critical", 2), ("", 2), (None, 2)],
)
def test_submit_priority_is_an_integer(hub: HubSession, given: str | None, expected: int) -> None:
    payload: dict = {"description": "prio", "needed_capabilities": [f"cap-{uid()}"]}
    if given is not None:
        payload["priority"] = given
    body = hub.api.expect(hub.api.post("/api/tasks", json=payload), 201)
    assert body["priority"] == expected and is_int(body["priority"])
    assert hub.api.task(body["task_id"])["priority"] == expected


def test_submit_keeps_every_given_field(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    complete_by = now_ms() + 3_600_000
    metadata = {"smoke_run": "x", "nested": {"list": [1, 2, {"k": None}]}, "n": 1.5}
    task_id = hub.api.submit_id(
        "all fields ü ✓",
        priority="high",
        metadata=metadata,
        max_retries=7,
        complete_by=complete_by,
        needed_capabilities=[cap, "other"],
    )
    task = hub.api.task(task_id)
    assert task["description"] == "all fields ü ✓"
    assert task["metadata"] == metadata
    assert task["max_retries"] == 7
    assert task["complete_by"] == complete_by
    assert task["needed_capabilities"] == [cap, "other"]
    assert task["priority"] == 1


@pytest.mark.parametrize(
    "payload", [{}, {"priority": "urgent"}, {"desc": "typo"}], ids=["empty", "no-desc", "typo"]
)
def test_submit_without_description_is_400(hub: HubSession, payload: dict) -> None:
    resp = hub.api.post("/api/tasks", json=payload)
    assert resp.status_code == 400
    assert resp.json() == {"error": "missing required field: description"}


@pytest.mark.parametrize(
    ("path", "body"), [("/api/tasks", b'{"description": "x",'), ("/admin/tokens", b"{agent_id: x}")]
)
def test_invalid_json_body_is_400(hub: HubSession, path: str, body: bytes) -> None:
    resp = hub.api.post(path, data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, f"{path} with invalid JSON: {resp.status_code} {resp.text!r}"
    reply = resp.json()
    assert isinstance(reply, dict) and isinstance(reply.get("error"), str), reply


# -- GET /api/tasks/:id and retry ------------------------------------------------------------


def test_unknown_task_is_404_with_id(hub: HubSession) -> None:
    for task_id in (FAKE_TASK, "nope", "task-"):
        resp = hub.api.get(f"/api/tasks/{task_id}")
        assert resp.status_code == 404
        assert resp.json() == {"error": "task_not_found", "task_id": task_id}


def test_retry_of_a_task_not_in_dead_letter_is_404(hub: HubSession) -> None:
    queued = hub.api.submit_id("not dead", needed_capabilities=[f"cap-{uid()}"])
    for task_id in (queued, FAKE_TASK):
        resp = hub.api.post(f"/api/tasks/{task_id}/retry")
        assert resp.status_code == 404, f"retry of {task_id}: {resp.status_code}"
        # reading: the same body as the other task 404s (the original answers so)
        assert resp.json() == {"error": "task_not_found", "task_id": task_id}
    assert hub.api.task(queued)["status"] == "queued"


def test_retry_from_dead_letter_requeues(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    task_id = hub.api.submit_id("doomed", priority="low", max_retries=1, needed_capabilities=[cap])
    agent = hub.agent("dl", [cap])
    assign = agent.take()
    assert agent.fail(task_id, assign["generation"], "fatal") == {
        "type": "task_ack",
        "task_id": task_id,
        "status": "dead_letter",
    }
    dead = hub.api.task(task_id)
    assert dead["status"] == "dead_letter" and dead["last_error"] == "fatal"
    resp = hub.api.post(f"/api/tasks/{task_id}/retry")
    assert hub.api.expect(resp, 200) == {"status": "requeued", "task_id": task_id, "priority": 3}
    # it is queued again and the idle agent gets it at once
    again = agent.take()
    assert again["task_id"] == task_id and again["generation"] > assign["generation"]
    task = hub.api.task(task_id)
    assert task["history"][1]["event"] == "queued"
    assert task["history"][1]["details"] == "retried from dead-letter"
    assert all(t["id"] != task_id for t in hub.api.dead_letter())
    assert agent.complete(task_id, again["generation"])["status"] == "complete"


# -- GET /api/tasks, dead-letter, stats -----------------------------------------------------


def test_list_tasks_sorted_filtered_and_without_dead_letter(fresh_hub: HubSession) -> None:
    api = fresh_hub.api
    # first a dead-letter task, made while nothing else is queued
    doomed = api.submit_id("doomed", max_retries=0, priority="urgent")
    killer = fresh_hub.agent("killer")
    assign = killer.take()
    assert assign["task_id"] == doomed
    assert killer.fail(doomed, assign["generation"], "no luck")["status"] == "dead_letter"
    killer.close()
    wait_for(lambda: api.health()["agents_connected"] == 0, what="killer agent gone")

    order = ["low", "urgent", "normal", "urgent", "high", "low"]
    ids = [api.submit_id(f"list {n} {p}", priority=p) for n, p in enumerate(order)]
    body = api.expect(api.get("/api/tasks"), 200)
    assert set(body) == {"tasks", "count"}
    assert doomed not in [t["id"] for t in body["tasks"]], "dead-letter task in GET /api/tasks"
    assert body["count"] == len(body["tasks"]) == len(ids)
    keys = [(t["priority"], t["created_at"]) for t in body["tasks"]]
    assert keys == sorted(keys), f"not sorted by (priority, created_at): {keys}"
    listed = [t["id"] for t in body["tasks"]]
    for level in PRIORITY.values():
        mine = [i for i, p in zip(ids, order, strict=True) if PRIORITY[p] == level]
        assert [i for i in listed if i in mine] == mine, f"priority {level}: not oldest first"
    for task in body["tasks"]:
        assert_task_shape(task)

    urgent = api.tasks(priority="0")
    assert sorted(t["id"] for t in urgent) == sorted([ids[1], ids[3]]), "priority=0 filter"
    assert len(api.tasks(status="queued")) == len(ids)
    assert api.tasks(status="assigned") == []
    assert doomed not in [t["id"] for t in api.tasks(status="dead_letter")]

    dead = api.expect(api.get("/api/tasks/dead-letter"), 200)
    assert set(dead) == {"tasks", "count"}
    assert dead["count"] == 1 and [t["id"] for t in dead["tasks"]] == [doomed]
    assert_task_shape(dead["tasks"][0])
    assert dead["tasks"][0]["status"] == "dead_letter"
    assert dead["tasks"][0]["last_error"] == "no luck"

    agent = fresh_hub.agent("lister")
    first = agent.take()
    assert first["task_id"] == ids[1], "urgent oldest first"
    assert [t["id"] for t in api.tasks(status="assigned")] == [ids[1]]
    assert [t["id"] for t in api.tasks(assigned_to=agent.agent_id)] == [ids[1]]
    assert api.tasks(assigned_to="nobody-at-all") == []
    assert agent.complete(ids[1], first["generation"])["status"] == "complete"
    assert [t["id"] for t in api.tasks(status="completed")] == [ids[1]]
    assert api.expect(api.get("/api/tasks"), 200)["count"] == len(ids)


def test_stats_shape_and_counts(fresh_hub: HubSession) -> None:
    api = fresh_hub.api
    stats = api.stats()
    assert set(stats) == {"by_status", "by_priority", "dead_letter", "queued_index_size"}
    assert stats["dead_letter"] == 0 and stats["queued_index_size"] == 0
    assert sum(stats["by_status"].values()) == 0 and sum(stats["by_priority"].values()) == 0

    for prio in ("urgent", "urgent", "low", "normal"):
        api.submit_id("stats", priority=prio, needed_capabilities=["stats-cap"])
    done = api.submit_id("stats done", priority="high")
    dead = api.submit_id("stats dead", priority="high", max_retries=1)
    agent = fresh_hub.agent("stats")
    a1 = agent.take()
    assert a1["task_id"] == done
    assert agent.complete(done, a1["generation"])["status"] == "complete"
    a2 = agent.take()
    assert a2["task_id"] == dead
    assert agent.fail(dead, a2["generation"], "x")["status"] == "dead_letter"

    stats = api.stats()
    for key in ("by_status", "by_priority"):
        for name, count in stats[key].items():
            assert isinstance(name, str) and is_int(count), f"{key}: {name!r}: {count!r}"
    assert set(stats["by_priority"]) <= {"0", "1", "2", "3"}, stats["by_priority"]
    assert stats["by_status"].get("queued") == 4
    assert stats["by_status"].get("completed") == 1
    assert stats["by_status"].get("assigned", 0) == 0
    assert stats["by_status"].get("dead_letter", 0) in (0, 1)
    assert stats["dead_letter"] == 1
    assert stats["queued_index_size"] == 4
    # reading: by_priority counts the same (non dead-letter) tasks as by_status
    assert stats["by_priority"].get("0") == 2
    assert stats["by_priority"].get("3") == 1
    assert stats["by_priority"].get("2") == 1
    assert stats["by_priority"].get("1") == 1


# -- agents ----------------------------------------------------------------------------------


def test_agent_lists_and_state(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    agent_id = f"bb-state-{uid()}"
    token = hub.api.create_token(agent_id)
    ws = hub.client()
    ws.identify(agent_id, token, [cap, "extra"], name="Display Name", status="ready")

    public = hub.api.agents()
    mine = [a for a in public if a["agent_id"] == agent_id]
    assert len(mine) == 1, f"{agent_id} listed {len(mine)} times in /api/agents"
    entry = mine[0]
    assert set(entry) == AGENT_FIELDS, entry
    assert entry["name"] == "Display Name"
    assert entry["status"] == "ready"
    assert entry["capabilities"] == [cap, "extra"]
    assert is_int(entry["connected_at"])
    assert entry["fsm_state"] == "idle"

    states = hub.api.expect(hub.api.get("/api/agents/states"), 200)
    assert set(states) == {"agents"}
    mine = [a for a in states["agents"] if a["agent_id"] == agent_id]
    assert len(mine) == 1
    assert set(mine[0]) == STATE_FIELDS, mine[0]
    assert mine[0]["capabilities"] == [{"name": cap}, {"name": "extra"}]
    assert mine[0]["fsm_state"] == "idle"
    assert mine[0]["current_task_id"] is None
    assert mine[0]["flags"] == []

    one = hub.api.agent_state(agent_id)
    assert one is not None
    assert set(one) == STATE_FIELDS | {"last_state_change"}, one
    assert is_int(one["last_state_change"]) and is_int(one["connected_at"])
    assert one["name"] == "Display Name"

    # fsm_state follows assign -> accept -> complete
    task_id = hub.api.submit_id("fsm", needed_capabilities=[cap])
    assign = ws.next_assignment()
    hub.api.wait_agent_state(
        agent_id,
        lambda s: bool(s) and s["fsm_state"] == "assigned" and s["current_task_id"] == task_id,
        what="fsm_state assigned with current_task_id",
    )
    assert ws.accept(task_id)["status"] == "accepted"
    hub.api.wait_agent_state(
        agent_id, lambda s: bool(s) and s["fsm_state"] == "working", what="fsm_state working"
    )
    assert ws.complete(task_id, assign["generation"])["status"] == "complete"
    hub.api.wait_agent_state(
        agent_id,
        lambda s: bool(s) and s["fsm_state"] == "idle" and s["current_task_id"] is None,
        what="fsm_state idle again after the completion",
    )


def test_unknown_agent_state_is_404(hub: HubSession) -> None:
    resp = hub.api.get(f"/api/agents/nobody-{uid()}/state")
    assert resp.status_code == 404
    assert resp.json() == {"error": "agent_not_found"}


def test_agent_leaves_lists_when_connection_ends(hub: HubSession) -> None:
    ws = hub.agent("leaver")
    agent_id = ws.agent_id
    assert any(a["agent_id"] == agent_id for a in hub.api.agents())
    ws.reset()
    wait_for(
        lambda: all(a["agent_id"] != agent_id for a in hub.api.agents()),
        what=f"{agent_id} gone from /api/agents after a reset",
    )
    wait_for(
        lambda: hub.api.agent_state(agent_id) is None,
        what=f"/api/agents/{agent_id}/state answering 404 after a reset",
    )


# -- anything else ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/api"),
        ("GET", "/api/task"),
        ("GET", "/api/tasks/x/y/z"),
        ("GET", "/admin"),
        ("POST", "/health"),
        ("PUT", "/health"),
        ("DELETE", "/api/tasks"),
        ("PATCH", "/api/tasks"),
        ("PUT", "/admin/tokens"),
        ("GET", f"/api/tasks/{FAKE_TASK}/retry"),
        ("POST", "/api/agents"),
        ("DELETE", "/admin/tokens"),
        ("GET", "/ws/nope"),
    ],
)
def test_unknown_route_or_method_is_404(hub: HubSession, method: str, path: str) -> None:
    for token in (hub.token, None):
        resp = hub.api.request(method, path, token=token)
        assert resp.status_code == 404, f"{method} {path}: {resp.status_code} {resp.text[:200]!r}"
        assert resp.json() == NOT_FOUND, f"{method} {path}: {resp.text[:200]!r}"


def test_history_is_newest_first_through_a_full_life(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    task_id = hub.api.submit_id("life", needed_capabilities=[cap], max_retries=3)
    agent = hub.agent("life", [cap])
    first = agent.take()
    assert agent.fail(task_id, first["generation"], "try again")["status"] == "retried"
    second = agent.take()
    assert agent.complete(task_id, second["generation"], tokens_used=42)["status"] == "complete"
    task = hub.api.task(task_id)
    assert_task_shape(task)
    assert events(task) == ["queued", "assigned", "retry", "assigned", "completed"]
    newest = task["history"]
    assert newest[0]["details"] == {"tokens_used": 42}
    assert newest[1]["details"] == {"agent_id": agent.agent_id, "generation": 3}
    assert newest[2]["details"] == "try again"
    assert newest[3]["details"] == {"agent_id": agent.agent_id, "generation": 1}
    assert newest[4]["details"] == "submitted"


def test_listing_agents_while_agents_come_and_go(hub: HubSession) -> None:
    """Defect 3 of the contract: listing agents must not fail while one disconnects."""
    ids = [f"bb-churn{n}-{uid()}" for n in range(4)]
    tokens = {agent_id: hub.api.create_token(agent_id) for agent_id in ids}
    stop = threading.Event()
    failures: list[str] = []

    def churn() -> None:
        n = 0
        while not stop.is_set():
            agent_id = ids[n % len(ids)]
            ws = WsClient(hub.ws_url, agent_id).connect()
            try:
                ws.identify(agent_id, tokens[agent_id], ["churn"])
                if n % 2:
                    ws.reset()
                else:
                    ws.close()
            except Exception as exc:  # recorded, the test fails on it below
                failures.append(f"agent {agent_id}: {exc!r}")
                ws.reset()
            n += 1

    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    try:
        for _ in range(60):
            for path, token in (("/api/agents", None), ("/api/agents/states", hub.token)):
                resp = hub.api.get(path, token=token)
                assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text[:200]}"
                for entry in resp.json()["agents"]:
                    assert isinstance(entry["agent_id"], str), entry
            for agent_id in ids[:1]:
                resp = hub.api.get(f"/api/agents/{agent_id}/state")
                assert resp.status_code in (200, 404), resp.text[:200]
            assert hub.api.health()["status"] == "ok"
    finally:
        stop.set()
        worker.join(timeout=20)
    assert not failures, failures[:3]
