*** Settings ***
Documentation     The reporting keyword on a real run: the per-test summary is logged (the
...               pytest side, tests/library/test_robot_run.py, reads it in output.xml).

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Setup        Skip Test If It Needs The Embedded Hub
Test Teardown     Run Keywords    Log Test Summary    AND    Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
A Pipeline With Every Check Passing
    Start Agents    2    prefix=worker
    ${tasks}    Submit Tasks    6    priority=urgent:2, normal:2, low:2
    Wait Until Tasks Are Completed    ${tasks}
    Assignment Latency Should Be Below    ${tasks}    5s
    Tokens Used Should Be Below    ${tasks}    500
    Tasks Should Be Evenly Distributed    ${tasks}
    No Priority Should Be Starved    ${tasks}
    Every Assignment Should Have Reached Its Agent    ${tasks}
    No Task Should Be Lost

Log Test Summary Without Tasks Does Nothing
    Log Test Summary
