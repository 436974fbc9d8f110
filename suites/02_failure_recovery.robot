*** Settings ***
Documentation     TEST-02, failure recovery: when an agent crashes while it holds a task,
...               the hub takes the task back at once and another agent completes it,
...               exactly once.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         failure    contract:disconnect-reclaim


*** Test Cases ***
TEST-02 Task Of A Crashed Agent Is Completed By The Survivor
    [Documentation]    A victim agent accepts its task and holds it. Once it has the task, its
    ...    connection is broken without a close frame, as when its process crashes. Proves that
    ...    the survivor completes the task within 60 seconds, that the task was completed
    ...    exactly once, that its history reads assigned to the victim, reclaimed, assigned to
    ...    the survivor, completed, and that the survivor had exactly one completion
    ...    acknowledged.
    [Tags]    TEST-02    contract:sched-on-reclaim    contract:history-newest-first
    Start Agent    victim    behaviour=hold
    ${task}    Submit Task    Recover this task after a crash
    Wait Until Agent Receives Task    victim
    Start Agent    survivor    behaviour=complete
    Kill Agent Connection    victim
    Wait Until Task Is Completed    ${task}    timeout=60s
    Task Should Be Completed Exactly Once    ${task}
    Task Should Be Completed By    ${task}    survivor
    Task History Should Be    ${task}
    ...    queued
    ...    assigned to victim
    ...    reclaimed
    ...    assigned to survivor
    ...    completed
    Completed Count Should Be    survivor    1
    No Task Should Be Lost

TEST-02b Five Tasks Survive The Crash Of One Agent
    [Documentation]    Two agents share five tasks: the victim holds the first task it gets,
    ...    the survivor takes 20 ms per task, so the others wait in the queue. The
    ...    victim crashes after it got its task. Proves that all five tasks are completed
    ...    within 30 seconds, each exactly once, and that the completions the agents had
    ...    acknowledged add up to five.
    [Tags]    TEST-02b
    Start Agent    victim    behaviour=hold
    Start Agent    survivor    behaviour=slow    delay=20ms
    ${tasks}    Submit Tasks    5    Crash-tolerant task {n}
    Wait Until Agent Receives Task    victim
    Kill Agent Connection    victim
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Total Completed Count Should Be    5
    No Task Should Be Lost
