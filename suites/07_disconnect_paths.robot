*** Settings ***
Documentation     A crashed agent and an agent that closes its connection cleanly take
...               different paths through a hub; the task they held must be recovered either
...               way.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite
Test Template     Task Of A Disconnected Agent Is Completed By The Survivor

Test Tags         failure    TEST-02e    contract:disconnect-crash-vs-close    contract:disconnect-reclaim


*** Test Cases ***    DISCONNECT
TEST-02e Crash Without Close Frame    Kill Agent Connection
TEST-02e Clean Close    Close Agent Connection


*** Keywords ***
Task Of A Disconnected Agent Is Completed By The Survivor
    [Documentation]    The victim holds a task and disconnects the given way; the survivor
    ...    must complete the task, exactly once.
    [Arguments]    ${disconnect}
    Start Agent    victim    behaviour=hold
    ${task}    Submit Task    Task held by a disconnecting agent
    Wait Until Agent Receives Task    victim
    Start Agent    survivor    behaviour=complete
    Run Keyword    ${disconnect}    victim
    Wait Until Task Is Completed    ${task}    timeout=60s
    Task Should Be Completed By    ${task}    survivor
    Task Should Be Completed Exactly Once    ${task}
    No Task Should Be Lost
