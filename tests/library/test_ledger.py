"""Unit tests of the task ledger (Jepsen total-queue style reconciliation)."""

from __future__ import annotations

from typing import Any

import pytest
from AgentComLibrary.checker.ledger import Ledger, build_ledger, describe_ledger_problems
from AgentComLibrary.report.ledger_html import render_ledger_html
from taskfactory import RUN, agent, make_task

NAMES = {f"{RUN}-{n}": n for n in ("worker1", "worker2", "victim", "rescuer")}


def done(n: int, who: str = "worker1") -> dict[str, Any]:
    return make_task(n, [("queued", 0), ("assigned", 5, agent(who)), ("completed", 30)])


def ledger_of(
    tasks: dict[str, dict | None],
    completions: dict[str, list[str]],
    acknowledged: list[str] | None = None,
) -> Ledger:
    ids = list(tasks) if acknowledged is None else acknowledged
    return build_ledger(len(ids), ids, tasks, completions, NAMES)


def test_all_completed_once_is_valid() -> None:
    tasks = {t["id"]: t for t in (done(1), done(2, "worker2"))}
    ledger = ledger_of(
        tasks, {"worker1": ["task-0000000000000001"], "worker2": ["task-0000000000000002"]}
    )
    assert ledger.valid
    assert ledger.completed == list(tasks)
    assert ledger.acknowledged == list(tasks)
    assert ledger.attempted == 2
    assert describe_ledger_problems(ledger) == ""


def test_reclaimed_then_completed_is_recovered_and_valid() -> None:
    task = make_task(
        3, "queued@0 assigned@4:victim reclaimed@900 assigned@910:rescuer completed@950"
    )
    ledger = ledger_of({task["id"]: task}, {"victim": [], "rescuer": [task["id"]]})
    assert ledger.recovered == [task["id"]]
    assert ledger.completed == [task["id"]]
    assert ledger.valid


def test_dead_letter_with_error_is_explained() -> None:
    task = make_task(
        4,
        "queued@0 assigned@3:worker1 retry@10=boom assigned@12:worker1 retry@20=boom"
        " assigned@22:worker1 dead_letter@30=boom",
    )
    ledger = ledger_of({task["id"]: task}, {"worker1": []})
    assert ledger.dead_lettered == [task["id"]]
    assert ledger.valid


def test_queued_and_assigned_tasks_are_unfinished() -> None:
    queued = make_task(5, "queued@0")
    held = make_task(6, "queued@0 assigned@2:victim")
    ledger = ledger_of({queued["id"]: queued, held["id"]: held}, {"victim": []})
    assert ledger.unfinished == [queued["id"], held["id"]]
    assert not ledger.valid
    text = describe_ledger_problems(ledger)
    assert f"unfinished {queued['id']}: expected completed" in text
    assert "seen status queued" in text
    assert f"seen status assigned with victim ({agent('victim')}), generation 1" in text


def test_two_completed_events_are_duplicated() -> None:
    task = make_task(7, "queued@0 assigned@5:worker1 completed@9 completed@12")
    ledger = ledger_of({task["id"]: task}, {"worker1": [task["id"]]})
    assert ledger.duplicated == [task["id"]]
    assert not ledger.valid
    assert "seen 2 'completed' history events" in describe_ledger_problems(ledger)


def test_completion_acknowledged_to_two_agents_is_duplicated() -> None:
    task = done(8, "worker1")
    ledger = ledger_of({task["id"]: task}, {"worker1": [task["id"]], "worker2": [task["id"]]})
    assert ledger.duplicated == [task["id"]]
    assert ledger.mismatched == []
    text = describe_ledger_problems(ledger)
    assert "acknowledged 2 time(s) to worker1, worker2" in text
    assert f"expected exactly one completion by worker1 ({agent('worker1')})" in text


def test_completion_acknowledged_twice_to_same_agent_is_duplicated() -> None:
    task = done(9, "worker1")
    ledger = ledger_of({task["id"]: task}, {"worker1": [task["id"], task["id"]]})
    assert ledger.duplicated == [task["id"]]
    assert "worker1 more than once" in describe_ledger_problems(ledger)


def test_404_after_201_is_lost() -> None:
    ok = done(10)
    ledger = ledger_of({ok["id"]: ok, "task-00000000000000ff": None}, {"worker1": [ok["id"]]})
    assert ledger.lost == ["task-00000000000000ff"]
    assert ledger.completed == [ok["id"]]
    assert not ledger.valid
    text = describe_ledger_problems(ledger)
    assert text.startswith("Task ledger is not valid: 1 lost (of 2 acknowledged submissions).")
    assert "lost task-00000000000000ff: submission acknowledged (201)" in text
    assert "seen 404 task_not_found" in text


def test_completion_of_unknown_id_is_unexpected() -> None:
    ok = done(11)
    ledger = ledger_of({ok["id"]: ok}, {"worker1": [ok["id"]], "worker2": ["task-foreign"]})
    assert ledger.unexpected == ["task-foreign"]
    assert not ledger.valid
    assert "unexpected task-foreign: completion acknowledged to worker2" in (
        describe_ledger_problems(ledger)
    )


def test_completed_by_other_agent_than_acknowledged_is_mismatched() -> None:
    task = done(12, "worker1")
    ledger = ledger_of({task["id"]: task}, {"worker1": [], "worker2": [task["id"]]})
    assert ledger.mismatched == [task["id"]]
    text = describe_ledger_problems(ledger)
    assert f"hub says completed by worker1 ({agent('worker1')})" in text
    assert "seen it acknowledged to worker2" in text


def test_completed_without_any_acknowledgement_is_mismatched() -> None:
    task = done(13, "worker1")
    ledger = ledger_of({task["id"]: task}, {"worker1": []})
    assert ledger.mismatched == [task["id"]]
    assert "seen no agent with an acknowledged completion" in describe_ledger_problems(ledger)


def test_a_completion_the_agent_sent_whose_ack_never_came_is_not_a_mismatch() -> None:
    """The hub committed the completion and stopped (TEST-02h) before its ack went out."""
    task = done(16, "worker1")
    ids = [task["id"]]
    ledger = build_ledger(1, ids, {task["id"]: task}, {"worker1": []}, NAMES, {"worker1": ids})
    assert ledger.valid, describe_ledger_problems(ledger)
    assert ledger.ack_lost == ids and "ack_lost" in render_ledger_html(ledger)
    other = build_ledger(1, ids, {task["id"]: task}, {"worker2": []}, NAMES, {"worker2": ids})
    assert other.mismatched == ids  # sent by another agent than the hub's record says


def test_hub_that_clears_assigned_to_on_completion_is_read_from_history() -> None:
    task = done(14, "worker2")
    task.update(assigned_to=None, assigned_at=None)
    ledger = ledger_of({task["id"]: task}, {"worker2": [task["id"]]})
    assert ledger.valid, describe_ledger_problems(ledger)


def test_acknowledged_completion_of_unfinished_task_is_mismatched_too() -> None:
    task = make_task(15, "queued@0 assigned@2:worker1")
    ledger = ledger_of({task["id"]: task}, {"worker1": [task["id"]]})
    assert ledger.unfinished == [task["id"]]
    assert ledger.mismatched == [task["id"]]


def test_unknown_agent_ids_are_shown_as_they_are() -> None:
    task = done(16, "worker1")
    task["assigned_to"] = "someone-else"
    ledger = ledger_of({task["id"]: task}, {"worker1": [task["id"]]})
    assert ledger.mismatched == [task["id"]]
    assert "hub says completed by someone-else," in describe_ledger_problems(ledger)


@pytest.mark.parametrize(
    "category", ["lost", "duplicated", "unexpected", "mismatched", "unfinished"]
)
def test_every_problem_category_makes_the_ledger_invalid(category: str) -> None:
    ledger = Ledger(attempted=1, acknowledged=["t"])
    assert ledger.valid
    getattr(ledger, category).append("t")
    assert not ledger.valid
    assert f"- {category} t" in describe_ledger_problems(ledger)


def test_ledger_html_counts_ids_and_escaping() -> None:
    ok = done(17)
    ledger = ledger_of(
        {ok["id"]: ok, "<b>evil</b>": None}, {"worker1": [ok["id"]]}, [ok["id"], "<b>evil</b>"]
    )
    html = render_ledger_html(ledger)
    assert "NOT valid" in html
    assert "<b>evil</b>" not in html
    assert "&lt;b&gt;evil&lt;/b&gt;" in html
    for name in ("attempted", "acknowledged", "completed", "lost", "duplicated", "recovered"):
        assert f">{name}</td>" in html
    assert "<script" not in html.lower()
    assert "http" not in html


def test_ledger_html_for_valid_ledger_lists_no_problems() -> None:
    ok = done(18)
    html = render_ledger_html(ledger_of({ok["id"]: ok}, {"worker1": [ok["id"]]}))
    assert ">valid</span>" in html
    assert "<pre" not in html
