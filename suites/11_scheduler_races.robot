*** Settings ***
Documentation     Scheduler races: many agents finishing at the same moment while several
...               submitters post at once. The contract checker at teardown judges every
...               assignment of the run (one task per agent, generations, capabilities, ...).

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite
Test Setup        Start AgentCom Test
Test Teardown     Finish AgentCom Test

Test Tags         scale


*** Variables ***
@{GPU}    gpu


*** Test Cases ***
TEST-03e Two Hundred Tasks From Four Submitters Over Eight Agents That Complete At Once
    [Documentation]    Eight agents that complete at once; 200 tasks of all four priorities
    ...    are posted by four submitters at the same time, so agents become idle while tasks
    ...    arrive and every scheduling pass races with the next. Proves that all 200 are
    ...    completed exactly once, that every assignment reached its agent, and (the
    ...    contract checker) that no agent was handed a task while it still held another.
    [Tags]    TEST-03e    contract:sched-one-task-per-agent
    Start Agents    8    prefix=worker    behaviour=complete
    ${tasks}    Submit Tasks    200    Race task {n}    priority=urgent, high, normal, low
    ...    concurrency=4
    Wait Until Tasks Are Completed    ${tasks}    timeout=60s
    Every Assignment Should Have Reached Its Agent    ${tasks}
    No Task Should Be Lost

TEST-03f Tasks Needing A Capability Go Only To Agents That Declare It
    [Documentation]    One agent declares the capability `gpu`, another does not; six tasks
    ...    need `gpu` and six need nothing more than the run's capability. Proves that every
    ...    `gpu` task is completed by the agent that declared it and that all twelve are
    ...    completed.
    [Tags]    TEST-03f    contract:sched-capabilities
    Start Agent    plain    behaviour=complete
    Start Agent    gpu    behaviour=complete    capabilities=gpu
    Submit Tasks    6    Plain task {n}
    FOR    ${n}    IN RANGE    1    7
        Submit Task    GPU task ${n}    capabilities=${GPU}
    END
    ${all}    Get Submitted Tasks
    Wait Until Tasks Are Completed    ${all}    timeout=30s
    FOR    ${task}    IN    @{all}[6:]
        Task Should Be Completed By    ${task}    gpu
    END
    No Task Should Be Lost

TEST-03h A Task No Agent Can Take Does Not Block The Tasks Behind It
    [Documentation]    An urgent task needs `gpu`, which no agent declares; a low task behind
    ...    it needs nothing more. Proves that an agent without `gpu` completes the low task
    ...    while the urgent one stays queued: a task nobody can take does not hold up the
    ...    queue.
    [Tags]    TEST-03h    contract:sched-no-head-of-line    contract:sched-capabilities
    ${blocked}    Submit Task    Needs a GPU nobody has    priority=urgent    capabilities=${GPU}
    ${plain}    Submit Task    Plain work behind it    priority=low
    Start Agent    plain    behaviour=complete
    Wait Until Task Is Completed    ${plain}    timeout=10s
    Task Status Should Be    ${blocked}    queued
