*** Settings ***
Documentation     The hub's own rules on the clock and on failure: an idle agent is given the
...               next queued task, every assignment reaches its agent, an agent that never
...               accepts loses its task, and failing tasks are retried, then dead-lettered,
...               then brought back.

Resource          ../resources/agentcom.resource
Resource          ../resources/wire.resource

# A hub of its own with short timers: acceptance timeout 500 ms, stuck threshold 2 s, sweeps
# every 250 ms (the contract's: 60 s, 5 min, 30 s; a hub of HUB_COMMAND or HUB_URL keeps its
# own, and the tests that wait on them, tagged slow, derive their deadlines from Get Hub Timer).
Suite Setup       Open Private Hub Session    acceptance_timeout=500ms
...                   hub_options=--stuck-threshold 2s --stuck-sweep-interval 250ms --overdue-sweep-interval 250ms
Suite Teardown    Close Hub Session


*** Test Cases ***
TEST-01b An Agent That Becomes Idle Gets The Next Queued Task
    [Documentation]    One agent that takes 150 ms per task; three tasks are submitted at
    ...    once, so two of them wait in the queue while the agent works. Proves that each
    ...    time the agent finishes, the hub hands it the next queued task (the historical
    ...    defect: the queue stalled with idle agents).
    [Tags]    TEST-01b    smoke    contract:sched-on-idle
    Start Agent    worker    behaviour=slow    delay=150ms
    ${tasks}    Submit Tasks    3    Queued task {n}
    Wait Until Tasks Are Completed    ${tasks}    timeout=20s
    Completed Count Should Be    worker    3
    No Task Should Be Lost

TEST-01c Every Assignment Reaches Its Agent
    [Documentation]    Two agents and ten tasks. Proves that every task the hub records as
    ...    assigned was also received by that agent: an assignment that is recorded but never
    ...    delivered would otherwise sit unnoticed until a timeout.
    [Tags]    TEST-01c    smoke
    Start Agents    2    prefix=worker    behaviour=complete
    ${tasks}    Submit Tasks    10    Delivered task {n}
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Every Assignment Should Have Reached Its Agent    ${tasks}
    No Task Should Be Lost

TEST-02f An Agent That Never Accepts Loses Its Task
    [Documentation]    An agent ignores its assignment. Proves that after the acceptance
    ...    timeout (500 ms on this suite's embedded hub, 60 s on a real hub: `Get Hub Timer`)
    ...    the task is taken back and completed by another agent, and that the silent agent is
    ...    flagged `unresponsive`. The contract lets the hub hand the task back to the silent
    ...    agent once more; a hub that keeps doing so while the other agent is idle strands
    ...    the task, and the wait (two acceptance timeouts and 30 s) fails with its history.
    [Tags]    TEST-02f    failure    slow    contract:acceptance-timeout    contract:agent-state
    ${acceptance}    Get Hub Timer    acceptance_timeout
    Start Agent    sleeper    behaviour=ignore
    ${task}    Submit Task    Task for an agent that never answers
    Wait Until Agent Receives Task    sleeper
    Start Agent    helper    behaviour=complete
    Wait Until Task Is Completed    ${task}    timeout=${acceptance * 2 + 30}
    Task Should Be Completed By    ${task}    helper
    Agent Should Be Flagged    sleeper    unresponsive
    ${direct}    Run Keyword And Return Status    Task History Should Be    ${task}
    ...    queued    assigned to sleeper    reclaimed    assigned to helper    completed
    IF    not ${direct}
        Task History Should Be    ${task}
        ...    queued    assigned to sleeper    reclaimed    assigned to sleeper    reclaimed
        ...    assigned to helper    completed
    END

TEST-02g A Failing Task Is Retried, Dead-Lettered And Brought Back
    [Documentation]    An agent fails every task. Proves that a task with `max_retries` 2 is
    ...    retried once, then lands in the dead letter with its last error; that
    ...    `POST /api/tasks/:id/retry` brings it back; and that it then completes.
    [Tags]    TEST-02g
    ...       failure
    ...       contract:failure-retry-dead-letter
    ...       contract:task-dead-letter-list
    ...       contract:task-retry
    ...       contract:sched-on-retry
    ...       contract:history-newest-first
    Start Agent    flaky    behaviour=fail
    ${task}    Submit Task    Task that keeps failing    max_retries=2
    Wait Until Task Status Is    ${task}    dead_letter    timeout=30s
    Task Should Be In Dead Letter    ${task}
    Set Agent Behaviour    flaky    complete
    Retry Dead Letter Task    ${task}
    Wait Until Task Is Completed    ${task}    timeout=30s
    Task History Should Be    ${task}
    ...    queued
    ...    assigned to flaky
    ...    retry
    ...    assigned to flaky
    ...    dead_letter
    ...    queued
    ...    assigned to flaky
    ...    completed

TEST-02k An Agent That Accepts Keeps Its Task Past The Acceptance Timeout
    [Documentation]    An agent accepts its task and works on it for twice the hub's
    ...    acceptance timeout (500 ms here, 60 s on a real hub) and half a second more, less
    ...    than the stuck threshold. Proves that accepting stopped the acceptance timer: the
    ...    task is still assigned to it with generation 1, and its completion then counts. (The
    ...    test must show that nothing happens for a while, so it waits out the hub's own
    ...    timer, derived from `Get Hub Timer`.)
    [Tags]    TEST-02k    failure    slow    contract:acceptance-timer-stops
    ${acceptance}    Get Hub Timer    acceptance_timeout
    ${threshold}    Get Hub Timer    stuck_threshold
    VAR    ${quiet}    ${acceptance * 2 + 0.5}
    Should Be True    ${quiet} < ${threshold}    The wait must end before the stuck sweep may act.
    Start Agent    worker    behaviour=hold
    ${task}    Submit Task    Long work after accepting
    Wait Until Task Is Assigned    ${task}    agent=worker
    Sleep    ${quiet}    reason=Twice the hub's acceptance timeout: an accepted task must outlive it.
    Task Should Still Be In Its First Assignment    ${task}
    Report Task Complete    worker    ${task}
    Wait Until Task Is Completed    ${task}
    Task History Should Be    ${task}    queued    assigned to worker    completed

TEST-02l The Stuck Sweep Takes Back A Task Without Progress
    [Documentation]    An agent accepts its task and then reports nothing. Proves that the
    ...    hub takes the task back once its `updated_at` is older than the stuck threshold
    ...    (2 s here, 5 min on a real hub), within the threshold and two sweeps (250 ms here,
    ...    30 s on a real hub) and a margin.
    [Tags]    TEST-02l    failure    slow    contract:stuck-sweep
    ${threshold}    Get Hub Timer    stuck_threshold
    ${sweep}    Get Hub Timer    stuck_sweep_interval
    Start Agent    stuck    behaviour=hold
    ${task}    Submit Task    Task that gets stuck
    ${record}    Wait Until Task Is Assigned    ${task}    agent=stuck
    Wait Until Task Is Reclaimed    ${task}    ${record}[assigned_at]    ${{ $threshold + $sweep * 2 + 2 }}

TEST-02m An Agent That Reports Progress Keeps Its Task Past The Stuck Threshold
    [Documentation]    An agent accepts its task and sends `task_progress` (and a ping) every
    ...    quarter of the stuck threshold (or of the ping timeout, if shorter) for the
    ...    threshold and two sweeps. Proves that progress refreshes the task: it is still
    ...    assigned to the agent with generation 1. (The reports are paced by the clock, as
    ...    an agent's are.)
    [Tags]    TEST-02m    failure    slow    contract:stuck-progress-refresh    contract:ws-progress
    ${threshold}    Get Hub Timer    stuck_threshold
    ${sweep}    Get Hub Timer    stuck_sweep_interval
    ${ping}    Get Hub Timer    ping_timeout
    VAR    ${pace}    ${{ min($threshold, $ping) / 4 }}
    Identify A Probe That Takes Tasks    probe    busy
    ${task}    Submit Task    Long task with progress reports
    Wait Until Probe Receives Task    probe
    Accept Task    probe    ${task}
    FOR    ${_}    IN RANGE    ${{ int(($threshold + 2 * $sweep) / $pace) + 2 }}
        Send Frame    probe    {"type": "task_progress", "task_id": "${task}"}
        Probe Should Still Answer Ping    probe
        Sleep    ${pace}    reason=The pace of an agent's progress reports.
    END
    Task Should Still Be In Its First Assignment    ${task}

TEST-02n An Overdue Task Is Taken Back, A Task Done In Time Is Not Run Again
    [Documentation]    A task due in 1 s is completed at once; another, due in 1 s too, is
    ...    held. Proves that the held one is taken back with the reason `overdue` within its
    ...    deadline and two overdue sweeps (250 ms here, 30 s on a real hub) and a margin,
    ...    and that the completed one, past its deadline by then too, was run exactly once.
    [Tags]    TEST-02n    failure    slow    contract:overdue-sweep    contract:overdue-completed-kept
    ${sweep}    Get Hub Timer    overdue_sweep_interval
    Start Agent    quick    behaviour=complete
    ${done}    Submit Task    Done before its deadline    complete_by=1s
    Wait Until Task Is Completed    ${done}
    Stop Agent    quick
    Start Agent    late    behaviour=hold
    ${due}    Submit Task    Held past its deadline    complete_by=1s
    ${record}    Wait Until Task Is Assigned    ${due}    agent=late
    Wait Until Task Is Reclaimed    ${due}    ${record}[assigned_at]    ${{ 1 + $sweep * 2 + 2 }}
    Task Should Have Been Reclaimed As Overdue    ${due}
    Task Should Be Completed Exactly Once    ${done}
    Task History Should Be    ${done}    queued    assigned to quick    completed


*** Keywords ***
Task Should Still Be In Its First Assignment
    [Documentation]    Fails unless the task is assigned with generation 1: never taken back.
    [Arguments]    ${task}
    Task Status Should Be    ${task}    assigned
    Get Task Field    ${task}    generation    ==    ${1}

Task Should Have Been Reclaimed As Overdue
    [Documentation]    Fails unless the task's history has a `reclaimed` entry with the
    ...    details `overdue`.
    [Arguments]    ${task}
    ${record}    Get Task    ${task}
    ${reasons}    Evaluate    [h.get('details') for h in $record['history'] if h.get('event') == 'reclaimed']
    Should Contain    ${reasons}    overdue    No reclaim of ${task} says overdue: ${reasons}
