*** Settings ***
Documentation     Stronger scale scenarios: priority order that does not depend on the order
...               of submission, and an even spread of work among agents that complete at
...               once.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         scale


*** Test Cases ***
TEST-03c Urgent Work Is Assigned First Whatever The Order Of Submission
    [Documentation]    With no agent connected, four low tasks are queued first, then four
    ...    normal, four high and four urgent ones; only then do two agents start. Proves that
    ...    every urgent task is assigned before any low one, and that within each priority
    ...    level the oldest task is assigned first. A hub that hands out work in arrival order
    ...    fails here.
    [Tags]    TEST-03c    contract:sched-on-join    contract:sched-age
    Submit Tasks    4    Low task {n}    priority=low
    Submit Tasks    4    Normal task {n}    priority=normal
    Submit Tasks    4    High task {n}    priority=high
    Submit Tasks    4    Urgent task {n}    priority=urgent
    Start Agents    2    prefix=worker    behaviour=complete
    ${tasks}    Get Submitted Tasks
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Every Urgent Task Should Be Assigned Before Any Low Task    ${tasks}
    Each Priority Should Be Assigned Oldest First    ${tasks}
    No Task Should Be Lost

TEST-03d Sixty Tasks Spread Evenly Over Six Agents That Complete At Once
    [Documentation]    Six agents that complete at once receive 60 tasks, one after the other.
    ...    Proves that all are completed within 30 seconds and that each agent
    ...    completed between 7 and 13 of them (10 each, give or take
    ...    3): a hub that always picks the same idle agent fails here.
    [Tags]    TEST-03d
    Start Agents    6    prefix=worker    behaviour=complete
    ${tasks}    Submit Tasks    60    Spread task {n}
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Tasks Should Be Evenly Distributed    ${tasks}    tolerance=3
    Every Agent Should Have Completed At Least One Task
    No Task Should Be Lost

TEST-03g Each Pair Of Priority Levels Is Assigned In Order
    [Documentation]    With no agent connected, a low, a normal, a high and an urgent task are
    ...    queued, oldest first; then one agent that takes 20 ms per task starts. Proves that
    ...    it is given them urgent, high, normal, low: every neighbouring pair of levels in
    ...    order, not only urgent against low (a hub that ranks two middle levels as one
    ...    fails here).
    [Tags]    TEST-03g    contract:sched-priority-pairs    contract:sched-on-join    contract:sched-on-idle
    ${low}    Submit Task    Low task    priority=low
    ${normal}    Submit Task    Normal task    priority=normal
    ${high}    Submit Task    High task    priority=high
    ${urgent}    Submit Task    Urgent task    priority=urgent
    Start Agent    worker    behaviour=slow    delay=20ms
    Wait Until Tasks Are Completed    ${{ [$low, $normal, $high, $urgent] }}    timeout=30s
    Task Should Be Assigned Before    ${urgent}    ${high}
    Task Should Be Assigned Before    ${high}    ${normal}
    Task Should Be Assigned Before    ${normal}    ${low}
    No Task Should Be Lost
