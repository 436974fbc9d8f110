*** Settings ***
Documentation     The task waits: each one's failure text, pinned, and its ``message``
...               override. The library's import ``timeout`` is 2 s here; the tests pass
...               shorter ones.

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Wait Until Tasks Are Completed Says When The Queue Stalled
    [Documentation]    With the hub's ``no-idle-scheduling`` fault a task submitted while the
    ...    only agent is busy stays queued after the agent is idle again.
    [Setup]    Reopen Hub Session    hub_faults=no-idle-scheduling
    Start Agent    worker    behaviour=hold
    ${first}    Submit Task    held
    Wait Until Task Is Assigned    ${first}    agent=worker
    ${second}    Submit Task    waits for an idle agent
    Set Agent Behaviour    worker    complete
    Report Task Complete    worker    ${first}
    VAR    ${expected}
    ...    STARTS:queue stalled: 1 task queued while 1 agent was idle (worker)\n1 task of 1 not completed
    ...    ${SPACE}within 500 milliseconds:
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Task Is Completed    ${second}    timeout=500ms
    [Teardown]    Run Keywords    Finish Library Test    AND    Reopen Hub Session

Wait Until Task Is Completed Names The Unfinished Task
    ${task}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    GLOB:1 task of 1 not completed within 200 milliseconds:\ntask*status*priority*agent*gen*last
    ...    ${SPACE}events\n*\n${task}*queued*normal*-*0*queued
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Task Is Completed    ${task}    timeout=200ms

Wait Until Task Is Completed Fails At Once On A Dead Letter
    Start Agent    flaky    behaviour=fail
    ${task}    Submit Task    doomed    max_retries=1
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} will never complete: it is in the dead letter (last error: 'simulated failure by flaky').
    ...    Wait Until Task Is Completed
    ...    ${task}
    ...    timeout=5s

Wait Until Tasks Are Completed Counts The Unfinished Tasks
    Start Agent    worker
    ${done}    Submit Task    done
    ${stuck}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:1 task of 2 not completed within 300 milliseconds:
    ...    Wait Until Tasks Are Completed    ${{[$done, $stuck]}}    timeout=300ms
    Task Status Should Be    ${done}    completed

Wait Until Tasks Are Completed Uses The Import Timeout By Default
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error    STARTS:1 task of 1 not completed within 2 seconds:
    ...    Wait Until Tasks Are Completed    ${{[$task]}}

Wait Until Tasks Are Finished Takes A Dead Letter And Counts The Unfinished Tasks
    Start Agent    flaky    behaviour=fail
    ${doomed}    Submit Task    doomed    max_retries=1
    ${stuck}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:1 task of 2 not finished (completed or dead letter) within 300 milliseconds:
    ...    Wait Until Tasks Are Finished    timeout=300ms
    Task Status Should Be    ${doomed}    dead_letter
    Run Keyword And Expect Error    custom text
    ...    Wait Until Tasks Are Finished    ${{[$stuck]}}    timeout=100ms    message=custom text
    ${finished}    Wait Until Tasks Are Finished    ${{[$doomed]}}
    Should Be Equal    ${finished}[0][status]    dead_letter

Wait Until Some Tasks Are Completed Says How Many Were
    Start Agent    worker
    ${done}    Submit Task    done
    ${stuck}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:1 of 2 tasks completed within 300 milliseconds, expected at least 2:
    ...    Wait Until Some Tasks Are Completed    ${{[$done, $stuck]}}    count=2    timeout=300ms

Wait Until Task Is Assigned Names The Agent It Waited For
    Start Agent    holder    behaviour=hold
    Start Agent    other    behaviour=hold
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} was not assigned to 'other' within 200 milliseconds:
    ...    Wait Until Task Is Assigned    ${task}    agent=other    timeout=200ms
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} was not assigned to any agent within 200 milliseconds:
    ...    Wait Until Task Is Assigned    ${task}    timeout=200ms

Wait Until Task Status Is Says The Status Seen
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} did not reach status 'assigned' within 200 milliseconds (status is 'queued'):
    ...    Wait Until Task Status Is    ${task}    assigned    timeout=200ms

A Wait On A Task The Hub Does Not Know Fails At Once
    VAR    ${unknown}    task-0000000000000000
    VAR    ${expected}
    ...    The hub does not know 1 task (404): ${unknown}; waiting cannot help. Wait on the ids that
    ...    ${SPACE}Submit Task returned.
    ...    separator=${EMPTY}
    ${started}    Get Time    epoch
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Task Is Completed    ${unknown}    timeout=10s
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Some Tasks Are Completed    ${{[$unknown]}}    1    timeout=10s
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Task Is Assigned    ${unknown}    timeout=10s
    Run Keyword And Expect Error    ${expected}
    ...    Wait Until Task Status Is    ${unknown}    completed    timeout=10s
    ${took}    Evaluate    time.time() - ${started}    modules=time
    Should Be True    ${took} < 5    four waits took ${took} s, each should fail at once

A Message Replaces The Failure Text Of Every Task Wait
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error    nobody took ${task}
    ...    Wait Until Task Is Completed    ${task}    timeout=100ms    message=nobody took ${task}
    Run Keyword And Expect Error    still queued
    ...    Wait Until Tasks Are Completed    ${{[$task]}}    timeout=100ms    message=still queued
    Run Keyword And Expect Error    none done
    ...    Wait Until Some Tasks Are Completed    ${{[$task]}}    1    100ms    none done
    Run Keyword And Expect Error    not assigned
    ...    Wait Until Task Is Assigned    ${task}    timeout=100ms    message=not assigned
    Run Keyword And Expect Error    not assigned either
    ...    Wait Until Task Status Is    ${task}    assigned    100ms    not assigned either

A Wait That Passes Returns The Hub's Record
    Start Agent    worker
    ${task}    Submit Task    returned
    ${record}    Wait Until Task Is Completed    ${task}
    Should Be Equal    ${record}[status]    completed
    ${same}    Get Task    ${task}
    Should Be Equal    ${same}[id]    ${task}
