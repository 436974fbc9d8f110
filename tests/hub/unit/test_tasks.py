"""Task queue rules: lifecycle, generation fencing, retries, dead letter, reclaim, history."""

from __future__ import annotations

import pytest
from agentcom_hub.scheduler import QueueIndex
from agentcom_hub.store import Store
from agentcom_hub.tasks import HISTORY_CAP, TaskError, TaskQueue, priority_of
from taskshape import TASK_FIELDS


def assigned(queue: TaskQueue, agent: str = "a1", **fields):
    task = queue.submit("work", **fields)
    assert queue.index.pop(task.caps()) == task.id
    return queue.assign(task.id, agent)


def events(task) -> list[str]:
    return [h["event"] for h in task.history]


def test_new_task_is_queued_with_generation_zero(queue, clock):
    task = queue.submit("hello", priority=1, metadata={"k": 1}, submitted_by="me")
    d = task.to_dict()
    assert d["id"].startswith("task-") and len(d["id"]) == 21
    assert d["status"] == "queued" and d["generation"] == 0
    assert d["history"] == [{"event": "queued", "timestamp": clock.now, "details": "submitted"}]
    assert d["assigned_to"] is None and d["assigned_at"] is None
    assert d["max_retries"] == 3 and d["retry_count"] == 0
    assert d["submitted_by"] == "me" and d["metadata"] == {"k": 1}
    assert set(d) == TASK_FIELDS


def test_task_ids_are_unique_time_ordered_hex(queue, clock):
    ids = [queue.submit(f"t{n}").id for n in range(50)]
    clock.advance(1)
    ids.append(queue.submit("later").id)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for task_id in ids:
        assert task_id.startswith("task-") and len(task_id) == 21
        assert all(c in "0123456789abcdef" for c in task_id[5:])


def test_priority_names():
    assert [priority_of(p) for p in ("urgent", "high", "normal", "low")] == [0, 1, 2, 3]
    assert priority_of("whatever") == 2 and priority_of(None) == 2


def test_assignment_bumps_generation_and_records_agent(queue, clock):
    clock.advance(5)
    task = assigned(queue, "a1")
    assert task.status == "assigned" and task.generation == 1
    assert task.assigned_to == "a1" and task.assigned_at == clock.now
    assert task.history[0] == {
        "event": "assigned",
        "timestamp": clock.now,
        "details": {"agent_id": "a1", "generation": 1},
    }


def test_completion_with_right_generation(queue):
    task = assigned(queue)
    done = queue.complete(task.id, 1, {"out": 1}, 7)
    assert done.status == "completed" and done.result == {"out": 1} and done.tokens_used == 7
    assert done.history[0]["details"] == {"tokens_used": 7}
    assert queue.get(task.id).status == "completed"
    assert task.id not in queue.active


@pytest.mark.parametrize("generation", [None, 0, 2, "1", "abc", 1.0, True, [1]])
def test_wrong_or_malformed_generation_is_stale_and_changes_nothing(queue, generation):
    task = assigned(queue)
    before = task.to_dict()
    with pytest.raises(TaskError) as err:
        queue.complete(task.id, generation, {}, None)
    assert err.value.reason == "stale_generation"
    with pytest.raises(TaskError) as err:
        queue.fail(task.id, generation, "boom")
    assert err.value.reason == "stale_generation"
    assert queue.get(task.id).to_dict() == before


def test_reports_on_unknown_or_unassigned_tasks(queue):
    queued = queue.submit("q", priority=3)
    with pytest.raises(TaskError, match="invalid_state"):
        queue.complete(queued.id, 0, None, None)
    with pytest.raises(TaskError, match="not_found"):
        queue.complete("task-0000000000000000", 1, None, None)
    for weird in (12, [1], {"a": 1}, None, "\ud800"):
        with pytest.raises(TaskError, match="not_found"):
            queue.fail(weird, 1, "x")
        with pytest.raises(TaskError, match="not_found"):
            queue.complete(weird, 1, None, None)
    task = assigned(queue)
    queue.complete(task.id, 1, None, None)
    with pytest.raises(TaskError, match="invalid_state"):
        queue.complete(task.id, 1, None, None)


def test_failure_retries_then_dead_letters(queue):
    task = assigned(queue, max_retries=2)
    outcome, task = queue.fail(task.id, 1, "first")
    assert outcome == "retried"
    assert task.status == "queued" and task.generation == 2 and task.retry_count == 1
    assert task.assigned_to is None and task.last_error == "first"
    assert task.history[0]["event"] == "retry" and task.history[0]["details"] == "first"
    assert queue.index.pop(task.caps()) == task.id
    queue.assign(task.id, "a2")
    outcome, task = queue.fail(task.id, 3, "second")
    assert outcome == "dead_letter"
    assert task.status == "dead_letter" and task.last_error == "second" and task.retry_count == 2
    assert task.history[0] == {
        "event": "dead_letter",
        "timestamp": task.updated_at,
        "details": "second",
    }
    assert queue.stats()["dead_letter"] == 1
    assert queue.get(task.id).status == "dead_letter"


def test_zero_retries_dead_letters_on_first_failure(queue):
    task = assigned(queue, max_retries=0)
    assert queue.fail(task.id, 1, "x")[0] == "dead_letter"


def test_retry_from_dead_letter(queue):
    task = assigned(queue, max_retries=1)
    queue.fail(task.id, 1, "x")
    again = queue.retry_dead_letter(task.id)
    assert again.status == "queued" and again.retry_count == 0 and again.generation == 2
    assert again.last_error is None and again.assigned_to is None
    assert again.history[0]["details"] == "retried from dead-letter"
    assert again.history[0]["event"] == "queued"
    assert len(queue.index) == 1
    with pytest.raises(TaskError):
        queue.retry_dead_letter(task.id)
    with pytest.raises(TaskError):
        queue.retry_dead_letter("task-unknown")


def test_reclaim_requeues_with_new_generation(queue):
    task = assigned(queue)
    back = queue.reclaim(task.id)
    assert back.status == "queued" and back.generation == 2 and back.assigned_to is None
    assert back.history[0]["event"] == "reclaimed"
    assert back.history[0]["details"] == "agent_disconnect"
    assert queue.reclaim(task.id) is None
    with pytest.raises(TaskError, match="invalid_state"):
        queue.complete(task.id, 1, None, None)


def test_overdue_and_stuck_detection(queue, clock):
    late = assigned(queue, complete_by=clock.now + 100)
    idle = assigned(queue)
    assert queue.overdue() == [] and queue.stuck(1000) == []
    clock.advance(101)
    assert queue.overdue() == [late]
    queue.touch(late.id)
    clock.advance(1000)
    assert queue.stuck(1000) == [idle]
    assert queue.reclaim(late.id, "overdue").history[0]["details"] == "overdue"


def test_history_is_newest_first_and_capped(queue, clock):
    task = assigned(queue)
    for _ in range(40):
        clock.advance(1)
        queue.reclaim(task.id)
        queue.index.pop(task.caps())
        clock.advance(1)
        queue.assign(task.id, "a1")
    history = queue.get(task.id).history
    assert len(history) == HISTORY_CAP
    stamps = [h["timestamp"] for h in history]
    assert stamps == sorted(stamps, reverse=True)
    assert history[0]["event"] == "assigned" and history[0]["details"]["generation"] == 81
    assert "queued" not in events(queue.get(task.id))


def test_no_generation_fencing_accepts_any_generation(clock):
    queue = TaskQueue(Store.volatile(), QueueIndex(), fencing=False, clock=clock)
    task = assigned(queue)
    assert queue.complete(task.id, None, {}, None).status == "completed"
    other = queue.submit("q", priority=3)
    with pytest.raises(TaskError, match="invalid_state"):
        queue.complete(other.id, 99, {}, None)


def test_stats_count_by_status_and_priority(queue):
    queue.submit("a", priority=0)
    queue.submit("b", priority=3)
    task = queue.submit("c", priority=3, max_retries=1)
    queue.index.pop(task.caps())
    queue.index.pop(task.caps())
    queue.index.pop(task.caps())
    queue.assign(task.id, "x")
    queue.fail(task.id, 1, "e")
    stats = queue.stats()
    assert stats["by_status"] == {"queued": 2}
    assert stats["by_priority"] == {"0": 1, "3": 1}
    assert stats["dead_letter"] == 1
    assert stats["queued_index_size"] == 0


def test_state_survives_reopening_the_store(tmp_path, clock):
    store = Store.open(tmp_path)
    queue = TaskQueue(store, QueueIndex(), clock=clock)
    a = queue.submit("a", priority=3)
    b = assigned(queue, "agent-b")
    c = assigned(queue, "agent-c")
    queue.complete(c.id, 1, {"r": 1}, 4)
    store.close()
    again = TaskQueue(Store.open(tmp_path), QueueIndex(), clock=clock)
    assert again.get(a.id).to_dict() == a.to_dict()
    assert again.get(b.id).to_dict() == b.to_dict()
    assert again.get(c.id).to_dict() == c.to_dict()
    assert set(again.active) == {a.id, b.id} and set(again.assigned) == {b.id}
    assert again.index.ids() == [a.id]
    assert again.stats()["by_status"] == {"queued": 1, "assigned": 1, "completed": 1}
    d = again.submit("d")
    assert d.seq > max(a.seq, b.seq, c.seq)
    again.store.close()
