*** Settings ***
Documentation     TEST-03, scale and distribution: several agents share a mixed-priority
...               load evenly, and no priority level is starved.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         scale


*** Test Cases ***
TEST-03 Twenty Mixed-Priority Tasks Spread Evenly Over Four Agents
    [Documentation]    Four agents that complete at once receive 20 tasks: 4 urgent, 4 high,
    ...    8 normal and 4 low. Proves that all 20 are completed within 30 seconds, that each
    ...    agent completed between 3 and 7 of them, that every priority level was completed,
    ...    and that urgent tasks were assigned before low ones on average.
    [Tags]    TEST-03
    Start Agents    4    prefix=worker    behaviour=complete
    ${tasks}    Submit Tasks    20    Scale task {n}    priority=urgent:4, high:4, normal:8, low:4
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Tasks Should Be Evenly Distributed    ${tasks}    tolerance=2
    No Priority Should Be Starved    ${tasks}
    Urgent Tasks Should Be Assigned Before Low Tasks On Average    ${tasks}
    No Task Should Be Lost

TEST-03b Low Priority Is Not Starved By Alternating Urgent Work
    [Documentation]    Four agents receive twelve tasks submitted one at a time, alternating
    ...    urgent and low. Proves that every task is completed, the low ones included.
    [Tags]    TEST-03b
    Start Agents    4    prefix=worker    behaviour=complete
    ${tasks}    Submit Tasks    12    Alternating task {n}    priority=urgent, low
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    No Priority Should Be Starved    ${tasks}
    No Task Should Be Lost
