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
    ...    acceptance timeout (60 s on a real hub) and half a second more, less than the stuck
    ...    threshold. Proves that accepting stopped the acceptance timer: the task is still
    ...    assigned to it with generation 1, and its completion then counts. (It must show
    ...    that nothing happens for a while, so it waits out the hub's own timer.) On this
    ...    suite's embedded hub, with short timers, TEST-02o runs it instead.
    [Tags]    TEST-02k    failure    slow    contract:acceptance-timer-stops
    Needs The Hub's Own Timers
    An Accepted Task Outlives The Acceptance Timeout

TEST-02l The Stuck Sweep Takes Back A Task Without Progress
    [Documentation]    An agent accepts its task and then reports nothing. Proves that the
    ...    hub takes the task back once its `updated_at` is older than the stuck threshold
    ...    (5 min on a real hub), within the threshold, two sweeps (30 s) and a margin. On
    ...    this suite's embedded hub TEST-02o runs it instead.
    [Tags]    TEST-02l    failure    slow    contract:stuck-sweep
    Needs The Hub's Own Timers
    A Task Without Progress Is Taken Back

TEST-02m An Agent That Reports Progress Keeps Its Task Past The Stuck Threshold
    [Documentation]    An agent accepts its task and sends `task_progress` (and a ping) every
    ...    quarter of the stuck threshold (or of the ping timeout, if shorter) for the
    ...    threshold and two sweeps. Proves that progress refreshes the task: it is still
    ...    assigned to the agent with generation 1. (The reports are paced by the clock, as
    ...    an agent's are.) On this suite's embedded hub TEST-02o runs it instead.
    [Tags]    TEST-02m    failure    slow    contract:stuck-progress-refresh    contract:ws-progress
    Needs The Hub's Own Timers
    Progress Keeps A Task Past The Stuck Threshold

TEST-02n An Overdue Task Is Taken Back, A Task Done In Time Is Not Run Again
    [Documentation]    A task due in 1 s is completed at once; another, due in 1 s too, is
    ...    held. Proves that the held one is taken back with the reason `overdue` within its
    ...    deadline, two overdue sweeps (30 s on a real hub) and a margin, and that the
    ...    completed one, past its deadline by then too, was run exactly once. On this
    ...    suite's embedded hub TEST-02o runs it instead.
    [Tags]    TEST-02n    failure    slow    contract:overdue-sweep    contract:overdue-completed-kept
    Needs The Hub's Own Timers
    An Overdue Task Is Taken Back, One Done In Time Is Kept

TEST-02o The Hub's Timers Keep, Sweep And Reclaim On Short Settings
    [Documentation]    TEST-02k to TEST-02n on this suite's embedded hub, whose timers are
    ...    short (acceptance 500 ms, stuck threshold 2 s, sweeps every 250 ms): an accepted
    ...    task outlives the acceptance timeout, a task without progress is taken back by the
    ...    stuck sweep and one with progress is not, an overdue task is taken back and one done
    ...    in time is not run again. Runs only on the embedded hub (a hub that keeps the
    ...    contract's timers runs the four tests tagged slow), so it needs no `slow` tag and
    ...    the fault matrix runs it.
    [Tags]    TEST-02o
    ...       failure
    ...       embedded-only
    ...       contract:acceptance-timer-stops
    ...       contract:stuck-sweep
    ...       contract:stuck-progress-refresh
    ...       contract:overdue-sweep
    ...       contract:overdue-completed-kept
    An Accepted Task Outlives The Acceptance Timeout
    A Task Without Progress Is Taken Back
    Progress Keeps A Task Past The Stuck Threshold
    An Overdue Task Is Taken Back, One Done In Time Is Kept


*** Keywords ***
Needs The Hub's Own Timers
    [Documentation]    Skips the test on this suite's embedded hub, whose timers are short:
    ...    TEST-02o runs the same steps there.
    ${acceptance}    Get Hub Timer    acceptance_timeout
    Skip If    ${acceptance} < 60
    ...    This suite's embedded hub has short timers (acceptance ${acceptance} s): TEST-02o runs these steps.

An Accepted Task Outlives The Acceptance Timeout
    [Documentation]    An agent accepts a task and holds it for twice the acceptance timeout
    ...    and 0.5 s (less than the stuck threshold); the task must still be in its first
    ...    assignment, and its completion then counts.
    ${quiet}    Twice The Acceptance Timeout Within The Stuck Threshold
    Start Agent    worker    behaviour=hold
    ${task}    Submit Task    Long work after accepting
    Wait Until Task Is Assigned    ${task}    agent=worker
    Sleep    ${quiet}    reason=Twice the hub's acceptance timeout: an accepted task must outlive it.
    Task Should Still Be In Its First Assignment    ${task}
    Report Task Complete    worker    ${task}
    Wait Until Task Is Completed    ${task}
    Stop Agent    worker

Twice The Acceptance Timeout Within The Stuck Threshold
    [Documentation]    Twice the hub's acceptance timeout and 0.5 s, in seconds; fails unless it
    ...    ends before the stuck threshold.
    ${acceptance}    Get Hub Timer    acceptance_timeout
    ${threshold}    Get Hub Timer    stuck_threshold
    VAR    ${quiet}    ${acceptance * 2 + 0.5}
    Should Be True    ${quiet} < ${threshold}    The wait must end before the stuck sweep may act.
    RETURN    ${quiet}

A Task Without Progress Is Taken Back
    [Documentation]    An agent accepts a task and reports nothing; the stuck sweep must take
    ...    it back within the threshold, two sweeps and 2 s. The task needs a capability of
    ...    its own, so that no other step's agent takes it afterwards.
    ${threshold}    Get Hub Timer    stuck_threshold
    ${sweep}    Get Hub Timer    stuck_sweep_interval
    Start Agent    stuck    behaviour=hold    capabilities=stuck-step
    ${task}    Submit Task    Task that gets stuck    capabilities=${{ ["stuck-step"] }}
    ${record}    Wait Until Task Is Assigned    ${task}    agent=stuck
    VAR    ${within}    ${{ $threshold + $sweep * 2 + 2 }}
    Wait Until Task Is Reclaimed    ${task}    ${record}[assigned_at]    ${within}
    Stop Agent    stuck

Progress Keeps A Task Past The Stuck Threshold
    [Documentation]    A probe accepts a task and reports progress (and pings) every quarter of
    ...    the stuck threshold or ping timeout for the threshold and two sweeps; the task must
    ...    still be in its first assignment.
    ${threshold}    Get Hub Timer    stuck_threshold
    ${sweep}    Get Hub Timer    stuck_sweep_interval
    ${ping}    Get Hub Timer    ping_timeout
    VAR    ${pace}    ${{ min($threshold, $ping) / 4 }}
    ${task}    Give The Probe A Task    busy
    FOR    ${_}    IN RANGE    ${{ int(($threshold + 2 * $sweep) / $pace) + 2 }}
        Send Frame    probe    {"type": "task_progress", "task_id": "${task}"}
        Probe Should Still Answer Ping    probe
        Sleep    ${pace}    reason=The pace of an agent's progress reports.
    END
    Task Should Still Be In Its First Assignment    ${task}
    Close Probe Connection    probe

Give The Probe A Task
    [Documentation]    A probe identified as ``agent`` is given a new task and accepts it;
    ...    returns the task.
    [Arguments]    ${agent}
    Identify A Probe That Takes Tasks    probe    ${agent}
    ${task}    Submit Task    Long task with progress reports
    Wait Until Probe Receives Task    probe
    Accept Task    probe    ${task}
    RETURN    ${task}

An Overdue Task Is Taken Back, One Done In Time Is Kept
    [Documentation]    A task due in 1 s completed at once, another held past its deadline:
    ...    the held one must be reclaimed as `overdue` within the deadline, two sweeps and 2 s;
    ...    the completed one must have run exactly once. The tasks need a capability of their
    ...    own, so that no other step's agent takes them afterwards.
    ${sweep}    Get Hub Timer    overdue_sweep_interval
    ${done}    Task Completed Before Its Deadline
    Start Agent    late    behaviour=hold    capabilities=overdue-step
    ${due}    Submit Task    Held past its deadline    complete_by=1s    capabilities=${{ ["overdue-step"] }}
    ${record}    Wait Until Task Is Assigned    ${due}    agent=late
    Wait Until Task Is Reclaimed    ${due}    ${record}[assigned_at]    ${{ 1 + $sweep * 2 + 2 }}
    Task Should Have Been Reclaimed As Overdue    ${due}
    Task Should Be Completed Exactly Once    ${done}
    Task History Should Be    ${done}    queued    assigned to quick    completed
    Stop Agent    late

Task Completed Before Its Deadline
    [Documentation]    A task due in 1 s, completed at once by an agent that then leaves.
    Start Agent    quick    behaviour=complete    capabilities=overdue-step
    ${done}    Submit Task    Done before its deadline    complete_by=1s    capabilities=${{ ["overdue-step"] }}
    Wait Until Task Is Completed    ${done}
    Stop Agent    quick
    RETURN    ${done}

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
