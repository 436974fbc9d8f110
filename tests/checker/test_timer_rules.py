"""The rules of the hub's timers (checker/timer_rules.py) on hand-made histories."""

from __future__ import annotations

from AgentComLibrary.checker.timer_rules import applicable
from AgentComLibrary.checker.verdict import check
from AgentComLibrary.checker.view import build
from AgentComLibrary.hubapi.timers import HubTimers
from histbuild import Builder

W1 = "w1"
SHORT = HubTimers(stuck_threshold=2.0, stuck_sweep_interval=0.25, overdue_sweep_interval=0.25)


def found(b: Builder, rule: str, timers: HubTimers | None = None) -> list[str]:
    view = build(b.events, timers=timers)
    return [v.task_id or "" for v in check(view).violations if v.rule == rule]


def accepted(accept_at: int = 1020) -> Builder:
    """w1 is given t1 (gen 1, stamped 1012) and accepts it; the clock is bounded to +-2 ms."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.post("t1", created_at=1010, sent=1009, received=1011)
    b.assign(1, W1, "t1", 1, assigned_at=1012, at=1013)
    b.send(1, W1, "task_accepted", "t1", at=accept_at)
    b.ack(1, W1, "t1", "accepted", at=accept_at + 1)
    return b


def taken_back_at(b: Builder, stamp: int, *, complete_by: int | None = None) -> Builder:
    """The hub reclaims t1 at ``stamp`` and hands it to w1 again (gen 2), which accepts it:
    the hub answers on the connection after the reclaim."""
    b.assign(1, W1, "t1", 2, assigned_at=stamp + 1, at=stamp + 2)
    b.send(1, W1, "task_accepted", "t1", at=stamp + 10)
    b.ack(1, W1, "t1", "accepted", at=stamp + 11)
    b.snapshot()
    task = b.task(
        "t1",
        f"queued@1010 assigned@1012:w1/1 reclaimed@{stamp}=agent_disconnect "
        f"assigned@{stamp + 1}:w1/2",
        "assigned",
        assigned_to=W1,
    )
    if complete_by is not None:
        task.raw["complete_by"] = complete_by  # type: ignore[index]
    return b


def test_an_accepted_task_reclaimed_by_the_acceptance_timer_is_a_violation() -> None:
    assert found(taken_back_at(accepted(), 2000), "accepted-task-kept") == ["t1"]


def test_a_reclaim_after_the_stuck_threshold_or_the_deadline_is_allowed() -> None:
    assert found(taken_back_at(accepted(), 1020 + 300_000), "accepted-task-kept") == []
    assert found(taken_back_at(accepted(), 2000, complete_by=1900), "accepted-task-kept") == []
    # the hub's own short threshold (the View's timers) allows it sooner
    assert found(taken_back_at(accepted(), 3100), "accepted-task-kept", SHORT) == []
    assert found(taken_back_at(accepted(), 1800), "accepted-task-kept", SHORT) == ["t1"]


def test_an_acceptance_after_the_reclaim_or_a_closed_connection_proves_nothing() -> None:
    assert found(taken_back_at(accepted(accept_at=2100), 2000), "accepted-task-kept") == []
    b = accepted()
    b.end(1, W1, kind="lost", at=1990)  # evicted: the hub answers nothing more
    b.snapshot()
    b.task("t1", "queued@1010 assigned@1012:w1/1 reclaimed@2000=agent_disconnect", "queued")
    assert found(b, "accepted-task-kept") == []


def test_progress_refreshes_the_task() -> None:
    """Progress every 500 ms, then reclaimed 600 ms after the last one processed: a hub
    that ignores progress; 2.5 s after it: the stuck threshold (2 s) allows it."""
    for stamp, expected in ((2700, ["t1"]), (4700, [])):
        b = accepted()
        for at in (1500, 2000):
            b.send(1, W1, "task_progress", "t1", at=at)
        b.send(1, W1, "ping", at=2050)
        b.add("in", "pong", at=2051, actor=W1, agent_id=W1, conn=1)
        assert found(taken_back_at(b, stamp), "accepted-task-kept", SHORT) == expected


def held(read_at: int, end: str = "") -> Builder:
    """w1 accepts t1 and holds it; the hub's record is read at ``read_at``."""
    b = accepted()
    b.snapshot()
    b.add("mark", "pause", at=read_at - 1, actor="checker")
    if end:
        b.task("t1", f"queued@1010 assigned@1012:w1/1 {end}", "queued")
    else:
        b.task("t1", "queued@1010 assigned@1012:w1/1", "assigned", assigned_to=W1)
    return b


def test_a_task_left_stuck_past_the_threshold_and_two_sweeps_is_a_violation() -> None:
    # refreshed until 1023 at the latest; 2 s + 2 x 250 ms + 1.7 s: due at 5223
    assert found(held(6000), "stuck-sweep-acts", SHORT) == ["t1"]
    assert found(held(6000, "reclaimed@3100=agent_disconnect"), "stuck-sweep-acts", SHORT) == []
    assert found(held(5000), "stuck-sweep-acts", SHORT) == []  # not long enough to judge
    assert found(held(6000), "stuck-sweep-acts") == []  # the contract's 5 minutes


def overdue(read_at: int, end: str = "") -> Builder:
    b = held(read_at, end)
    b.events[-1].info["task"].raw["complete_by"] = 1500
    return b


def test_an_overdue_task_left_assigned_is_a_violation() -> None:
    # complete_by 1500 + 2 x 250 ms + 1.525 s: due at 3525
    assert found(overdue(4500), "overdue-sweep-acts", SHORT) == ["t1"]
    assert found(overdue(4500, "reclaimed@1700=overdue"), "overdue-sweep-acts", SHORT) == []
    assert found(overdue(3400), "overdue-sweep-acts", SHORT) == []
    counts = applicable(build(overdue(4500).events, timers=SHORT))
    assert counts["overdue-sweep-acts"] == 1 and counts["stuck-sweep-acts"] == 0
