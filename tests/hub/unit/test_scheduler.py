"""The pairing rule: priority then age, capability subsets, idle-longest agents."""

from __future__ import annotations

from agentcom_hub.scheduler import QueueIndex, pair

NONE: frozenset[str] = frozenset()


def build(tasks, ignore_priority=False) -> QueueIndex:
    index = QueueIndex(ignore_priority=ignore_priority)
    for seq, (task_id, priority, created, caps) in enumerate(tasks):
        index.push(task_id, priority, created, seq, frozenset(caps))
    return index


def test_priority_then_age():
    index = build(
        [
            ("low", 3, 1, []),
            ("normal-new", 2, 5, []),
            ("urgent", 0, 9, []),
            ("normal-old", 2, 2, []),
        ]
    )
    agents = [(f"a{i}", NONE) for i in range(4)]
    assert [t for t, _ in pair(index, agents)] == ["urgent", "normal-old", "normal-new", "low"]


def test_ignore_priority_is_age_only():
    index = build([("low", 3, 1, []), ("urgent", 0, 9, [])], ignore_priority=True)
    assert [t for t, _ in pair(index, [("a", NONE), ("b", NONE)])] == ["low", "urgent"]


def test_same_timestamp_keeps_submission_order():
    index = build([("first", 2, 1, []), ("second", 2, 1, [])])
    assert [t for t, _ in pair(index, [("a", NONE), ("b", NONE)])] == ["first", "second"]


def test_preferred_agent_first_and_one_task_each():
    index = build([("t1", 2, 1, []), ("t2", 2, 2, []), ("t3", 2, 3, [])])
    pairs = pair(index, [("longest-idle", NONE), ("recent", NONE)])
    assert pairs == [("t1", "longest-idle"), ("t2", "recent")]
    assert index.ids() == ["t3"]


def test_capabilities_must_be_a_subset():
    index = build([("needs-gpu", 0, 1, ["gpu"]), ("needs-both", 1, 1, ["gpu", "x"])])
    agents = [("plain", frozenset({"cpu"})), ("gpu", frozenset({"gpu", "cpu"}))]
    assert pair(index, agents) == [("needs-gpu", "gpu")]
    assert index.ids() == ["needs-both"]
    assert pair(index, [("both", frozenset({"gpu", "x", "y"}))]) == [("needs-both", "both")]


def test_task_nobody_can_take_does_not_block_the_ones_behind():
    index = build([("blocked", 0, 1, ["rare"]), ("next", 2, 2, ["common"]), ("any", 3, 3, [])])
    agents = [("a", frozenset({"common"})), ("b", frozenset({"common"}))]
    assert pair(index, agents) == [("next", "a"), ("any", "b")]
    assert index.ids() == ["blocked"]


def test_capable_agent_is_kept_for_the_task_that_needs_it_when_it_comes_first():
    index = build([("special", 0, 1, ["s"]), ("plain", 1, 1, [])])
    agents = [("generalist", NONE), ("specialist", frozenset({"s"}))]
    assert pair(index, agents) == [("special", "specialist"), ("plain", "generalist")]


def test_nothing_to_pair():
    assert pair(build([]), [("a", NONE)]) == []
    index = build([("t", 0, 0, [])])
    assert pair(index, []) == []
    assert len(index) == 1
