*** Settings ***
Documentation     The agent waits: each one's failure text, pinned, and its ``message``
...               override.

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Wait Until Agent Receives Task Says What The Agent And The Hub Show
    Start Agent    idle
    VAR    ${expected}
    ...    Agent 'idle' received no new task within 200 milliseconds: connection identified, hub state
    ...    ${SPACE}idle, current task None; tasks received in this test: none.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Agent Receives Task    idle    timeout=200ms

Wait Until Agent Receives Task Returns Each Task Once
    Start Agent    worker
    ${task}    Submit Task    once
    ${got}    Wait Until Agent Receives Task    worker
    Should Be Equal    ${got}    ${task}
    Run Keyword And Expect Error
    ...    STARTS:Agent 'worker' received no new task within 100 milliseconds: connection identified,
    ...    Wait Until Agent Receives Task    worker    timeout=100ms

Wait Until Agent Report Is Rejected Lists What The Agent Saw
    Start Agent    legacy    behaviour=omit generation
    ${task}    Submit Task    reported without a generation
    Wait Until Agent Report Is Rejected    legacy    ${task}    stale_generation
    VAR    ${expected}
    ...    Agent 'legacy' should have had a report on ${task} rejected with 'invalid_state' within 200
    ...    ${SPACE}milliseconds, but saw rejections: task_complete: stale_generation; acks: accepted.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Agent Report Is Rejected    legacy    ${task}    invalid_state    timeout=200ms
    Report Task Complete    legacy    ${task}    generation=1

A Message Replaces The Failure Text Of The Agent Waits
    Start Agent    idle
    Run Keyword And Expect Error    idle stayed idle
    ...    Wait Until Agent Receives Task    idle    timeout=100ms    message=idle stayed idle
    Run Keyword And Expect Error    no rejection
    ...    Wait Until Agent Report Is Rejected    idle    task-0000000000000000    not_found
    ...    timeout=100ms    message=no rejection

Completed Count Should Be Compares The Acks With The Hub
    Complete One Task With    worker
    VAR    ${expected}
    ...    GLOB:Agent 'worker' should have completed 2 tasks in this test (acknowledged by the hub), but
    ...    ${SPACE}completed 1: task-*.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Completed Count Should Be    worker    2
    Completed Count Should Be    worker    1

Total Completed Count Should Be Names Each Agent
    Complete One Task With    worker
    VAR    ${expected}
    ...    The agents of this test should have completed 3 tasks in total, but the hub acknowledged 1
    ...    ${SPACE}(worker: 1) and records 1 of this test's 1 tasks as completed.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Total Completed Count Should Be    3

Every Agent Should Have Completed At Least One Task Names The Idle Ones
    Complete One Task With    worker
    Start Agent    latecomer
    VAR    ${expected}
    ...    Every agent should have completed at least one task, but 'latecomer' completed none (completed
    ...    ${SPACE}per agent: worker: 1, latecomer: 0).
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Every Agent Should Have Completed At Least One Task

Agent Should Be Flagged Shows The Flags Seen
    Start Agent    fine
    ${run}    Get Run Id
    Run Keyword And Expect Error
    ...    Agent 'fine' (smoke-${run}-fine) should be flagged 'unresponsive', but its flags are [] (state idle).
    ...    Agent Should Be Flagged    fine    unresponsive

Start Agent Names A Misspelt Behaviour Argument
    VAR    ${expected}
    ...    ValueError: Argument 'behaviour' got value 'behavior=slow' that cannot be converted to Behaviour:
    ...    ${SPACE}Unknown behaviour 'behavior=slow'; expected one of: complete, slow, fail, ignore, hold, omit
    ...    ${SPACE}generation. The keyword has no argument 'behavior', so Robot passed the whole text as the
    ...    ${SPACE}behaviour: write behaviour=slow.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Start Agent    typo    behavior=slow
