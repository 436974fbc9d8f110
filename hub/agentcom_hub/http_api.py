"""HTTP adapter: routes of the contract, request validation, JSON replies."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .faults import Fault
from .hub import Hub
from .jsonutil import is_text, loads
from .tasks import ASSIGNED, COMPLETED, DEAD_LETTER, PRIORITIES, QUEUED, TaskError, priority_of
from .tokens import mask
from .ws_api import websocket

log = logging.getLogger("agentcom_hub.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNAUTHORIZED = {"error": "unauthorized", "hint": "provide Authorization: Bearer <token>"}
LISTED = (QUEUED, ASSIGNED, COMPLETED)


def reply(body: Any, status: int = 200) -> web.Response:
    """A JSON response (``body`` may be pre-encoded text)."""
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json")


class BadRequest(Exception):
    """A 400 with ``{"error": message}``."""


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown routes and methods: 404 not_found; bad input: 400; never a 500."""
    try:
        return await handler(request)
    except BadRequest as err:
        return reply({"error": str(err)}, 400)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            return reply({"error": "not_found"}, 404)
        if exc.status < 400:
            raise
        return reply({"error": (exc.reason or "bad request").lower()}, exc.status)
    except asyncio.CancelledError:
        raise
    except ConnectionError as exc:  # the client went away mid-request: not a hub error
        log.info("%s %s: client connection lost (%s)", request.method, request.path, exc)
        return reply({"error": "connection_lost"}, 400)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return reply({"error": "bad_request"}, 400)


def caller(request: web.Request) -> str | None:
    """The agent_id of the request's Bearer token, or None."""
    hub: Hub = request.app["hub"]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    agent_id = hub.tokens.lookup(token.strip()) if scheme.lower() == "bearer" else None
    if agent_id is None and hub.config.has(Fault.NO_AUTH):
        return "unknown"  # Fault.NO_AUTH: any token or none is let in
    return agent_id


def protected(handler: Callable[[web.Request, Hub, str], Awaitable[web.Response]]) -> Handler:
    """Wrap a handler that needs a valid token; it also gets the hub and the caller."""

    async def guarded(request: web.Request) -> web.Response:
        agent_id = caller(request)
        if agent_id is None:
            return reply(UNAUTHORIZED, 401)
        return await handler(request, request.app["hub"], agent_id)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


async def read_object(request: web.Request) -> dict:
    """The JSON body as a dict; {} when empty or not an object; BadRequest when not JSON."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = loads(raw)
    except ValueError:
        raise BadRequest("invalid_json") from None
    return data if isinstance(data, dict) else {}


def _required(body: dict, name: str, ok: Callable[[Any], bool]) -> Any:
    """The field ``name`` of the body; BadRequest when it is missing (or null) or not ``ok``."""
    value = body.get(name)
    if value is None:
        raise BadRequest(f"missing required field: {name}")
    if not ok(value):
        raise BadRequest(f"invalid field: {name}")
    return value


def _field(body: dict, name: str, default: Any, ok: Callable[[Any], bool]) -> Any:
    """The field ``name`` of the body, ``default`` when missing (or null); BadRequest when
    not ``ok``."""
    value = body.get(name)
    if value is None:
        return default
    if not ok(value):
        raise BadRequest(f"invalid field: {name}")
    return value


def _is_int(value: Any) -> bool:
    return type(value) is int


# -- routes ------------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    """GET /health."""
    hub: Hub = request.app["hub"]
    return reply({"status": "ok", "service": "agent_com", "agents_connected": len(hub.connections)})


@protected
async def create_token(request: web.Request, hub: Hub, who: str) -> web.Response:
    """POST /admin/tokens."""
    body = await read_object(request)
    agent_id = _required(body, "agent_id", is_text)
    token = hub.tokens.create(agent_id)
    log.info("token %s created for %s by %s", mask(token), agent_id, who)
    return reply({"agent_id": agent_id, "token": token}, 201)


@protected
async def list_tokens(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /admin/tokens."""
    return reply({"tokens": hub.tokens.listing()})


@protected
async def revoke_tokens(request: web.Request, hub: Hub, who: str) -> web.Response:
    """DELETE /admin/tokens/:agent_id."""
    agent_id = request.match_info["agent_id"]
    one = hub.config.has(Fault.REVOKE_ONE_TOKEN)  # the other tokens stay valid
    count = hub.tokens.revoke(agent_id, only_one=one)
    log.info("%d token(s) of %s revoked by %s", count, agent_id, who)
    return reply({"status": "revoked", "agent_id": agent_id})


@protected
async def submit_task(request: web.Request, hub: Hub, who: str) -> web.Response:
    """POST /api/tasks."""
    body = await read_object(request)
    description = _required(body, "description", lambda v: isinstance(v, str))
    priority = _field(body, "priority", "normal", lambda v: isinstance(v, str))
    metadata = _field(body, "metadata", {}, lambda v: isinstance(v, dict))
    max_retries = _field(body, "max_retries", 3, lambda v: _is_int(v) and v >= 0)
    complete_by = _field(body, "complete_by", None, _is_int)
    caps = _field(
        body,
        "needed_capabilities",
        [],
        lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
    )
    task = hub.submit(
        who,
        description=description,
        priority=_priority(hub, priority),
        metadata=metadata,
        max_retries=max_retries,
        complete_by=complete_by,
        needed_capabilities=caps,
    )
    return reply(
        {
            "status": "queued",
            "task_id": task.id,
            "priority": task.priority,
            "created_at": task.created_at,
        },
        201,
    )


def _priority(hub: Hub, word: str) -> int:
    """The integer priority of ``word``; Fault.UNKNOWN_PRIORITY_LOW: unknown words are low."""
    if hub.config.has(Fault.UNKNOWN_PRIORITY_LOW) and word not in PRIORITIES:
        return 3
    return priority_of(word)


def _listing(bodies: list[str]) -> str:
    return '{"tasks":[' + ",".join(bodies) + '],"count":' + str(len(bodies)) + "}"


@protected
async def list_tasks(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /api/tasks?status=&priority=&assigned_to= (dead-letter tasks are not listed)."""
    query = request.query
    status = query.get("status") or None
    statuses = LISTED if status is None else ((status,) if status in LISTED else ())
    if not statuses:
        return reply(_listing([]))
    priority = query.get("priority") or None
    level: int | None = None
    if priority in PRIORITIES:
        level = PRIORITIES[priority]
    elif priority is not None and priority.isascii() and priority.isdigit():
        level = int(priority)
        if level not in PRIORITIES.values():
            return reply(_listing([]))  # no task has that priority
    assigned_to = query.get("assigned_to") or None
    if hub.config.has(Fault.FILTER_IGNORES_ASSIGNED_TO):
        assigned_to = None
    return reply(_listing(hub.store.task_bodies(statuses, level, assigned_to)))


@protected
async def dead_letter(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /api/tasks/dead-letter."""
    return reply(_listing(hub.store.task_bodies((DEAD_LETTER,))))


@protected
async def task_stats(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /api/tasks/stats."""
    stats = hub.tasks.stats()
    if hub.config.has(Fault.STATS_COUNT_DEAD_LETTER) and stats["dead_letter"]:
        stats["by_status"]["dead_letter"] = stats["dead_letter"]
    return reply(stats)


@protected
async def get_task(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /api/tasks/:task_id."""
    task_id = request.match_info["task_id"]
    task = hub.tasks.active.get(task_id)
    if task is not None:
        return reply(task.to_dict())
    row = hub.store.task_row(task_id)
    if row is None:
        return reply({"error": "task_not_found", "task_id": task_id}, 404)
    return reply(row[1])


@protected
async def retry_task(request: web.Request, hub: Hub, who: str) -> web.Response:
    """POST /api/tasks/:task_id/retry (dead-letter tasks only)."""
    task_id = request.match_info["task_id"]
    try:
        task = hub.retry_dead_letter(task_id)
    except TaskError:
        return reply({"error": "task_not_found", "task_id": task_id}, 404)
    return reply({"status": "requeued", "task_id": task.id, "priority": task.priority})


async def list_agents(request: web.Request) -> web.Response:
    """GET /api/agents (no auth)."""
    hub: Hub = request.app["hub"]
    if hub.config.has(Fault.AGENTS_LIST_RACE) and time.monotonic() - hub.last_left < 1.0:
        raise RuntimeError("fault agents-list-race: an agent is disconnecting")
    return reply({"agents": [_shown(hub, r.public()) for r in hub.agents.listing()]})


@protected
async def agent_states(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /api/agents/states."""
    return reply({"agents": [_shown(hub, r.state()) for r in hub.agents.listing()]})


@protected
async def agent_state(request: web.Request, hub: Hub, who: str) -> web.Response:
    """GET /api/agents/:agent_id/state."""
    record = hub.agents.get(request.match_info["agent_id"])
    if record is None:
        return reply({"error": "agent_not_found"}, 404)
    return reply(_shown(hub, record.state(with_change=True)))


def _shown(hub: Hub, state: dict) -> dict:
    """An agent state as listed; Fault.NO_WORKING_STATE shows ``working`` as ``assigned``."""
    if hub.config.has(Fault.NO_WORKING_STATE) and state.get("fsm_state") == "working":
        return {**state, "fsm_state": "assigned"}
    return state


def add_routes(app: web.Application) -> None:
    """Register every route (static paths before the parametrised ones)."""
    r = app.router
    r.add_get("/health", health)
    r.add_get("/ws", websocket)
    r.add_post("/admin/tokens", create_token)
    r.add_get("/admin/tokens", list_tokens)
    r.add_delete("/admin/tokens/{agent_id}", revoke_tokens)
    r.add_post("/api/tasks", submit_task)
    r.add_get("/api/tasks", list_tasks)
    r.add_get("/api/tasks/dead-letter", dead_letter)
    r.add_get("/api/tasks/stats", task_stats)
    r.add_get("/api/tasks/{task_id}", get_task)
    r.add_post("/api/tasks/{task_id}/retry", retry_task)
    r.add_get("/api/agents", list_agents)
    r.add_get("/api/agents/states", agent_states)
    r.add_get("/api/agents/{agent_id}/state", agent_state)
