*** Settings ***
Documentation     The sidecar waits and checks with the stand-in sidecar of this repository
...               (tests/sidecar_standin, Node.js and its pinned ``ws`` package, installed by
...               ``make standin``). Skipped without ``node`` on PATH.

Resource          atest.resource

Suite Setup       Start Sidecar Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Variables ***
${SIDECAR_DIR}    ${CURDIR}/../tests/sidecar_standin


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Wait Until Sidecar Is Working On Task Shows Its Queue
    Start Stand-in Sidecar    idle
    VAR    ${expected}
    ...    GLOB:Sidecar 'idle' was expected to be working on a task within *, but its queue.json shows no
    ...    ${SPACE}active task (process running).*
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Sidecar Is Working On Task
    ...    idle
    ...    timeout=300ms

Wait Until Sidecar Reports Recovery Says What It Sent
    Start Stand-in Sidecar    fresh
    VAR    ${expected}
    ...    GLOB:Sidecar 'fresh' was expected to report task-0000000000000000 as recovering and get
    ...    ${SPACE}task_continue or task_reassign within 300 ms; its log (* format) shows it did not send
    ...    ${SPACE}task_recovering for it and no answer, and the hub's records do not settle it either:
    ...    ${SPACE}hub records unavailable (GET /api/tasks/task-0000000000000000 answered 404: *
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Sidecar Reports Recovery
    ...    fresh
    ...    task-0000000000000000
    ...    timeout=300ms

Sidecar Recovery Answer Should Be Shows The Answers Seen
    Start Stand-in Sidecar    fresh
    VAR    ${expected}
    ...    GLOB:Sidecar 'fresh': expected the hub to answer task_continue to task_recovering for
    ...    ${SPACE}task-0000000000000000, but the hub answered (sidecar log): no answer (the hub's records
    ...    ${SPACE}imply nothing yet: hub records unavailable (GET /api/tasks/task-0000000000000000
    ...    ${SPACE}answered 404: *
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Sidecar Recovery Answer Should Be
    ...    fresh
    ...    task-0000000000000000
    ...    task_continue

Sidecar Log Should Match Hub Records Names Rejected Completions
    Start Stand-in Sidecar    legacy    omit_generation=True
    ${task}    Submit Task    completed without a generation
    Wait Until Keyword Succeeds    5s    100ms    Log Shows A Rejection    legacy
    Run Keyword And Expect Error
    ...    GLOB:Sidecar 'legacy' (smoke-*-legacy): the hub rejected completions: ${task}: *
    ...    Sidecar Log Should Match Hub Records    legacy


*** Keywords ***
Start Sidecar Suite
    [Documentation]    Skips the file without Node.js; else opens the hub session.
    ${node}    Evaluate    shutil.which("node")    modules=shutil
    Skip If    $node is None    Node.js (node) is not on PATH: the stand-in sidecar cannot run.
    Start Library Suite

Start Stand-in Sidecar
    [Documentation]    Starts the stand-in sidecar of this repository as agent ``${name}``.
    [Arguments]    ${name}    &{options}
    Start Sidecar Agent    ${name}    sidecar_dir=${SIDECAR_DIR}    &{options}

Log Shows A Rejection
    [Documentation]    Fails until the sidecar's log shows a rejected completion.
    [Arguments]    ${name}
    ${summary}    Get Sidecar Log Summary    ${name}
    Should Not Be Empty    ${summary}[rejected_completions]
