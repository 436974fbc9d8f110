*** Settings ***
Documentation     The session keywords on a real run: tokens, health, a hub restart, and
...               the skip of managed-hub and embedded-only tests on a hub of one's own.

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Setup        Skip Test If It Needs The Embedded Hub
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Tokens Are Created And Revoked
    ${run}    Get Run Id
    Should Match Regexp    ${run}    ^[0-9a-f]{8}$
    ${token}    Create Agent Token    smoke-${run}-outsider
    Should Be True    len($token.value) == 64    # the value itself is never logged
    Revoke Agent Token    smoke-${run}-outsider
    Hub Should Be Healthy

Dead Letter And Retry
    Start Agent    flaky    behaviour=fail
    ${task}    Submit Task    fails    max_retries=1
    Wait Until Task Status Is    ${task}    dead_letter
    Task Should Be In Dead Letter    ${task}
    ${dead}    Get Dead Letter Tasks
    Should Be Equal    ${dead}[0][id]    ${task}
    Set Agent Behaviour    flaky    complete
    Retry Dead Letter Task    ${task}
    Wait Until Task Is Completed    ${task}

Restart Keeps The Tasks
    [Tags]    managed-hub
    Start Agent    worker
    ${task}    Submit Task    survives
    Wait Until Task Is Completed    ${task}
    Restart Hub    mode=terminate
    Hub Should Be Healthy
    Reconnect All Agents
    Task Should Be Completed By    ${task}    worker

Hub Should Be Healthy Says When The Hub Is Gone
    [Tags]    embedded-only
    ${library}    Get Library Instance    AgentComLibrary
    VAR    ${hub}    ${library.ctx.session.embedded}
    Call Method    ${hub}    stop
    VAR    ${expected}
    ...    AgentCom hub is not reachable at ${hub.url} (connection refused). Start one (leave HUB_URL empty
    ...    ${SPACE}to let the library start the embedded hub, or run `agentcom-hub --port 4000`) or point HUB_URL
    ...    ${SPACE}at a running hub.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Hub Should Be Healthy
    [Teardown]    Reopen Hub Session

Restart Hub Refuses A Mode It Does Not Know
    [Tags]    managed-hub
    Run Keyword And Expect Error    GLOB:ValueError: Argument 'mode' got value 'pause'*
    ...    Restart Hub    mode=pause

Restart Embedded Hub Is A Deprecated Alias Of Restart Hub
    [Tags]    managed-hub
    Restart Embedded Hub    mode=kill
    Hub Should Be Healthy
