"""Malformed input (hypothesis): no 500, documented errors, no state change, still serving."""

from __future__ import annotations

import json
import os
import string
from typing import Any

import pytest
from hubapi import Api
from hubsession import HubSession, StartHub, uid
from hubwsclient import ConnectionClosed, WsClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Derandomized: the same examples every run, so a CI failure is reproducible; set
# HUB_FUZZ_RANDOM=1 to explore new examples locally.
FUZZ_SETTINGS = settings(
    max_examples=250,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HUB_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KNOWN_TYPES = [
    "identify",
    "task_accepted",
    "task_progress",
    "task_complete",
    "task_failed",
    "task_recovering",
    "ping",
]
FIXED_REASONS = {
    "invalid_json",
    "unknown_message_type",
    "not_identified",
    "invalid_token",
    "token_agent_mismatch",
}
REPORT_REASONS = {"stale_generation", "invalid_state", "not_found"}
SAFE_SEGMENT = st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=20)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
huge_strings = st.integers(min_value=10_000, max_value=200_000).map(lambda n: "x" * n)
field_values = json_values | huge_strings


def is_documented_error(reason: object) -> bool:
    if not isinstance(reason, str) or not reason:
        return False
    if reason in FIXED_REASONS:
        return True
    for prefix in ("task_complete_failed: ", "task_fail_failed: "):
        if reason.startswith(prefix) and reason[len(prefix) :] in REPORT_REASONS:
            return True
    return False


def snapshot(api: Api, ignore_agent: str | None = None) -> dict:
    """Everything the HTTP API shows about the hub's state."""
    agents = [a for a in api.agents() if a["agent_id"] != ignore_agent]
    states = api.expect(api.get("/api/agents/states"), 200)["agents"]
    return {
        "tasks": {t["id"]: t for t in api.tasks()},
        "dead": {t["id"]: t for t in api.dead_letter()},
        "stats": api.stats(),
        "tokens": sorted(
            (t["agent_id"], t["token_prefix"])
            for t in api.expect(api.get("/admin/tokens"), 200)["tokens"]
        ),
        "agents": sorted(json.dumps(a, sort_keys=True) for a in agents),
        "states": sorted(
            json.dumps(s, sort_keys=True) for s in states if s["agent_id"] != ignore_agent
        ),
    }


def seed_tasks(hub: HubSession) -> dict[str, tuple[str, int]]:
    """One task in each state; returns task id -> (status, generation)."""
    cap = f"cap-{uid()}"
    worker = hub.agent("seed", [cap])
    done = hub.api.submit_id("seed done", needed_capabilities=[cap])
    assign = worker.take()
    worker.complete(done, assign["generation"])
    dead = hub.api.submit_id("seed dead", needed_capabilities=[cap], max_retries=1)
    assign = worker.take()
    worker.fail(dead, assign["generation"], "seeded")
    held = hub.api.submit_id("seed held", needed_capabilities=[cap])
    assign = worker.take()
    queued = hub.api.submit_id("seed queued", needed_capabilities=[f"nobody-{uid()}"])
    return {
        done: ("completed", hub.api.task(done)["generation"]),
        dead: ("dead_letter", hub.api.task(dead)["generation"]),
        held: ("assigned", assign["generation"]),
        queued: ("queued", 0),
    }


def round_trip(hub: HubSession) -> None:
    """A full submit -> assign -> complete and /health on a hub that took abuse.

    Tasks that fuzzing got accepted may need no capability, so the agent finishes whatever
    it is given until its own task comes.
    """
    assert hub.api.health()["status"] == "ok"
    cap = f"cap-{uid()}"
    agent = hub.agent("after", [cap])
    task_id = hub.api.submit_id("after the storm", needed_capabilities=[cap])
    for _ in range(1000):
        assign = agent.take()
        ack = agent.complete(assign["task_id"], assign["generation"])
        assert ack == {"type": "task_ack", "task_id": assign["task_id"], "status": "complete"}
        if assign["task_id"] == task_id:
            break
    assert hub.api.task(task_id)["status"] == "completed"
    agent.close()


# -- WebSocket ---------------------------------------------------------------------------------


def ws_frames(real_ids: list[str], real_gens: dict[str, int]) -> st.SearchStrategy[tuple]:
    """(kind, payload): text, json value, typed message with bad fields, binary."""
    texts = st.text(max_size=200).filter(lambda s: not _is_json(s))
    typed = st.builds(
        lambda kind, fields: {"type": kind, **fields},
        st.sampled_from(KNOWN_TYPES),
        st.dictionaries(
            st.sampled_from(
                ["task_id", "generation", "result", "error", "reason", "tokens_used", "status"]
            ),
            field_values,
            max_size=4,
        ),
    )
    bad_gen = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.floats())

    def wrong_generation_report(kind: str, task_id: str, gen: Any) -> dict:
        if isinstance(gen, int) and not isinstance(gen, bool) and gen == real_gens[task_id]:
            gen = gen + 1
        if isinstance(gen, float) and gen == real_gens[task_id]:
            gen = -1.5
        return {"type": kind, "task_id": task_id, "generation": gen, "error": "fuzz"}

    real_reports = st.builds(
        wrong_generation_report,
        st.sampled_from(["task_complete", "task_failed"]),
        st.sampled_from(real_ids),
        bad_gen,
    )
    unknown_types = st.builds(
        lambda t, f: {"type": t, **f},
        st.text(max_size=20).filter(lambda t: t not in KNOWN_TYPES),
        st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    )
    untyped = st.dictionaries(
        st.text(max_size=8).filter(lambda k: k != "type"), json_values, max_size=4
    ) | st.builds(lambda v: {"type": v}, json_values.filter(lambda v: not isinstance(v, str)))
    bad_identify = st.builds(
        lambda a, t, c: {"type": "identify", "agent_id": a, "token": t, "capabilities": c},
        json_values,
        st.text(string.hexdigits.lower(), max_size=64) | json_values,
        json_values,
    )
    return st.one_of(
        st.tuples(st.just("text"), texts),
        st.tuples(st.just("json"), json_values.filter(lambda v: not isinstance(v, dict))),
        st.tuples(st.just("json"), typed),
        st.tuples(st.just("json"), real_reports),
        st.tuples(st.just("json"), unknown_types),
        st.tuples(st.just("json"), untyped),
        st.tuples(st.just("json"), bad_identify),
        st.tuples(st.just("binary"), st.binary(max_size=300)),
        st.tuples(st.just("text"), huge_strings.map(lambda s: '{"type": "ping", "pad": "' + s)),
    )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def fence(ws: WsClient, n: int) -> list[dict]:
    """Everything the hub sent before answering a tagged task_recovering."""
    tag = f"fence-{n}"
    ws.send_json({"type": "task_recovering", "task_id": tag})
    replies = []
    while True:
        msg = ws.recv_json()
        if msg == {"type": "task_reassign", "task_id": tag}:
            return replies
        replies.append(msg)


def check_replies(kind: str, payload: Any, replies: list[dict]) -> None:
    shown = repr(payload)[:300]
    for reply in replies:
        kind_ok = reply["type"] in {"error", "pong", "task_ack", "task_reassign"}
        assert kind_ok, f"unexpected reply {reply!r} to {kind} {shown}"
        if reply["type"] == "error":
            assert set(reply) == {"type", "error"}, f"error form {reply!r} for {shown}"
            assert is_documented_error(reply["error"]), f"undocumented {reply!r} for {shown}"
        if reply["type"] == "task_ack":
            assert reply.get("status") == "accepted", f"{reply!r} for {shown}"
    if kind == "text":
        assert replies == [{"type": "error", "error": "invalid_json"}], (
            f"non-JSON text {shown}: {replies!r}"
        )
    elif kind == "json" and isinstance(payload, dict):
        kind_name = payload.get("type")
        if not isinstance(kind_name, str):
            assert len(replies) == 1 and replies[0].get("error") in {
                "invalid_json",
                "unknown_message_type",
            }, f"{shown}: {replies!r}"
        elif kind_name not in KNOWN_TYPES:
            assert replies == [{"type": "error", "error": "unknown_message_type"}], (
                f"{shown}: {replies!r}"
            )
        if kind_name in ("task_complete", "task_failed") and "error" not in {
            r["type"] for r in replies
        }:
            raise AssertionError(f"a malformed report was accepted: {shown} -> {replies!r}")
    elif kind == "json":
        assert len(replies) == 1 and replies[0]["type"] == "error", f"{shown}: {replies!r}"
        assert replies[0]["error"] in {"invalid_json", "unknown_message_type"}, replies


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
def test_malformed_frames(start_hub: StartHub) -> None:
    hub = start_hub()
    seeded = seed_tasks(hub)
    real_ids = list(seeded)
    gens = {t: g for t, (_, g) in seeded.items()}
    fuzz_id = f"bb-fuzz-{uid()}"
    ws = hub.client("fuzz")
    ws.identify(fuzz_id, hub.api.create_token(fuzz_id), [f"fuzz-only-{uid()}"])
    before = snapshot(hub.api, ignore_agent=fuzz_id)
    counter = iter(range(10**9))

    @FUZZ_SETTINGS
    @given(frame=ws_frames(real_ids, gens))
    def throw(frame: tuple) -> None:
        kind, payload = frame
        if kind == "text":
            ws.send_text(payload)
        elif kind == "binary":
            ws.send_binary(payload)
        else:
            ws.send_text(json.dumps(payload))
        replies = fence(ws, next(counter))
        if kind == "binary":
            assert all(r["type"] == "error" for r in replies), replies
        else:
            check_replies(kind, payload, replies)

    throw()
    after = snapshot(hub.api, ignore_agent=fuzz_id)
    assert after == before, "rejected frames changed the hub's state"
    for task_id, (status, gen) in seeded.items():
        task = hub.api.task(task_id)
        assert (task["status"], task["generation"]) == (status, gen), task
    ws.assert_open()
    round_trip(hub)


def test_frame_over_one_mib(hub: HubSession) -> None:
    """Reading: the hub may refuse a frame this big (close 1009) or answer with an error."""
    ws = hub.agent("big")
    big = json.dumps({"type": "task_progress", "task_id": "x", "pad": "a" * (1536 * 1024)})
    try:
        ws.send_text(big)
        reply = ws.recv_json(timeout=30)
        assert reply["type"] == "error", f"reply to a 1.5 MiB frame: {reply!r}"
        ws.assert_open()
    except ConnectionClosed as exc:
        assert exc.code in (1009, None), f"closed with code {exc.code}, expected 1009 (too big)"
    round_trip(hub)


# -- HTTP --------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/health"),
    ("GET", "/api/agents"),
    ("POST", "/admin/tokens"),
    ("GET", "/admin/tokens"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks"),
    ("GET", "/api/tasks/dead-letter"),
    ("GET", "/api/tasks/stats"),
    ("GET", "/api/agents/states"),
]
KNOWN_PAIRS = set(ROUTES)


def http_requests() -> st.SearchStrategy[dict]:
    task_fields = st.dictionaries(
        st.sampled_from(
            [
                "description",
                "priority",
                "metadata",
                "max_retries",
                "complete_by",
                "needed_capabilities",
            ]
        ),
        field_values,
        max_size=6,
    )
    post_task = st.builds(
        lambda body: {"method": "POST", "path": "/api/tasks", "json": body},
        task_fields | json_values,
    )
    post_token = st.builds(
        lambda body: {"method": "POST", "path": "/admin/tokens", "json": body},
        st.dictionaries(st.just("agent_id"), json_values, max_size=1) | json_values,
    )
    invalid_json = st.builds(
        lambda path, text: {"method": "POST", "path": path, "data": text.encode()},
        st.sampled_from(["/api/tasks", "/admin/tokens"]),
        st.text(max_size=100).filter(lambda s: not _is_json(s)),
    )
    plain_text = st.builds(
        lambda path, text: {
            "method": "POST",
            "path": path,
            "data": text.encode(),
            "content_type": "text/plain",
        },
        st.sampled_from(["/api/tasks", "/admin/tokens"]),
        st.text(max_size=100),
    )
    unknown_route = st.builds(
        lambda method, seg: {"method": method, "path": f"/zz-{seg}"},
        st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
        SAFE_SEGMENT,
    )
    wrong_method = st.builds(
        lambda method, route: {"method": method, "path": route[1]},
        st.sampled_from(["PUT", "PATCH", "DELETE"]),
        st.sampled_from(ROUTES),
    )
    unknown_task = st.builds(
        lambda seg: {"method": "GET", "path": f"/api/tasks/zz-{seg}"}, SAFE_SEGMENT
    )
    unknown_retry = st.builds(
        lambda seg: {"method": "POST", "path": f"/api/tasks/zz-{seg}/retry"}, SAFE_SEGMENT
    )
    list_filters = st.builds(
        lambda params: {"method": "GET", "path": "/api/tasks", "params": params},
        st.dictionaries(
            st.sampled_from(["status", "priority", "assigned_to", "other"]),
            st.text(max_size=12),
            max_size=3,
        ),
    )
    return st.one_of(
        post_task,
        post_token,
        invalid_json,
        plain_text,
        unknown_route,
        wrong_method,
        unknown_task,
        unknown_retry,
        list_filters,
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
def test_malformed_http(start_hub: StartHub) -> None:
    hub = start_hub()
    seeded = seed_tasks(hub)  # its agent stays connected, holding one task
    before = snapshot(hub.api)
    created_tasks: list[str] = []
    created_tokens: list[str] = []

    @FUZZ_SETTINGS
    @given(req=http_requests())
    def throw(req: dict) -> None:
        headers = {"Content-Type": req.get("content_type", "application/json")}
        kwargs: dict[str, Any] = {"headers": headers, "params": req.get("params")}
        if "json" in req:
            kwargs["data"] = json.dumps(req["json"]).encode()
        elif "data" in req:
            kwargs["data"] = req["data"]
        resp = hub.api.request(req["method"], req["path"], **kwargs)
        shown = f"{req['method']} {req['path']} {repr(req.get('json', req.get('data')))[:200]}"
        assert resp.status_code < 500, f"{shown}: {resp.status_code} {resp.text[:300]!r}"
        size = len(kwargs.get("data") or b"")
        if resp.status_code == 413:
            # reading: refusing bodies of 1 MiB and more is fine; smaller ones are served
            assert size >= 1024 * 1024, f"{shown}: 413 for a body of only {size} bytes"
            assert isinstance(resp.json().get("error"), str), resp.text[:200]
            return
        try:
            body = resp.json()
        except ValueError as exc:
            raise AssertionError(f"{shown}: body is not JSON: {resp.text[:300]!r}") from exc
        assert isinstance(body, dict), f"{shown}: body {body!r}"
        pair = (req["method"], req["path"])
        if req["path"].startswith("/zz-") or (
            pair not in KNOWN_PAIRS and req["path"] in {p for _, p in ROUTES}
        ):
            assert (resp.status_code, body) == (404, {"error": "not_found"}), f"{shown}: {body}"
        elif req["path"].startswith("/api/tasks/zz-"):
            task_id = req["path"].split("/")[3]
            assert (resp.status_code, body) == (
                404,
                {"error": "task_not_found", "task_id": task_id},
            ), f"{shown}: {resp.status_code} {body}"
        elif pair == ("POST", "/api/tasks"):
            assert resp.status_code in (201, 400), f"{shown}: {resp.status_code} {body}"
            if resp.status_code == 201:
                created_tasks.append(body["task_id"])
                assert hub.api.get(f"/api/tasks/{body['task_id']}").status_code == 200
            else:
                assert set(body) == {"error"} and isinstance(body["error"], str), body
            json_sent = "content_type" not in req
            if json_sent and ("data" in req or not isinstance(req["json"], dict)):
                assert resp.status_code == 400, f"{shown}: not an object, yet {body}"
            elif json_sent and "description" not in req["json"]:
                assert (resp.status_code, body) == (
                    400,
                    {"error": "missing required field: description"},
                ), f"{shown}: {body}"
        elif pair == ("POST", "/admin/tokens"):
            assert resp.status_code in (201, 400), f"{shown}: {resp.status_code} {body}"
            json_sent = "content_type" not in req
            if json_sent and ("data" in req or not isinstance(req["json"], dict)):
                assert resp.status_code == 400, f"{shown}: not an object, yet {body}"
            if resp.status_code == 201:
                created_tokens.append(body["agent_id"])
            else:
                assert set(body) == {"error"} and isinstance(body["error"], str), body
        elif pair == ("GET", "/api/tasks"):
            if resp.status_code == 200:
                assert set(body) == {"tasks", "count"}, body
            else:
                assert resp.status_code == 400 and isinstance(body.get("error"), str), body

    throw()
    after = snapshot(hub.api)
    new_tasks = set(after["tasks"]) - set(before["tasks"])
    assert new_tasks == set(created_tasks), "tasks appeared that got no 201"
    assert {k: after["tasks"][k] for k in before["tasks"]} == before["tasks"]
    assert after["dead"] == before["dead"]
    for task_id, (status, gen) in seeded.items():
        task = hub.api.task(task_id)
        assert (task["status"], task["generation"]) == (status, gen)
    round_trip(hub)
