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

Report Task Recovering Returns The Hub's Answer
    Start Agent    worker    behaviour=hold
    ${task}    Submit Task    Recovering
    Wait Until Task Is Assigned    ${task}    agent=worker
    ${answer}    Report Task Recovering    worker    ${task}
    Should Be Equal    ${answer}[type]    task_continue
    Should Be Equal As Integers    ${answer}[generation]    1
    Report Task Complete    worker    ${task}
    ${answer}    Report Task Recovering    worker    ${task}
    Should Be Equal    ${answer}[type]    task_reassign
    Contract Should Hold

Contract Should Hold Names A Continue For A Finished Task
    [Setup]    Reopen Hub Session    hub_faults=recover-always-continue
    ${task}    Complete One Task With    worker
    Report Task Recovering    worker    ${task}
    VAR    ${expected}
    ...    GLOB:Contract rule 'recovering-answer' broken: agent 'worker' (smoke-*-worker) reported task
    ...    ${SPACE}${task} as recovering and the hub answered task_continue, but its completion was
    ...    ${SPACE}acknowledged before *
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}    Contract Should Hold
    [Teardown]    Run Keywords    Finish Library Test    AND    Reopen Hub Session

Contract Should Hold Names Tokens Inside The Result Left Out
    [Setup]    Reopen Hub Session    hub_faults=result-tokens-ignored
    Start Agent    nested    tokens_used=77    tokens_in=result
    ${task}    Submit Task    Tokens inside the result
    Wait Until Task Is Completed    ${task}
    VAR    ${expected}
    ...    GLOB:Contract rule 'tokens-recorded' broken: agent 'nested' (smoke-*-nested) completed task
    ...    ${SPACE}${task} reporting tokens_used 77 (inside result) and the hub acknowledged it, but the
    ...    ${SPACE}task's record says tokens_used None *
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}    Contract Should Hold
    [Teardown]    Run Keywords    Finish Library Test    AND    Reopen Hub Session
