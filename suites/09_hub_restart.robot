*** Settings ***
Documentation     Durability: a hub that crashes or is restarted while tasks flow keeps every
...               task it acknowledged, and completes each one exactly once afterwards.

Resource          ../resources/agentcom.resource

# A hub of its own: the tests restart it (the embedded hub, or another instance of
# HUB_COMMAND; against a hub at HUB_URL the tests skip: the library cannot restart it).
# The embedded one takes a 2 s acceptance timeout (a command hub keeps its own, 60 s on
# the real hub): see the deadline below.
Suite Setup       Open Private Hub Session    acceptance_timeout=2s
Suite Teardown    Close Hub Session
Test Template     No Acknowledged Task Is Lost When The Hub Restarts

Test Tags         failure    managed-hub    TEST-02h    contract:persist-restart


*** Test Cases ***    HOW
TEST-02h Hub Killed While Tasks Flow    kill
TEST-02h Hub Stopped Cleanly While Tasks Flow    terminate


*** Keywords ***
No Acknowledged Task Is Lost When The Hub Restarts
    [Documentation]    Two agents work through 20 tasks; after a few are completed the hub is
    ...    stopped the given way and started again on the same data. Proves that every task
    ...    the hub had acknowledged with 201 is completed exactly once, within 30 seconds
    ...    plus the hub's acceptance timeout: a hub may give a reconnecting agent back the
    ...    task it still records for it and wait for the agent to take it up until that
    ...    timeout (the real hub does; 60 s there), before it hands the task to anyone else.
    [Arguments]    ${how}
    ${acceptance}    Get Hub Timer    acceptance_timeout
    Start Agents    2    prefix=worker    behaviour=slow    delay=25ms
    ${tasks}    Submit Tasks    20    Durable task {n}
    Wait Until Some Tasks Are Completed    ${tasks}    count=4
    Restart Hub    mode=${how}
    Reconnect All Agents
    Wait Until Tasks Are Completed    ${tasks}    timeout=${acceptance + 30}
    No Task Should Be Lost
