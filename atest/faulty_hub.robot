*** Settings ***
Documentation     Failure texts that only a broken hub provokes: each test starts the
...               embedded hub with one of its fault switches (``agentcom-hub --list-faults``).

Resource          atest.resource

Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
Every Assignment Should Have Reached Its Agent Lists The Lost Assignments
    [Documentation]    ``lose-assignment``: every 5th assignment is recorded, never sent.
    [Setup]    Reopen Hub Session    hub_faults=lose-assignment
    Start Agent    worker
    ${tasks}    Submit Tasks    5
    VAR    ${lost}    ${tasks}[4]
    VAR    ${expected}
    ...    STARTS:${lost} is assigned to 'worker' (generation 1), but 'worker' never received it: the
    ...    ${SPACE}assignment was recorded but not delivered\n1 task of 5 not completed within 1 second 500
    ...    ${SPACE}milliseconds:
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Tasks Are Completed    ${tasks}    timeout=1.5s
    VAR    ${expected}
    ...    GLOB:Every assignment should have reached its agent, but 1 assignment recorded by the hub never
    ...    ${SPACE}arrived:\ntask*agent*generation*status now\n*\n${lost}*worker*1*assigned
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Every Assignment Should Have Reached Its Agent    ${tasks}

Task Should Be Completed Exactly Once Catches A Completion Acked To The Wrong Agent
    [Documentation]    ``no-generation-fencing``: the hub accepts a reclaimed agent's late
    ...    completion and credits it to the agent that holds the task now.
    [Setup]    Reopen Hub Session    hub_faults=no-generation-fencing
    Start Agent    victim    behaviour=hold
    ${task}    Submit Task    fenced
    Wait Until Task Is Assigned    ${task}    agent=victim
    Start Agent    survivor    behaviour=hold
    Kill Agent Connection    victim
    Wait Until Task Is Assigned    ${task}    agent=survivor
    Reconnect Agent    victim
    Report Task Complete    victim    ${task}    generation=1
    VAR    ${expected}
    ...    Task ${task}: the hub says 'survivor' completed it (generation 3), but 'survivor' never received
    ...    ${SPACE}a task_ack 'complete' for it (its completions in this test: none).
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task Should Be Completed Exactly Once    ${task}
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} should have been completed by 'victim', but the hub says 'survivor' completed it.
    ...    Task Should Be Completed By    ${task}    victim

Task Listing Should Match Filter Names The Tasks A Filter Got Wrong
    [Documentation]    ``filter-ignores-assigned-to``: the listing ignores ``assigned_to``.
    [Setup]    Reopen Hub Session    hub_faults=filter-ignores-assigned-to
    Start Agent    holder    behaviour=hold
    ${held}    Submit Task    held
    Wait Until Task Is Assigned    ${held}    agent=holder
    ${other}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    GLOB:GET /api/tasks?assigned_to=smoke-*-holder: expected the 1 task(s) of the full listing
    ...    ${SPACE}that match, got 2; listed but not matching: ${other}; matching but not listed: none.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task Listing Should Match Filter    assigned_to=holder

Task Stats Should Agree With Listings Says Which Count Differs
    [Documentation]    ``stats-count-dead-letter``: the stats count dead-letter tasks in
    ...    ``by_status`` too.
    [Setup]    Reopen Hub Session    hub_faults=stats-count-dead-letter
    Start Agent    failer    behaviour=fail
    ${task}    Submit Task    failing    max_retries=1
    Wait Until Task Status Is    ${task}    dead_letter
    VAR    ${expected}
    ...    GLOB:GET /api/tasks/stats does not agree with the listings: by_status {*'dead_letter': 1*},
    ...    ${SPACE}but the listing has {*}
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task Stats Should Agree With Listings
