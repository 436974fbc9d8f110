"""The fifth round's report operations without a hub: recovering reports and a batch spread
over agents of its own (TEST-03's bar), planned, drawn and rendered."""

from __future__ import annotations

from AgentComLibrary.explore import render
from AgentComLibrary.explore.model import Model, plan
from AgentComLibrary.explore.ops import Abilities, Batch, Recovering, StartAgent, Submit, operations
from hypothesis import find


def test_a_recovering_report_needs_a_connected_agent_and_a_task() -> None:
    assert plan([StartAgent(0), Recovering(0)]) == (StartAgent(0),)
    assert plan([StartAgent(0), Submit(), Recovering(0, 2)])[-1] == Recovering(0, 2)


def test_batches_apply_always_and_keep_the_scenario_task_numbers() -> None:
    model = Model()
    for op in (Submit(2), Batch(4), Batch(3, in_result=True)):
        assert model.apply(op)
    assert (model.tasks, model.batches) == (2, 2)


def test_the_report_operations_are_drawn() -> None:
    for wanted in (
        lambda op: isinstance(op, Recovering) and op.which == 1,
        lambda op: isinstance(op, Batch) and op.in_result and op.agents == 4,
    ):
        assert wanted(find(operations(Abilities()), wanted))


def test_a_batch_is_never_drawn_over_fewer_than_three_agents() -> None:
    smallest = find(operations(Abilities()), lambda op: isinstance(op, Batch))
    assert smallest == Batch(3, in_result=False)


def test_recovering_renders_as_report_task_recovering() -> None:
    assert render.recovering("a1", "${t2}") == ["Report Task Recovering    a1    ${t2}"]


def test_a_batch_renders_as_test_03s_keywords() -> None:
    lines = render.batch(2, Batch(3, in_result=True), 0.25, 10.0)
    assert lines[0] == (
        "Start Agent    spread2-1    capabilities=explore-spread-2    ping_interval=250ms"
        "    tokens_in=result    pool=local"
    )
    assert lines[3:] == [
        "${spread2caps}    Create List    explore-spread-2",
        "${spread2}    Submit Tasks    15    Explore spread 2 task {n}"
        "    capabilities=${spread2caps}",
        "Wait Until Tasks Are Completed    ${spread2}    timeout=10s",
        "Tasks Should Be Evenly Distributed    ${spread2}    tolerance=2"
        "    agents=spread2-1, spread2-2, spread2-3",
    ]
    assert render.batch(1, Batch(), None, 10.0)[0] == (
        "Start Agent    spread1-1    capabilities=explore-spread-1"
    )


def test_the_end_phase_reports_a_finished_task_as_recovering() -> None:
    lines = render.end_phase([], "", None, 5.0, 2.0, recovered="${t1}")
    assert lines[-2:] == ["No Task Should Be Lost", "Report Task Recovering    healer    ${t1}"]
    assert "Report Task Recovering" not in "\n".join(render.end_phase([], "", None, 5.0))
