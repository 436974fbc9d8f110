"""The explorer's plumbing without a hub: planning, rendering, findings, search and shrink."""

from __future__ import annotations

import threading
import time

from AgentComLibrary.defects.judge import failure_of
from AgentComLibrary.explore import render
from AgentComLibrary.explore import report as story
from AgentComLibrary.explore.findings import CONTRACT, KEYWORD, LEDGER, Finding, classify
from AgentComLibrary.explore.model import plan
from AgentComLibrary.explore.ops import (
    Abilities,
    Close,
    Kill,
    Pause,
    ReadAgents,
    Reconnect,
    Report,
    RestartHub,
    RevokeTokens,
    StartAgent,
    Submit,
    SubmitUnknownPriority,
    operations,
    scenarios,
)
from AgentComLibrary.explore.runner import ExampleResult
from AgentComLibrary.explore.search import Budget, SearchResult, search
from AgentComLibrary.keywords.tasks import _Stall
from hypothesis import find, given, settings
from hypothesis import strategies as st

LEDGER_TEXT = (
    "Task ledger is not valid: 1 lost, 2 unfinished (of 3 acknowledged submissions).\n- lost x"
)


# -- planning --------------------------------------------------------------------------------


def test_plan_drops_operations_that_do_not_apply() -> None:
    ops = [Kill(0), StartAgent(0, "hold"), StartAgent(0), Kill(0), Close(0), Report(0), Submit()]
    assert plan(ops) == (StartAgent(0, "hold"), Kill(0), Submit())


def test_plan_reconnect_and_restart_bring_agents_back() -> None:
    ops = [StartAgent(1), Kill(1), Reconnect(1), Close(1), RestartHub(), Kill(1)]
    assert plan(ops) == tuple(ops)


def test_a_report_needs_a_connected_agent_and_a_task() -> None:
    assert plan([StartAgent(0), Report(0)]) == (StartAgent(0),)
    assert plan([StartAgent(0), Submit(), Report(0)])[-1] == Report(0)


@settings(max_examples=200, database=None)
@given(operations(Abilities()))
def test_restarts_are_not_drawn_when_the_hub_is_not_managed(op) -> None:
    assert not isinstance(op, RestartHub)


def test_restarts_are_drawn_when_the_hub_is_managed() -> None:
    found = find(operations(Abilities(restart=True)), lambda op: isinstance(op, RestartHub))
    assert found == RestartHub("kill")


def test_tokens_are_revoked_once_and_listings_read_any_time() -> None:
    ops = [RevokeTokens(), ReadAgents(), RevokeTokens(), SubmitUnknownPriority(), ReadAgents()]
    assert plan(ops) == (RevokeTokens(), ReadAgents(), SubmitUnknownPriority(), ReadAgents())


def test_a_never_taken_task_is_drawn_only_when_each_scenario_has_a_fresh_hub() -> None:
    unknown = find(
        operations(Abilities(restart=True)), lambda op: isinstance(op, SubmitUnknownPriority)
    )
    assert unknown == SubmitUnknownPriority()


@settings(max_examples=300, database=None)
@given(operations(Abilities()))
def test_no_never_taken_task_on_a_hub_the_library_does_not_manage(op) -> None:
    assert not isinstance(op, SubmitUnknownPriority)


def test_the_new_operations_are_drawn() -> None:
    for wanted in (
        lambda op: isinstance(op, Report) and op.failed and op.stale,
        lambda op: isinstance(op, ReadAgents),
        lambda op: isinstance(op, RevokeTokens),
        lambda op: isinstance(op, StartAgent) and op.watched,
    ):
        assert wanted(find(operations(Abilities(restart=True)), wanted))


# -- rendering -------------------------------------------------------------------------------


def test_submissions_render_as_submit_task_and_submit_tasks() -> None:
    assert render.submit(["${t1}"], Submit(), 1) == ["${t1}    Submit Task    Explore task 1"]
    lines = render.submit(["${t2}", "${t3}"], Submit(2, "urgent", True, 1, 2), 2)
    assert lines == [
        "${t2}    ${t3}    Submit Tasks    2    Explore batch 2 task {n}    concurrency=2    "
        "priority=urgent    max_retries=1    capabilities=${GPU}"
    ]


def test_a_rising_batch_renders_one_submit_task_per_priority() -> None:
    op = Submit(3, "normal", False, 1, 1, True)
    assert op.priorities() == ("low", "normal", "high")
    assert render.submit(["${t1}", "${t2}", "${t3}"], op, 1) == [
        "${t1}    Submit Task    Explore task 1    priority=low    max_retries=1",
        "${t2}    Submit Task    Explore task 2    max_retries=1",
        "${t3}    Submit Task    Explore task 3    priority=high    max_retries=1",
    ]


def test_one_agent_scenarios_with_a_rising_batch_and_a_kill_are_drawn() -> None:
    found = find(
        scenarios(6),
        lambda ops: (
            any(isinstance(op, Submit) and op.rising for op in ops)
            and any(isinstance(op, Kill) for op in ops)
        ),
    )
    assert {getattr(op, "slot", 0) for op in found} == {0}


def test_agents_render_with_their_behaviour_and_ping() -> None:
    assert render.start_agent("a1", "slow", True, 0.25, 0.2) == [
        "Start Agent    a1    behaviour=slow    capabilities=gpu    delay=200ms    "
        "ping_interval=250ms"
    ]
    assert render.start_agent("a2", "complete", False, None, 0.2) == ["Start Agent    a2"]


def test_failure_reports_render_as_report_task_failed() -> None:
    assert render.report("a1", "${t2}", 0, failed=True) == [
        "Report Task Failed    a1    ${t2}    generation=0"
    ]
    assert render.report("a1", "${t2}", 1) == [
        "Report Task Complete    a1    ${t2}    generation=1"
    ]


def test_listings_revocation_and_unknown_priorities_render_as_library_keywords() -> None:
    assert render.read_agents() == [
        "Send Hub Request    GET    /api/agents    token=none",
        "Send Hub Request    GET    /api/agents/states",
    ]
    revoke = render.revoke_tokens()
    assert revoke[0] == "${run}    Get Run Id"
    assert revoke[-1] == (
        "Send Hub Request    GET    /api/tasks?status=queued    status=401    token=own    "
        "agent=keeper"
    )
    assert "DELETE    /admin/tokens/smoke-${run}-keeper    token=own    agent=keeper" in revoke[2]
    unknown = render.submit_unknown_priority()
    assert '"priority": "critical"' in unknown[0] and unknown[0].endswith("status=201")
    assert unknown[1].startswith("Should Be Equal As Integers    ${answer}[priority]    2")


def test_a_watched_start_waits_for_the_probe_to_hear_of_it() -> None:
    lines = render.watch(render.start_agent("a1", "complete", False, None, None))
    assert lines == [
        "Open Probe Connection    watcher",
        "Send Identify    watcher    agent=watcher",
        "Next Reply Should Be    watcher    identified",
        "Start Agent    a1",
        "Wait Until Probe Receives Message    watcher    agent_joined    timeout=2s",
        "Close Probe Connection    watcher",
    ]


def test_the_end_phase_judges_before_it_releases_and_reads_the_agent_listings() -> None:
    lines = render.end_phase(["a1"], "", None, 7.25, 2.38, (), read=True, judged=0.25)
    assert lines[1:6] == [
        "Sleep    250ms    Let the hub's timers run",
        "Contract Should Hold",
        "Stop Agent    a1",
        "Send Hub Request    GET    /api/agents    token=none",
        "Send Hub Request    GET    /api/agents/states",
    ]
    assert "Contract Should Hold" not in render.end_phase(["a1"], "", None, 7.25)


def test_the_reproduction_runs_alone() -> None:
    body = ["Start Agent    a1", *render.end_phase(["a1"], "", 0.25, 7.25)]
    text = render.robot_file("Explored Scenario 7 Fails", "Doc " * 40, body, render.HubSetup(1, 1))
    assert "Resource          resources/agentcom.resource" in text
    assert (
        "Suite Setup       Open Private Hub Session    acceptance_timeout=1s    "
        "hub_options=--ping-timeout 1s" in text
    )
    assert "Test Teardown     Finish AgentCom Test" in text
    assert (
        "    Wait Until Tasks Are Finished    timeout=7.25s\n    No Task Should Be Lost\n" in text
    )
    assert "    Stop Agent    a1\n" in text


# -- findings --------------------------------------------------------------------------------


def test_a_broken_rule_comes_before_the_body_failure() -> None:
    found = classify(LEDGER_TEXT, "Contract rule 'one-task-per-agent' broken: x [task t]")
    assert (found.kind, found.key) == (CONTRACT, "one-task-per-agent")
    assert found.matches("body\n\nAlso teardown failed:\nContract rule 'one-task-per-agent' broken")


def test_ledger_findings_name_the_first_category() -> None:
    found = classify(LEDGER_TEXT, None)
    assert (found.kind, found.key) == (LEDGER, "lost")
    unfinished = classify(
        "queue stalled\n1 task of 2 not finished (completed or dead letter)", None
    )
    assert unfinished == Finding(LEDGER, "unfinished", unfinished.message)
    assert unfinished.matches("2 tasks of 9 not finished (completed or dead letter) within 7s")
    assert not found.matches("Task ledger is not valid: 1 duplicated (of 3 ...)")


def test_keyword_findings_ignore_ids_and_what_was_seen() -> None:
    one = classify(
        "Agent 'a1' (smoke-0a1b2c3d-a1) was not identified by the hub: expected 'identified', "
        "got error 'invalid_token' (token 1234abcd...).",
        None,
    )
    assert one.kind == KEYWORD
    assert (
        one.key
        == "Agent 'a#' (smoke-<run>-a#) was not identified by the hub: expected 'identified'"
    )
    assert one.matches(
        "Agent 'a1' (smoke-99999999-a1) was not identified by the hub: expected 'identified', "
        "got no answer"
    )
    assert classify(None, None) is None


# -- search and shrink -----------------------------------------------------------------------


def fake_hub(calls: list):
    """A 'hub' that loses the task of a killed holder: fails when a hold agent is killed."""

    def run(key):
        calls.append(key)
        holders, lost = set(), False
        for op in key:
            if isinstance(op, StartAgent) and op.behaviour == "hold":
                holders.add(op.slot)
            if (
                isinstance(op, Kill)
                and op.slot in holders
                and any(isinstance(o, Submit) for o in key)
            ):
                lost = True
        finding = Finding(LEDGER, "unfinished", "1 task of 1 not finished") if lost else None
        return ExampleResult(lines=[str(op) for op in key], finding=finding)

    return run


def test_search_finds_and_shrinks_to_the_minimal_scenario() -> None:
    calls: list = []
    result = search(fake_hub(calls), scenarios(12), 3, Budget(duration=30, max_examples=300))
    assert result.finding is not None and result.finding.key == "unfinished"
    assert len(result.best_plan) == 3
    assert {type(op) for op in result.best_plan} == {StartAgent, Submit, Kill}
    assert len(calls) == len(set(calls)), "a planned scenario ran twice"
    assert result.examples == len(calls)


def test_after_hypothesis_each_operation_is_left_out_in_turn() -> None:
    calls: list = []
    for seed in (3, 4, 5):  # seeds whose first 300 scenarios have a hold agent killed
        result = search(fake_hub(calls), scenarios(12), seed, Budget(duration=30, max_examples=300))
        assert result.finding is not None, f"seed {seed}: no failure among 300 scenarios"
        assert len(result.best_plan) == 3, result.best_plan


def test_the_same_seed_draws_the_same_scenarios_with_every_operation() -> None:
    first: list = []
    second: list = []
    managed = scenarios(8, Abilities(restart=True))
    search(fake_hub(first), managed, 5, Budget(duration=30, max_examples=40))
    search(fake_hub(second), managed, 5, Budget(duration=30, max_examples=40))
    assert first == second


def test_the_same_seed_draws_the_same_scenarios() -> None:
    first: list = []
    second: list = []
    search(fake_hub(first), scenarios(6), 11, Budget(duration=30, max_examples=20))
    search(fake_hub(second), scenarios(6), 11, Budget(duration=30, max_examples=20))
    assert first == second


def test_the_time_budget_ends_a_search_that_finds_nothing() -> None:
    ticks = iter(range(0, 10_000, 10))
    result = search(
        lambda key: ExampleResult(lines=[]),
        scenarios(4),
        1,
        Budget(duration=35, max_examples=1000),
        clock=lambda: float(next(ticks)),
    )
    assert result.finding is None
    assert result.stopped == "time budget spent"
    assert result.examples <= 4


def test_a_stop_ends_the_search() -> None:
    stop = threading.Event()
    stop.set()
    result = search(lambda key: ExampleResult(), scenarios(4), 1, Budget(), stop=stop)
    assert (result.stopped, result.examples) == ("asked to stop", 0)


def test_only_the_first_kind_of_failure_is_shrunk() -> None:
    def run(key):
        kinds = {type(op) for op in key}
        if Pause in kinds:
            return ExampleResult(finding=Finding(CONTRACT, "priority-order", "x"))
        if Submit in kinds:
            return ExampleResult(finding=Finding(LEDGER, "lost", "y"))
        return ExampleResult()

    result = search(run, st.lists(operations(), min_size=1, max_size=8), 5, Budget(duration=30))
    assert result.best is not None and result.best.finding.same_as(result.finding)
    assert len(result.best_plan) == 1


# -- the keyword's failure message, as the known defects judge it ------------------------------

CONTRACT_TEXT = (
    "Contract rule 'one-task-per-agent' broken: a2 holds two tasks [task t1, agent 'a2']\n"
    "Evidence (seconds since the test started):\n"
    + "".join(f"  {n}.0 event {n}\n" for n in range(14))
    + "1 more violation(s): 'agent-states-agree' x1; the first ones:\n"
    "- Contract rule 'agent-states-agree' broken: ..."
)


def _found(others: dict[str, Finding]) -> SearchResult:
    best = ExampleResult(finding=Finding(CONTRACT, "one-task-per-agent", CONTRACT_TEXT))
    result = SearchResult(seed=7, budget=Budget(), finding=best.finding, best=best)
    result.first_operations, result.best_plan = 5, (StartAgent(0), Submit())
    for name, finding in others.items():
        result.others[name] = 2
        result.other_findings[name] = finding
    return result


def test_the_failure_names_its_rules_as_an_ordinary_test_does() -> None:
    message = story.failure_message(_found({}), "results/explore/repro-7.robot")
    assert message.startswith("Contract rule 'one-task-per-agent' broken: a2 holds")
    assert "Explore Scenarios found: contract rule 'one-task-per-agent' broken (seed 7; " in message
    assert (
        "shrunk from 5 to 2 operation(s)). Reproduction: results/explore/repro-7.robot" in message
    )
    failure = failure_of([message])
    assert failure.rules == ["one-task-per-agent", "agent-states-agree"]
    assert failure.messages == []


def test_other_failures_seen_while_shrinking_are_failures_of_their_own() -> None:
    other = Finding(LEDGER, "unfinished", "1 task of 1 not finished (completed or dead letter)")
    message = story.failure_message(_found({str(other): other}), "r.robot")
    assert message.startswith("Several failures occurred:\n\n1) Contract rule 'one-task-per-agent'")
    failure = failure_of([message])
    assert failure.rules == ["one-task-per-agent", "agent-states-agree"]
    assert len(failure.messages) == 1
    assert failure.messages[0].startswith("1 task of 1 not finished")


def test_the_end_phase_waits_with_a_stall() -> None:
    lines = render.end_phase([], "", 0.25, 6.75, 2.38)
    assert lines[-2] == "Wait Until Tasks Are Finished    timeout=6.75s    stall=2.38s"


def test_a_stall_is_a_state_that_stays_the_same() -> None:
    stall = _Stall(0.05)
    assert not stall.stalled(("queued",))
    assert not stall.stalled(("queued",))
    time.sleep(0.06)
    assert stall.stalled(("queued",))
    assert not stall.stalled(("assigned",))
    assert not _Stall(None).stalled(())


def test_on_a_fresh_hub_the_end_phase_checks_the_listings() -> None:
    lines = render.end_phase([], "", 0.25, 6.75, 2.38, ["a1", "healer"])
    assert lines[-4:] == [
        "No Task Should Be Lost",
        "Task Listing Should Match Filter    assigned_to=a1",
        "Task Listing Should Match Filter    assigned_to=healer",
        "Task Stats Should Agree With Listings",
    ]


# -- the hub's own timers (fifth round) --------------------------------------------------------


def test_the_reproduction_opens_a_hub_with_the_explorers_timers() -> None:
    hub = render.HubSetup(1.0, 1.0, 3.0, 0.25, 0.25)
    assert hub.suite_setup() == (
        "Open Private Hub Session    acceptance_timeout=1s    hub_options=--ping-timeout 1s "
        "--stuck-threshold 3s --stuck-sweep-interval 250ms --overdue-sweep-interval 250ms"
    )
    assert render.HubSetup().suite_setup() == "Open Private Hub Session"


def test_timer_operations_render_as_ordinary_keywords() -> None:
    from AgentComLibrary.explore import model, ops
    from AgentComLibrary.explore.runner import work

    assert render.held_task("h1", "${t2}", 500, 0.25, 5.0, 0.25, 2.77) == [
        "Start Agent    h1    behaviour=hold    capabilities=h1    ping_interval=250ms",
        "${t2}    Submit Task    Explore task 2    capabilities=['h1']    complete_by=500ms",
        "Wait Until Agent Receives Task    h1    timeout=5s",
        "Sleep    250ms    Its accept is answered",
        "Contract Should Hold",
        "Sleep    2.77s    Past the hub's overdue sweep: it must act",
        "Stop Agent    h1",
    ]
    assert "complete_by" not in render.held_task("h2", "${t4}", 0, None, 5.0, 0.25, 6.0)[1]
    assert render.silent_held_task("h3", "${t5}", 5.0, 2.0) == [
        "Start Agent    h3    behaviour=hold    capabilities=h3",
        "${t5}    Submit Task    Explore task 5    capabilities=['h3']",
        "${h3_task}    Wait Until Agent Receives Task    h3    timeout=5s",
        "${h3_record}    Wait Until Task Is Assigned    ${h3_task}    agent=h3",
        "# h3 never pings: the hub evicts it at its ping timeout and takes the task back",
        "Wait Until Task Is Reclaimed    ${h3_task}    ${h3_record}[assigned_at]    2s",
        "Stop Agent    h3",
    ]
    lines = render.progress_worker(16, 1.0, 0.25)
    assert lines[3] == "FOR    ${_}    IN RANGE    16" and lines[7] == "END"
    assert lines[4].startswith("    Send Frame    p1    ") and "${assign}[task_id]" in lines[4]
    assert render.progress_worker_start("${t3}")[-1] == (
        "${t3}    Submit Task    Explore task 3    capabilities=['p1']"
    )
    assert "capabilities=p1" in render.progress_worker_start("${t3}")[1]
    assert work(ops.LONG_WORK) == ("slow", 1.5) and work("hold") == ("hold", 0.2)
    plan = [ops.HeldTask(500), ops.ProgressWorker(), ops.Submit(2), ops.HeldTask(0)]
    known = model.Model()
    assert all(known.apply(op) for op in plan) and known.tasks == 5 and known.holders == 2


def test_held_tasks_are_drawn_only_where_the_sweeps_are_short() -> None:
    import pytest
    from AgentComLibrary.explore.ops import Abilities, HeldTask, operations
    from hypothesis import find, settings
    from hypothesis.errors import NoSuchExample

    quick = settings(database=None, max_examples=300)
    short = Abilities(short_sweeps=True)
    assert find(operations(short), lambda op: isinstance(op, HeldTask), settings=quick) == HeldTask(
        500
    )
    with pytest.raises(NoSuchExample):
        find(operations(Abilities()), lambda op: isinstance(op, HeldTask), settings=quick)
    silent = Abilities(short_sweeps=True, short_liveness=True)
    assert find(
        operations(silent), lambda op: isinstance(op, HeldTask) and op.silent, settings=quick
    ) == HeldTask(0, silent=True)
    with pytest.raises(NoSuchExample):
        find(operations(short), lambda op: isinstance(op, HeldTask) and op.silent, settings=quick)


def test_a_stale_report_renders_as_ordinary_keywords() -> None:
    from AgentComLibrary.explore import model, ops

    assert render.stale_report("s1", "${t3}", 5.0)[3] == (
        "Report Task Complete    s1    ${s1_task}    generation=0"
    )
    assert render.stale_report("s1", "${t3}", 5.0, failed=True) == [
        "Start Agent    s1    behaviour=hold    capabilities=s1",
        "${t3}    Submit Task    Explore task 3    capabilities=['s1']",
        "${s1_task}    Wait Until Agent Receives Task    s1    timeout=5s",
        "Report Task Failed    s1    ${s1_task}    generation=0",
        "Stop Agent    s1",
    ]
    known = model.Model()
    assert known.apply(ops.StaleReport(failed=True)) and known.tasks == 1 and known.failers == 1
    assert known.apply(ops.HeldTask(0)) and known.apply(ops.ProgressWorker())
    assert known.own_agents() == ["p1", "h1", "s1"]
    assert render.healer_capabilities(known.own_agents()) == "gpu,p1,h1,s1"


def test_a_reproduction_found_in_the_network_lab_opens_the_lab_and_its_pools() -> None:
    hub = render.HubSetup(1.0, 1.0, pool_ping=0.25)
    text = render.robot_file(
        "Explored Scenario 1 Fails", "doc", ["Partition Agent Host    far"], hub
    )
    assert "Suite Setup       Open Hub In The Network Lab" in text
    assert "${NETWORK_LAB}    ${EMPTY}" in text and "${AGENT_POOLS}    ${EMPTY}" in text
    keywords = text.split("*** Keywords ***\n", 1)[1].splitlines()
    assert keywords[0] == "Open Hub In The Network Lab"
    assert keywords[2] == "    ${hub_host}    Open Network Lab    ${NETWORK_LAB}"
    assert keywords[3] == (
        "    Open Private Hub Session    acceptance_timeout=1s    hub_options=--ping-timeout 1s"
        "    host=${hub_host}"
    )
    assert keywords[5] == "        Connect Agent Pools    ${AGENT_POOLS}    ping_interval=250ms"
    assert "*** Keywords ***" not in render.robot_file("T", "doc", [], render.HubSetup())
    assert render.start_agent("a1", "hold", False, None, None, pool="local") == [
        "Start Agent    a1    behaviour=hold    pool=local"
    ]
