"""Route keywords: any HTTP route of the contract sent as is and its answer returned, and
checks that the task listing, its filters and the stats agree with each other."""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from typing import Any

from robotlibcore import keyword

from ..hubapi.client import HubClient, HubRequestError
from ..hubapi.task_record import TaskRecord
from ..util.choices import Priority, TokenChoice
from ..util.errors import AgentComAssertion
from ..util.masking import mask, masked_head
from .base import LibraryComponent

TOKEN_SHAPE = re.compile(r"^[0-9a-f]{64}$")
FILTERS = ("status", "priority", "assigned_to")


class RouteKeywords(LibraryComponent):
    """Raw HTTP routes and the listing, filter and stats checks (`contract` scenarios)."""

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._tokens: dict[str, str] = {}  # agent id -> the token `token=own` presents

    def _client_for(self, token: TokenChoice, agent: str | None) -> tuple[HubClient, str]:
        client = self.client.clone()
        if token is TokenChoice.VALID:
            return client, "the session's token"
        if token is TokenChoice.NONE:
            client.token = ""
            return client, "no token"
        if token is TokenChoice.UNKNOWN:
            client.token = secrets.token_hex(32)
            return client, "an unknown token"
        if token is TokenChoice.OWN and agent:
            agent_id = self.session.agent_id(agent)
            if agent_id not in self._tokens:
                self._tokens[agent_id] = self.session.create_token(agent_id)
            client.token = self._tokens[agent_id]
            return client, f"the token of {agent_id}"
        raise ValueError(
            f"Send Hub Request takes token=valid, unknown, none, or own with agent=<name>; "
            f"got token={token.value}" + ("" if agent else " without agent")
        )

    @keyword(tags=["Contract"])
    def send_hub_request(
        self,
        method: str,
        path: str,
        body: Any = None,
        status: int = 200,
        token: TokenChoice = TokenChoice.VALID,
        agent: str | None = None,
    ) -> Any:
        """Sends one request to any route of the hub and returns the decoded JSON answer;
        fails unless the answer has ``status``.

        A ``token`` field in the answer (``POST /admin/tokens``) must be 64 lowercase hex
        characters, the contract's token shape; it is returned masked (its first 8
        characters and ``...``), so no whole token reaches the log.

        Args:
            method: ``GET``, ``POST``, ``DELETE``, ...
            path: the route with its query, e.g. ``/api/tasks?status=queued``.
            body: the JSON body (a dictionary, or JSON text); none by default.
            status: the expected status code.
            token: `valid` (the session's token), `none`, `unknown`, or `own`: the token of
                ``agent`` (made once per test and agent).
            agent: the short agent name whose token `own` presents.

        Example:
        | ${answer} = | `Send Hub Request` | GET | /api/tasks?status=queued |
        | ${agents} = | `Send Hub Request` | GET | /api/agents | token=none |
        """
        client, shown = self._client_for(token, agent)
        payload = json.loads(body) if isinstance(body, str) else body
        what = f"{method.upper()} {path} with {shown}"
        try:
            answer = client.request(method.upper(), path, json_body=payload, expect=(status,))
        except HubRequestError as error:
            raise AgentComAssertion(
                f"{what}: expected {status}, got {error.status} "
                f"{masked_head(json.dumps(error.body), 300)}."
            ) from None
        finally:
            client.session.close()
        if isinstance(answer, dict) and "token" in answer:
            value = answer["token"]
            if not isinstance(value, str) or not TOKEN_SHAPE.match(value):
                raise AgentComAssertion(
                    f"{what}: the token in the answer is not 64 lowercase hex characters "
                    f"(the contract's shape): {mask(value)} ({len(str(value))} characters)."
                )
            answer = {**answer, "token": mask(value)}
        self.info(f"{what} -> {status} {masked_head(json.dumps(answer), 600)}")
        return answer

    @keyword(tags=["Contract", "Check"])
    def task_listing_should_match_filter(self, **filters: str) -> list[str]:
        """Fails unless ``GET /api/tasks`` with the given filters lists exactly the tasks of
        the unfiltered listing that match them, with ``count`` equal to their number and
        in the contract's order (priority, then ``created_at``). Returns the ids listed.

        Filters: ``status`` (``queued``, ``assigned``, ``completed``), ``priority`` (a word,
        e.g. ``high``), ``assigned_to`` (a short agent name of this test, or a full id).

        Example:
        | `Task Listing Should Match Filter` | status=assigned |
        | `Task Listing Should Match Filter` | priority=high | assigned_to=worker |
        """
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise ValueError(f"Unknown filter(s) {', '.join(sorted(unknown))}; use {FILTERS}.")
        params = dict(filters)
        if "assigned_to" in params and not params["assigned_to"].startswith("smoke-"):
            params["assigned_to"] = self.session.agent_id(params["assigned_to"])
        every = self._listing({})
        listed = self._listing(params)
        expected = [t["id"] for t in every["tasks"] if _matches(t, params)]
        got = [t["id"] for t in listed["tasks"]]
        shown = "&".join(f"{k}={v}" for k, v in params.items())
        if sorted(got) != sorted(expected):
            extra = [i for i in got if i not in expected][:5]
            missing = [i for i in expected if i not in got][:5]
            raise AgentComAssertion(
                f"GET /api/tasks?{shown}: expected the {len(expected)} task(s) of the full "
                f"listing that match, got {len(got)}; listed but not matching: "
                f"{', '.join(extra) or 'none'}; matching but not listed: "
                f"{', '.join(missing) or 'none'}."
            )
        if listed["count"] != len(got):
            raise AgentComAssertion(
                f"GET /api/tasks?{shown}: count is {listed['count']}, but it lists {len(got)}."
            )
        _check_order(listed["tasks"], f"GET /api/tasks?{shown}")
        self.info(f"GET /api/tasks?{shown} listed exactly the {len(got)} matching task(s).")
        return got

    @keyword(tags=["Contract", "Check"])
    def task_stats_should_agree_with_listings(self) -> dict[str, Any]:
        """Fails unless ``GET /api/tasks/stats`` agrees with the listings: ``by_status`` and
        ``by_priority`` count the tasks of ``GET /api/tasks`` (priorities as the keys
        ``"0"`` to ``"3"``), ``dead_letter`` is the number of ``GET /api/tasks/dead-letter``
        and ``queued_index_size`` the number of queued tasks. Returns the stats. Ask it when
        no task is changing (agents idle or holding their tasks).

        Example:
        | `Task Stats Should Agree With Listings` |
        """
        stats = self.client.request("GET", "/api/tasks/stats")
        every = self._listing({})["tasks"]
        dead = self.client.request("GET", "/api/tasks/dead-letter")
        by_status = Counter(t.get("status") for t in every)
        by_priority = Counter(str(t.get("priority")) for t in every)
        problems = []
        for key in ("by_status", "by_priority", "dead_letter", "queued_index_size"):
            if key not in stats:
                problems.append(f"it has no '{key}'")
        if not problems:
            got_status = {k: v for k, v in stats["by_status"].items() if v}
            if got_status != dict(by_status):
                problems.append(f"by_status {got_status}, but the listing has {dict(by_status)}")
            got_priority = {str(k): v for k, v in stats["by_priority"].items() if v}
            if got_priority != dict(by_priority):
                problems.append(
                    f"by_priority {got_priority}, but the listing has {dict(by_priority)}"
                )
            if stats["dead_letter"] != len(dead["tasks"]):
                problems.append(
                    f"dead_letter {stats['dead_letter']}, but the dead letter lists "
                    f"{len(dead['tasks'])}"
                )
            if stats["queued_index_size"] != by_status.get("queued", 0):
                problems.append(
                    f"queued_index_size {stats['queued_index_size']}, but "
                    f"{by_status.get('queued', 0)} task(s) are queued"
                )
        if problems:
            raise AgentComAssertion(
                "GET /api/tasks/stats does not agree with the listings: " + "; ".join(problems)
            )
        self.info(f"GET /api/tasks/stats agrees with the listings: {json.dumps(stats)}")
        return stats

    def _listing(self, params: dict[str, str]) -> dict[str, Any]:
        answer = self.client.request("GET", "/api/tasks", params=params or None)
        where = "GET /api/tasks" + (f" with {params}" if params else "")
        if not isinstance(answer, dict) or not isinstance(answer.get("tasks"), list):
            raise AgentComAssertion(f"{where}: expected {{tasks, count}}, got {answer!r:.300}.")
        if "count" not in answer:
            raise AgentComAssertion(f"{where}: the answer has no 'count'.")
        return answer


def _matches(task: dict, params: dict[str, str]) -> bool:
    for key, value in params.items():
        if key == "priority":
            if task.get("priority") != Priority.from_word(value).value:
                return False
        elif task.get(key) != value:
            return False
    return True


def _check_order(tasks: list[dict], where: str) -> None:
    keys = [(TaskRecord.parse(t).priority, t.get("created_at")) for t in tasks]
    for index in range(1, len(keys)):
        if keys[index] < keys[index - 1]:
            raise AgentComAssertion(
                f"{where}: not sorted by (priority, created_at): {tasks[index - 1]['id']} "
                f"{keys[index - 1]} comes before {tasks[index]['id']} {keys[index]}."
            )
