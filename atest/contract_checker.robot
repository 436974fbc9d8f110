*** Settings ***
Documentation     The contract checker: on the correct hub a test's history holds; on a hub
...               started with a fault the failure names the broken rule, the task and the
...               agent. The failure text is pinned up to the parts that vary (ids, times).

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Contract Should Hold On The Correct Hub
    Complete One Task With    worker
    Contract Should Hold

Contract Should Hold Names A Misordered History
    [Setup]    Reopen Hub Session    hub_faults=history-misorder
    ${task}    Complete One Task With    worker
    Run Keyword And Expect Error
    ...    GLOB:Contract rule 'history-well-formed' broken: the hub's history of ${task} is not well formed: *
    ...    Contract Should Hold
    [Teardown]    Run Keywords    Finish Library Test    AND    Reopen Hub Session

Contract Should Hold Names A Double Assignment
    [Documentation]    Both tasks are queued before the only agent connects, so the faulty
    ...    scheduler pairs the agent twice in one pass.
    [Setup]    Reopen Hub Session    hub_faults=double-assign
    ${tasks}    Submit Tasks    2    Held {n}
    Start Agent    worker    behaviour=hold
    Wait Until Task Is Assigned    ${tasks}[0]    agent=worker
    Wait Until Task Is Assigned    ${tasks}[1]    agent=worker
    Run Keyword And Expect Error
    ...    GLOB:Contract rule 'one-task-per-agent' broken: task task-* was assigned to agent 'worker' (smoke-*-worker)*
    ...    Contract Should Hold
    [Teardown]    Run Keywords    Finish Library Test    AND    Reopen Hub Session
