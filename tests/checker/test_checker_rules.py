"""Every rule of the contract checker on hand-made histories: one that holds, one that breaks."""

from __future__ import annotations

import pytest
from AgentComLibrary.checker.events import IN
from AgentComLibrary.checker.verdict import check, failure_message
from histbuild import RUN, Builder, all_violations, assigned, get_task_answer, violations

W1, W2 = "w1", "w2"
IDLE = {"agent_id": W1, "fsm_state": "idle", "current_task_id": None}


def clean_run() -> Builder:
    """w1 identifies, a task is posted, assigned to w1, accepted and completed."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.post("t1", created_at=1010, sent=1009, received=1011)
    b.assign(1, W1, "t1", 1, assigned_at=1012, at=1013)
    b.complete(1, W1, "t1", 1)
    b.snapshot()
    b.states([IDLE])
    b.task("t1", "queued@1010 assigned@1012:w1/1 completed@1016", "completed")
    return b


def test_a_clean_run_breaks_no_rule() -> None:
    assert all_violations(clean_run()) == []


# -- one task per agent --


def two_assignments(release: str | None) -> Builder:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "a", 1, assigned_at=1010, at=1011)
    if release == "ack":
        b.complete(1, W1, "a", 1)
    b.assign(1, W1, "b", 1, assigned_at=1020, at=1021)
    b.snapshot()
    a_events = "queued@1005 assigned@1010:w1/1"
    if release == "reclaim":
        a_events += " reclaimed@1020=agent_disconnect"
    else:
        a_events += " completed@1025"
    b.task("a", a_events, "queued" if release == "reclaim" else "completed")
    b.task("b", "queued@1006 assigned@1020:w1/1", "assigned", assigned_to=W1)
    return b


def test_second_assignment_while_holding_a_task_is_a_violation() -> None:
    found = violations(two_assignments(None), "one-task-per-agent")
    assert [(v.task_id, v.agent_id) for v in found] == [("b", W1)]
    assert "still held task a" in found[0].text


def test_second_assignment_after_the_completion_ack_holds() -> None:
    assert violations(two_assignments("ack"), "one-task-per-agent") == []


def test_second_assignment_after_a_reclaim_in_the_same_millisecond_holds() -> None:
    # acceptance timeout: the hub reclaims a and may hand the agent the next task at once
    assert violations(two_assignments("reclaim"), "one-task-per-agent") == []


def test_a_completion_in_the_same_millisecond_without_ack_does_not_release() -> None:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "a", 1, assigned_at=1010, at=1011)
    b.assign(1, W1, "b", 1, assigned_at=1010, at=1012)  # same scheduling pass
    b.task("a", "queued@1005 assigned@1010:w1/1 completed@1010", "completed")
    b.task("b", "queued@1006 assigned@1010:w1/1", "assigned", assigned_to=W1)
    assert len(violations(b, "one-task-per-agent")) == 1


def test_a_new_connection_holds_nothing() -> None:
    b = Builder()
    b.dropped_holding(1, W1, "a", 1)
    b.connect(2, W1)
    b.assign(2, W1, "b", 1, assigned_at=1030, at=1031)
    b.task("a", "queued@1005 assigned@1010:w1/1", "assigned", assigned_to=W1)
    assert violations(b, "one-task-per-agent") == []


# -- assignments delivered and recorded --


def undelivered(ended: bool) -> Builder:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.post("t1", created_at=1010, sent=1009, received=1011)
    if ended:
        b.end(1, W1, at=1015)
    b.snapshot()
    b.task("t1", "queued@1010 assigned@1012:w1/1", "assigned", assigned_to=W1)
    return b


def test_a_recorded_assignment_that_never_arrives_is_a_violation() -> None:
    found = violations(undelivered(ended=False), "assignment-delivered")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W1)]


def test_reading_old_task_records_does_not_spoil_the_clock_bounds() -> None:
    b = undelivered(ended=False)
    get_task_answer(b, "t1", created_at=1010, sent=5000)
    assert len(violations(b, "assignment-delivered")) == 1


def test_an_assignment_to_a_connection_that_ended_is_not_judged() -> None:
    assert violations(undelivered(ended=True), "assignment-delivered") == []


def test_no_clock_bounds_means_delivery_is_not_claimed() -> None:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.task("t1", "queued@1010 assigned@1012:w1/1", "assigned", assigned_to=W1)
    assert violations(b, "assignment-delivered") == []


def test_a_task_assign_the_hub_did_not_record_is_a_violation() -> None:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 2, assigned_at=1012, at=1013)
    b.snapshot()
    b.task("t1", "queued@1010 assigned@1012:w1/1", "assigned", assigned_to=W1)
    found = violations(b, "assignment-recorded")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W1)]
    assert "gen 2" in found[0].text


def test_a_truncated_history_excuses_a_missing_assignment() -> None:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 1, assigned_at=1012, at=1013)
    b.snapshot()
    events = [("assigned", 2000 + 2 * i, assigned(W2, 30 + i)) for i in range(25)]
    events = [
        e
        for pair in zip(
            events,
            [("reclaimed", 2001 + 2 * i, "agent_disconnect") for i in range(25)],
            strict=True,
        )
        for e in pair
    ]
    b.task("t1", events, "queued")
    assert violations(b, "assignment-recorded") == []


# -- generations --


def test_a_lower_generation_in_the_history_is_a_violation() -> None:
    b = Builder()
    b.task("t1", "queued@1 assigned@2:w1/2 reclaimed@3 assigned@4:w2/2", "assigned", assigned_to=W2)
    assert len(violations(b, "generation-increases")) == 1


@pytest.mark.parametrize(("second", "broken"), [(1, True), (3, False)])
def test_a_generation_sent_to_a_second_agent_must_be_higher(second: int, broken: bool) -> None:
    b = Builder()
    b.connect(1, W1)
    b.connect(2, W2)
    b.assign(1, W1, "t1", 1, assigned_at=1100)
    b.assign(2, W2, "t1", second, assigned_at=1101)
    story = f"queued@1 assigned@1100:w1/1 reclaimed@1100 assigned@1101:w2/{second}"
    b.task("t1", story, "assigned", assigned_to=W2)
    found = violations(b, "generation-increases")
    # broken: seen in the frames and in the hub's history alike
    assert bool(found) is broken and {v.task_id for v in found} <= {"t1"}


def stale_report(answer: str) -> Builder:
    """w1 lost t1 (gen 1) to w2 (gen 3), then reports gen 1; the hub answers ``answer``."""
    b = Builder()
    b.dropped_holding(1, W1, "t1", 1)
    b.connect(2, W2)
    b.assign(2, W2, "t1", 3, assigned_at=1030, at=1031)
    b.connect(3, W1)
    b.send(3, W1, "task_complete", "t1", 1)
    if answer == "ack":
        b.ack(3, W1, "t1", "complete")
    else:
        b.error(3, W1, "task_complete_failed: stale_generation")
    b.complete(2, W2, "t1", 3)
    b.snapshot()
    b.task(
        "t1",
        "queued@1005 assigned@1010:w1/1 reclaimed@1020=agent_disconnect"
        " assigned@1030:w2/3 completed@1040",
        "completed",
    )
    return b


def test_a_stale_completion_acknowledged_is_a_violation() -> None:
    found = violations(stale_report("ack"), "ack-current-generation")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W1)]


def test_a_stale_completion_refused_holds() -> None:
    assert all_violations(stale_report("error")) == []


def test_a_completion_without_generation_acknowledged_is_a_violation() -> None:
    b = Builder()
    b.connect(1, W1)
    b.assign(1, W1, "t1", 1, assigned_at=1000)
    b.send(1, W1, "task_complete", "t1", None)
    b.ack(1, W1, "t1", "complete")
    b.snapshot()
    b.task("t1", "queued@990 assigned@1000:w1/1", "assigned", assigned_to=W1)
    assert len(violations(b, "ack-current-generation")) == 1
    assert len(violations(b, "completion-to-holder")) == 1  # generation 0 was never assigned


def test_answers_are_paired_in_order_on_a_connection() -> None:
    # two reports, two answers: the error answers the first, the ack the second
    b = Builder()
    b.connect(1, W1)
    b.assign(1, W1, "t1", 2, assigned_at=1000)
    b.send(1, W1, "task_complete", "t1", 1)
    b.send(1, W1, "task_complete", "t1", 2)
    b.error(1, W1, "task_complete_failed: stale_generation")
    b.ack(1, W1, "t1", "complete")
    b.snapshot()
    b.task(
        "t1",
        "queued@990 assigned@995:w2/1 reclaimed@996 assigned@1000:w1/2 completed@1010",
        "completed",
    )
    assert violations(b, "ack-current-generation") == []


# -- exactly once --


def test_two_completions_are_a_violation() -> None:
    b = Builder()
    b.task("t1", "queued@1 assigned@2:w1/1 completed@3 completed@4", "completed")
    assert [v.task_id for v in violations(b, "completed-once")] == ["t1"]


def completion_by(gen: int) -> Builder:
    """w2, never sent t1, reports it complete with ``gen``; the hub acknowledges it."""
    b = Builder()
    b.connect(1, W2)
    b.send(1, W2, "task_complete", "t1", gen)
    b.ack(1, W2, "t1", "complete")
    b.snapshot()
    b.task("t1", "queued@1 assigned@2:w1/1 completed@3", "completed")
    return b


def test_a_completion_acknowledged_for_a_generation_never_assigned_is_a_violation() -> None:
    found = violations(completion_by(gen=5), "completion-to-holder")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W2)]
    assert "generation 5, which no agent was ever assigned" in found[0].text


def test_a_completion_by_another_agent_with_the_current_generation_holds() -> None:
    """Changed: the contract does not check who reports (nor does the real hub): the right
    generation completes the task whoever sends it. This used to be a violation."""
    assert violations(completion_by(gen=1), "completion-to-holder") == []


# -- capabilities --


def test_a_task_for_an_agent_without_its_capability_is_a_violation() -> None:
    b = Builder()
    b.connect(1, W1, caps=(RUN,))
    b.assign(1, W1, "t1", 1, assigned_at=1000)
    b.task("t1", "queued@990 assigned@1000:w1/1", "assigned", caps=(RUN, "gpu"), assigned_to=W1)
    found = violations(b, "capabilities")
    assert found and "lacks gpu" in found[0].text


def test_a_task_for_an_agent_with_its_capabilities_holds() -> None:
    b = Builder()
    b.connect(1, W1, caps=(RUN, "gpu"))
    b.assign(1, W1, "t1", 1, assigned_at=1000)
    b.task("t1", "queued@990 assigned@1000:w1/1", "assigned", caps=(RUN, "gpu"), assigned_to=W1)
    assert violations(b, "capabilities") == []


# -- no assignment after disconnect --


def ghost(reconnect_before: bool) -> Builder:
    b = Builder()
    b.accepted_first(1, W1, "t1", created=1005, stamp=1010)
    b.end(1, W1, "kill", at=1020)
    if reconnect_before:
        b.connect(2, W1, at=1021)
    b.snapshot()
    b.task(
        "t1",
        "queued@1005 assigned@1010:w1/1 reclaimed@1022=agent_disconnect assigned@1022:w1/2",
        "assigned",
        assigned_to=W1,
    )
    return b


def test_an_assignment_to_an_agent_whose_connection_closed_is_a_violation() -> None:
    found = violations(ghost(reconnect_before=False), "no-assign-after-disconnect")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W1)]


def test_an_assignment_after_the_agent_identified_again_holds() -> None:
    assert violations(ghost(reconnect_before=True), "no-assign-after-disconnect") == []


def test_an_unaccepted_task_may_go_back_to_the_same_agent() -> None:
    # acceptance timeout: the contract lets the now-idle agent get the same task again
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 1, assigned_at=1010, at=1011)
    b.assign(1, W1, "t1", 3, assigned_at=3010, at=3011)
    b.snapshot()
    b.task(
        "t1",
        "queued@1005 assigned@1010:w1/1 reclaimed@3010=agent_disconnect assigned@3010:w1/3",
        "assigned",
        assigned_to=W1,
        generation=3,
    )
    assert all_violations(b) == []


# -- histories --


def test_an_oldest_first_history_is_a_violation() -> None:
    b = Builder()
    b.task("t1", "queued@1 assigned@1:w1/1 completed@1", "completed", newest_first=False)
    found = violations(b, "history-well-formed")
    assert found and "not 'queued'" in found[0].text


def test_timestamps_must_be_newest_first() -> None:
    b = Builder()
    b.task("t1", "queued@5 assigned@3:w1/1", "assigned", assigned_to=W1)
    assert "not newest first" in violations(b, "history-well-formed")[0].text


def test_a_reclaim_of_a_queued_task_is_a_violation() -> None:
    b = Builder()
    b.task("t1", "queued@1 reclaimed@2", "queued")
    assert "'reclaimed' while the task was queued" in violations(b, "history-well-formed")[0].text


def test_a_retry_and_a_retry_from_dead_letter_hold() -> None:
    b = Builder()
    b.task(
        "t1",
        "queued@1 assigned@2:w1/1 retry@3 assigned@4:w1/3"
        " dead_letter@5 queued@6 assigned@7:w1/5 completed@8",
        "completed",
    )
    assert violations(b, "history-well-formed") == []


# -- agent states --


def test_a_working_agent_that_holds_nothing_is_a_violation() -> None:
    b = clean_run()
    b.events = [e for e in b.events if e.type != "states"]
    b.states([{"agent_id": W1, "fsm_state": "working", "current_task_id": "t1"}])
    found = violations(b, "agent-states-agree")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W1)]


def test_a_state_that_changed_while_we_looked_is_not_judged() -> None:
    b = clean_run()
    b.events = [e for e in b.events if e.type != "states"]
    b.states([{"agent_id": W1, "fsm_state": "working", "current_task_id": "t1"}], [IDLE])
    assert violations(b, "agent-states-agree") == []


@pytest.mark.parametrize(
    ("report", "ack", "end"),
    [("task_complete", "complete", "completed"), ("task_failed", "dead_letter", "dead_letter")],
)
def test_a_report_without_acceptance_leaves_the_agent_assigned(report, ack, end) -> None:
    """The real hub treats a failure like a completion: its agent state machine only goes
    back to idle from 'working', so an unaccepted completed or failed task leaves the agent
    assigned."""
    b = Builder()
    b.connect(1, W1)
    b.assign(1, W1, "t1", 1, assigned_at=1000)
    b.send(1, W1, report, "t1", 1)
    b.ack(1, W1, "t1", ack)
    b.snapshot()
    b.states([{"agent_id": W1, "fsm_state": "assigned", "current_task_id": "t1"}])
    b.task("t1", f"queued@990 assigned@1000:w1/1 {end}@1005", end)
    assert all_violations(b) == []


def test_an_acceptance_of_an_earlier_assignment_does_not_count() -> None:
    """After an acceptance timeout the hub may hand the same task to the same agent again:
    the agent that accepted generation 1 (too late) has not accepted generation 3."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 1, assigned_at=1010)
    b.send(1, W1, "task_accepted", "t1")
    b.ack(1, W1, "t1", "accepted")
    b.assign(1, W1, "t1", 3, assigned_at=1100, at=1101)
    b.snapshot()
    b.states([{"agent_id": W1, "fsm_state": "assigned", "current_task_id": "t1"}])
    b.task(
        "t1",
        "queued@1005 assigned@1010:w1/1 reclaimed@1090=agent_disconnect assigned@1100:w1/3",
        "assigned",
        assigned_to=W1,
    )
    assert violations(b, "agent-states-agree") == []


def test_a_reconnecting_agent_may_be_given_back_its_recorded_task() -> None:
    """The real hub starts a reconnecting agent's state in 'assigned' with the task its
    store still assigns to it (after a restart), until the acceptance timeout."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 1, assigned_at=1010)
    b.end(1, W1, at=1500)
    b.connect(2, W1, at=2000)
    b.snapshot()
    b.states([{"agent_id": W1, "fsm_state": "assigned", "current_task_id": "t1"}])
    b.task("t1", "queued@1005 assigned@1010:w1/1", "assigned", assigned_to=W1)
    assert violations(b, "agent-states-agree") == []


def test_a_task_recorded_for_another_agent_is_not_given_back() -> None:
    b = Builder()
    b.connect(1, W1, at=1000)
    b.snapshot()
    b.states([{"agent_id": W1, "fsm_state": "assigned", "current_task_id": "t1"}])
    b.task("t1", "queued@1005 assigned@1010:w2/1", "assigned", assigned_to=W2)
    assert [v.task_id for v in violations(b, "agent-states-agree")] == ["t1"]


def test_a_held_task_must_show_in_the_state() -> None:
    b = Builder()
    b.connect(1, W1)
    b.assign(1, W1, "t1", 1, assigned_at=1000)
    b.send(1, W1, "task_accepted", "t1")
    b.ack(1, W1, "t1", "accepted")
    b.snapshot()
    b.states([IDLE])
    b.task("t1", "queued@990 assigned@1000:w1/1", "assigned", assigned_to=W1)
    found = violations(b, "agent-states-agree")
    assert found and "expected 'working'" in found[0].text


# -- priority --
# The hub's clock is ours here (the posts bound the offset to [-2, +2] ms). The real hub
# pairs agents and tasks from a snapshot per pass: a task queued during a pass waits.


def priority_run(
    prev_done: int | None = 1040,
    urgent_queued: int = 1044,
    low_assigned: int = 1049,
    urgent_left: str = "assigned@1058:w1/1",
    urgent_caps: tuple[str, ...] = (RUN,),
    connect_at: int = 1000,
    mid: tuple[int, int] | None = None,
) -> Builder:
    """w1 (alone) ran ``prev`` until ``prev_done``; ``low`` was queued at 1030, ``urgent`` at
    ``urgent_queued``; ``low`` went to w1 at ``low_assigned`` and finished at 1055; then
    ``urgent`` left the queue as ``urgent_left`` says (empty: still queued)."""
    b = Builder()
    b.connect(1, W1, at=connect_at)
    b.post("prev", created_at=1010, sent=1009, received=1011)
    b.post("low", created_at=1030, sent=1029, received=1031)
    b.post("urgent", created_at=urgent_queued, sent=urgent_queued - 1, received=urgent_queued + 1)
    if prev_done is not None:
        b.assign(1, W1, "prev", 1, assigned_at=max(1012, connect_at + 3))
        b.task("prev", f"queued@1010 assigned@1012:w1/1 completed@{prev_done}", "completed")
    b.assign(1, W1, "low", 1, assigned_at=low_assigned)
    b.snapshot()
    b.task(
        "low", f"queued@1030 assigned@{low_assigned}:w1/1 completed@1055", "completed", priority=3
    )
    b.task(
        "urgent",
        f"queued@{urgent_queued} {urgent_left}".strip(),
        "assigned" if urgent_left else "queued",
        priority=0,
        caps=urgent_caps,
        assigned_to=W1 if urgent_left else None,
    )
    if mid is not None:
        b.task("mid", f"queued@{mid[0]} assigned@{mid[1]}:w2/1", "assigned", assigned_to=W2)
    return b


def priority_found(b: Builder) -> list[tuple[str | None, str | None]]:
    return [(v.task_id, v.agent_id) for v in violations(b, "priority-order")]


def test_the_real_hubs_snapshot_race_holds() -> None:
    """Seen on the real hub: urgent queued +0.044 s, low assigned +0.049 s, urgent +0.058 s;
    w1 became idle (its previous task completed) at +0.040 s, before urgent was queued, so
    the pass that gave it low may have listed the queue before urgent was in it."""
    assert priority_found(priority_run()) == []


def test_a_low_task_assigned_by_a_pass_that_began_after_the_urgent_one_was_queued() -> None:
    """A FIFO hub: ``mid``, queued (1045) after urgent (1044), was assigned (1047) before low
    (1049), so low's pass began after urgent was queued, saw it, and still gave w1 low."""
    found = violations(priority_run(mid=(1045, 1047)), "priority-order")
    assert [(v.task_id, v.agent_id) for v in found] == [("low", W1)]
    assert "urgent (urgent), which that agent could take" in found[0].text
    evidence = "\n".join(found[0].evidence)
    assert "mid: queued" in evidence and "urgent: queued" in evidence
    assert "the pass that assigned low began after this" in evidence
    assert "urgent: assigned to w1 gen 1" in evidence


def test_an_urgent_task_still_queued_at_the_end_counts() -> None:
    found = violations(priority_run(urgent_left="", mid=(1045, 1047)), "priority-order")
    assert [(v.task_id, v.agent_id) for v in found] == [("low", W1)]
    assert "still queued when the records were read" in found[0].evidence[-1]


def test_a_task_queued_after_urgent_but_assigned_after_low_proves_nothing() -> None:
    assert priority_found(priority_run(mid=(1045, 1050))) == []


def test_the_end_of_the_agents_previous_task_proves_nothing() -> None:
    """Seen on the real hub (TEST-03e, a loaded machine): urgent queued +1.046 s, w4's
    previous task completed +1.056 s, high assigned to w4 +1.212 s, urgent to w3 +1.238 s.
    Its agent states lag behind its task records (the race of one-task-per-agent), so the
    pass that gave w4 high may have listed w4 idle, and the queue, before urgent was queued:
    a completion after urgent was queued proves nothing about that pass."""
    assert priority_found(priority_run(prev_done=1046)) == []


def test_the_identify_is_when_a_fresh_agent_became_idle() -> None:
    """Everything queued first, then the agent connects (1100): a FIFO pick is caught with
    the agent's identify as the moment it became idle (sent 1101, hub clock >= 1099)."""
    b = Builder()
    b.post("low", created_at=1010, sent=1009, received=1011)
    b.post("urgent", created_at=1020, sent=1019, received=1021)
    b.connect(1, W1, at=1100)
    b.assign(1, W1, "low", 1, assigned_at=1105)
    b.snapshot()
    b.task("low", "queued@1010 assigned@1105:w1/1", "assigned", priority=3, assigned_to=W1)
    b.task("urgent", "queued@1020", "queued", priority=0)
    found = violations(b, "priority-order")
    assert [(v.task_id, v.agent_id) for v in found] == [("low", W1)]
    assert "-> identify" in found[0].evidence[1]


def test_an_agent_idle_since_before_the_urgent_task_proves_nothing() -> None:
    """w1 idle since it identified (1001): the pass that gave it low may have begun before
    urgent was queued, however long it took."""
    assert priority_found(priority_run(prev_done=None)) == []


def test_the_same_millisecond_proves_nothing() -> None:
    assert priority_found(priority_run(mid=(1044, 1047))) == []


def test_an_urgent_task_assigned_in_the_same_millisecond_holds() -> None:
    """Both in one pass: urgent first, low next, stamped in the same millisecond."""
    b = priority_run(urgent_left="assigned@1049:w2/1", mid=(1045, 1047))
    assert priority_found(b) == []


def test_an_urgent_task_the_agent_cannot_take_proves_nothing() -> None:
    b = priority_run(urgent_caps=(RUN, "gpu"), mid=(1045, 1047))
    assert priority_found(b) == []


def test_an_assignments_own_end_is_not_when_the_agent_became_idle() -> None:
    """low assigned and completed in the same millisecond: that completion came after the
    pass, so it proves nothing about what the pass saw."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.post("low", created_at=1010, sent=1009, received=1011)
    b.post("urgent", created_at=1020, sent=1019, received=1021)
    b.assign(1, W1, "low", 1, assigned_at=1030)
    b.snapshot()
    b.task("low", "queued@1010 assigned@1030:w1/1 completed@1030", "completed", priority=3)
    b.task("urgent", "queued@1020 assigned@1031:w1/1", "assigned", priority=0, assigned_to=W1)
    assert priority_found(b) == []


# -- the verdict --


def test_the_failure_message_starts_with_the_rule_name() -> None:
    verdict = check(two_assignments(None).view())
    message = failure_message(verdict, {W1: "worker-1"})
    assert message.startswith("Contract rule 'one-task-per-agent' broken: task b was assigned")
    assert "agent 'worker-1'" in message
    assert "Evidence" in message and "task_assign a gen 1" in message


# -- continue-honoured --


def recovered(reassign_at: int | None, report_first: bool = False) -> Builder:
    """w1 reconnects holding t1, reports it as recovering and is told to continue at 2000;
    the hub then sends t1 to w1 again at ``reassign_at`` (None: never)."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 1, assigned_at=1010)
    b.end(1, W1, at=1500)
    b.connect(2, W1, at=1900)
    b.send(2, W1, "task_recovering", "t1", at=1950)
    b.frame(IN, "task_continue", 2, W1, "t1", 1, {}, 2000)
    if report_first:
        b.send(2, W1, "task_complete", "t1", 1, at=2100)
        b.ack(2, W1, "t1", "complete", at=2101)
    if reassign_at is not None:
        b.assign(2, W1, "t1", 3, assigned_at=reassign_at, at=reassign_at + 1)
    return b


def test_a_task_handed_out_again_after_task_continue_is_a_violation() -> None:
    found = violations(recovered(62_000), "continue-honoured")
    assert [(v.task_id, v.agent_id) for v in found] == [("t1", W1)]
    assert "60.0 s after the hub told agent" in found[0].text


def test_a_continued_task_left_alone_or_reported_first_is_fine() -> None:
    assert violations(recovered(None), "continue-honoured") == []
    assert violations(recovered(62_000, report_first=True), "continue-honoured") == []


def test_after_the_stuck_threshold_the_hub_may_take_it_back() -> None:
    assert violations(recovered(2000 + 5 * 60 * 1000 + 10), "continue-honoured") == []


def test_the_confirmed_assignment_arriving_after_the_continue_is_not_a_new_one() -> None:
    """The hub assigned gen 3 and pushed it while it answered task_continue for gen 3: the
    same assignment arrives after the continue, which is fine; handing the task out again
    as gen 5 later (its acceptance timeout, on the real hub) is not."""
    b = recovered(None)
    b.assign(2, W1, "t1", 1, assigned_at=2005, at=2006)
    assert violations(b, "continue-honoured") == []
    b.assign(2, W1, "t1", 3, assigned_at=62_010, at=62_011)
    assert [v.task_id for v in violations(b, "continue-honoured")] == ["t1"]
