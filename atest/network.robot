*** Settings ***
Documentation     The network keywords that need no lab: the reclaim wait and the delivery
...               latency check, each one's failure text pinned with local agents. (The
...               nemeses themselves need root and namespaces: `make network` runs them.)

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Wait Until Task Is Reclaimed Shows The Task's History
    Start Agent    holder    behaviour=hold
    ${task}    Submit Task    held
    ${record}    Wait Until Task Is Assigned    ${task}    agent=holder
    VAR    ${expected}
    ...    Task ${task} should have been reclaimed within 300 milliseconds of ${record}[assigned_at],
    ...    ${SPACE}but it was not reclaimed (status assigned, assigned to holder); history: queued >
    ...    ${SPACE}assigned to holder.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Task Is Reclaimed    ${task}    ${record}[assigned_at]    timeout=300ms
    Report Task Complete    holder    ${task}

Wait Until Task Is Reclaimed Takes A Message
    Start Agent    keeper    behaviour=hold
    ${task}    Submit Task    held
    ${record}    Wait Until Task Is Assigned    ${task}    agent=keeper
    Run Keyword And Expect Error    The hub kept the task.
    ...    Wait Until Task Is Reclaimed
    ...    ${task}
    ...    ${record}[assigned_at]
    ...    timeout=200ms
    ...    message=The hub kept the task.
    Report Task Complete    keeper    ${task}

Delivery Latency Should Be At Least Names The Fast Assignments
    ${task}    Complete One Task With    quick
    VAR    ${expected}
    ...    GLOB:Every assignment should have taken at least 10 s to arrive, but 1 did not: ${task} to
    ...    ${SPACE}'quick' after * ms (delivery latency over 1 assignments: min * ms, median * ms, max * ms).
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Delivery Latency Should Be At Least    ${{[$task]}}    10s
