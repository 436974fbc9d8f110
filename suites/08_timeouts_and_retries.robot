*** Settings ***
Documentation     The hub's own rules on the clock and on failure: an idle agent is given the
...               next queued task, every assignment reaches its agent, an agent that never
...               accepts loses its task, and failing tasks are retried, then dead-lettered,
...               then brought back.

Resource          ../resources/agentcom.resource

# A hub of its own: TEST-02f's acceptance timeout is 500 ms here (the contract's is 60 s; a
# hub of HUB_COMMAND or HUB_URL keeps its own, and TEST-02f, tagged slow, waits on it).
Suite Setup       Open Private Hub Session    acceptance_timeout=500ms
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
