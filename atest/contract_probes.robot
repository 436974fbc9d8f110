*** Settings ***
Documentation     The contract keywords: probe waits and raw-request checks, each one's
...               failure text pinned, and the ``message`` override of the probe waits.

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Next Reply Should Be Error Shows Both Replies
    Open Probe Connection    probe
    Send Frame    probe    {"type": "ping"}
    VAR    ${expected}
    ...    Probe 'probe': expected the reply {"type": "error", "error": "invalid_json"}, got {"type":
    ...    ${SPACE}"error", "error": "not_identified"}.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Next Reply Should Be Error    probe    invalid_json

Next Reply Should Be Shows The Reply
    Open Probe Connection    probe
    Send Frame    probe    {"type": "ping"}
    Run Keyword And Expect Error
    ...    Probe 'probe': expected a 'pong' reply, got {"type": "error", "error": "not_identified"}.
    ...    Next Reply Should Be    probe    pong

Next Reply Waits Only As Long As Its Timeout
    Open Probe Connection    probe
    Send Identify    probe    agent=quiet
    Next Reply Should Be    probe    identified
    Run Keyword And Expect Error
    ...    Probe 'probe': expected a reply within 200 milliseconds, but none came (last messages: identified).
    ...    Next Reply Should Be    probe    pong    timeout=200ms
    Run Keyword And Expect Error
    ...    Probe 'probe': expected a reply within 200 milliseconds, but none came (last messages: identified).
    ...    Next Reply Should Be Error    probe    invalid_json    timeout=200ms

Probe Should Still Answer Ping Shows What Came Instead
    Open Probe Connection    probe
    VAR    ${expected}
    ...    Probe 'probe': expected {"type":"pong","timestamp":<ms>} after a ping, got {"type": "error",
    ...    ${SPACE}"error": "not_identified"}; the connection did not stay usable.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Probe Should Still Answer Ping    probe

Wait Until Probe Receives Task Says What Came
    Open Probe Connection    probe
    Send Identify    probe    agent=idle
    Next Reply Should Be    probe    identified
    VAR    ${expected}
    ...    Probe 'probe': expected a 'task_assign' message within 200 milliseconds, but none came (last
    ...    ${SPACE}messages: identified).
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Probe Receives Task    probe    timeout=200ms

Wait Until Probe Receives Message Says What Came
    Open Probe Connection    probe
    Send Identify    probe    agent=lonely
    Next Reply Should Be    probe    identified
    VAR    ${expected}
    ...    Probe 'probe': expected a 'agent_joined' message within 200 milliseconds, but none came (last
    ...    ${SPACE}messages: identified).
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Probe Receives Message    probe    agent_joined    timeout=200ms

Send Hub Request Fails On Another Status And Masks Tokens
    Run Keyword And Expect Error
    ...    GET /api/no-such-route with the session's token: expected 200, got 404 {"error": "not_found"}.
    ...    Send Hub Request    GET    /api/no-such-route
    Run Keyword And Expect Error
    ...    GLOB:GET /api/tasks with no token: expected 200, got 401 {"error": "unauthorized", *
    ...    Send Hub Request    GET    /api/tasks    token=none
    ${created}    Send Hub Request    POST    /admin/tokens    {"agent_id": "someone"}    status=201
    Should Match Regexp    ${created}[token]    ^[0-9a-f]{8}\.\.\.$
    Send Hub Request    DELETE    /admin/tokens/someone

A Message Replaces The Failure Text Of The Probe Waits
    Open Probe Connection    probe
    Send Frame    probe    {"type": "ping"}
    Run Keyword And Expect Error    wrong error
    ...    Next Reply Should Be Error    probe    invalid_json    message=wrong error
    Send Frame    probe    {"type": "ping"}
    Run Keyword And Expect Error    wrong type
    ...    Next Reply Should Be    probe    pong    message=wrong type
    Run Keyword And Expect Error    no pong
    ...    Probe Should Still Answer Ping    probe    message=no pong
    Run Keyword And Expect Error    no task
    ...    Wait Until Probe Receives Task    probe    timeout=100ms    message=no task

Request Should Be Refused Fails When The Hub Accepts
    VAR    ${expected}
    ...    GLOB:GET /api/tasks with token=valid: expected 401 with error 'unauthorized', got 200 {"tasks":
    ...    ${SPACE}*. The hub accepts requests it should refuse.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Request Should Be Refused    GET    /api/tasks    401    unauthorized

Request Should Be Refused Checks The Error Field
    Run Keyword And Expect Error
    ...    DELETE /api/nowhere with token=valid: expected the error 'gone', got 404 {"error": "not_found"}.
    ...    Request Should Be Refused    DELETE    /api/nowhere    404    gone
