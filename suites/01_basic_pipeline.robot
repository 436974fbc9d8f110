*** Settings ***
Documentation     TEST-01, the basic pipeline: tasks submitted over HTTP reach agents over
...               WebSocket and come back completed, quickly, and shared by the agents.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         smoke


*** Test Cases ***
TEST-01 Ten Tasks Complete Across Two Agents
    [Documentation]    Two agents that take 20 ms per task, like a trivial real task
    ...    (long enough that tasks queue while both agents work), receive ten tasks "Write
    ...    number N to file" submitted one after the other. Proves that all ten are
    ...    completed within 30 seconds, that the hub assigned each one within 5 seconds of its
    ...    submission, that each reports fewer than 500 tokens, and that both agents did part
    ...    of the work.
    [Tags]    TEST-01    contract:sched-on-submit    contract:ws-complete-ack
    Start Agents    2    prefix=worker    behaviour=slow    delay=20ms
    ${tasks}    Submit Tasks    10    Write number {n} to file
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Assignment Latency Should Be Below    ${tasks}    5s
    Tokens Used Should Be Below    ${tasks}    500
    Every Agent Should Have Completed At Least One Task
    No Task Should Be Lost
