"""The typed task model: one reading of a hub TASK object for the whole library."""

from __future__ import annotations

import pytest
from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.util.choices import Priority
from taskfactory import T0, agent, make_task


def test_events_are_oldest_first_and_assignees_follow_the_history() -> None:
    raw = make_task(
        1,
        [
            ("queued", T0),
            ("assigned", T0 + 5, agent("victim")),
            ("reclaimed", T0 + 50),
            ("assigned", T0 + 60, agent("survivor")),
            ("completed", T0 + 70),
        ],
    )
    task = TaskRecord.parse(raw)
    assert [e.event for e in task.events] == [
        "queued", "assigned", "reclaimed", "assigned", "completed",
    ]  # fmt: skip
    assert task.first_assignee == agent("victim")
    assert task.last_assignee == task.completed_by == agent("survivor")
    assert task.first_latency_ms == 5
    assert [e.generation for e in task.assignments] == [1, 3]
    assert task.describe_history({agent("victim"): "victim"})[:2] == [
        "queued", "assigned to victim",
    ]  # fmt: skip
    assert TaskRecord.parse(task) is task


def test_a_queued_task_has_no_assignee_and_no_latency() -> None:
    task = TaskRecord.parse(make_task(2, [("queued", T0)]))
    assert task.status == "queued" and not task.finished
    assert task.first_assignee is None and task.last_assignee is None
    assert task.completed_by is None and task.first_latency_ms is None


def test_odd_fields_are_tolerated_not_guessed() -> None:
    task = TaskRecord.parse(
        {"id": "task-x", "priority": "2", "history": ["junk", {"event": "queued"}]}
    )
    assert task.priority is None and task.priority_name == "None"
    assert [e.event for e in task.events] == ["queued"]


@pytest.mark.parametrize(("word", "level"), [("urgent", 0), ("HIGH", 1), ("low", 3)])
def test_priority_words(word: str, level: int) -> None:
    assert Priority.from_word(word).value == level
    assert Priority.name_of(level) == word.lower()


def test_an_unknown_priority_word_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unknown priority 'urgnt': expected one of urgent"):
        Priority.from_word("urgnt")
