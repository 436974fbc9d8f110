*** Settings ***
Documentation     The task checks: each one's failure text, pinned. Checks read the hub and
...               the agents once and never wait.

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Task Should Be Completed Shows The Status And Holder
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} should be completed, but it is 'queued' (agent -, generation 0).\ntask
    ...    Task Should Be Completed    ${task}

Task Should Be Completed Exactly Once Needs A Completed Task
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} should be completed, but it is 'queued'
    ...    Task Should Be Completed Exactly Once    ${task}

Task Should Be Completed By Names Who Did
    ${task}    Complete One Task With    worker
    Start Agent    other
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} should have been completed by 'other', but the hub says 'worker' completed it.
    ...    Task Should Be Completed By    ${task}    other

Task Status Should Be Does Not Wait
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    STARTS:Task ${task} should be 'assigned', but it is 'queued' (agent -, generation 0).
    ...    Task Status Should Be    ${task}    assigned

Task Should Be In Dead Letter Lists What Is Missing
    ${task}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    STARTS:Task ${task} should be in the dead letter, but its status is 'queued', it has no
    ...    ${SPACE}last_error, GET /api/tasks/dead-letter does not list it.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task Should Be In Dead Letter    ${task}

Task History Should Be Shows Both Histories
    ${task}    Complete One Task With    worker
    VAR    ${expected}
    ...    Task ${task} history should be:\n${SPACE*4}queued > completed\nbut the hub
    ...    ${SPACE}recorded:\n${SPACE*4}queued > assigned to worker > completed
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task History Should Be    ${task}    queued    completed

Assignment Latency Should Be Below Names The Tasks Never Assigned
    ${task}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    GLOB:Assignment latency should be below 5 s for all 1 tasks (no task was assigned), but 1 task
    ...    ${SPACE}were not:\ntask*latency*first agent*status\n*\n${task}*never assigned*-*queued
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Assignment Latency Should Be Below    ${{[$task]}}    5s

Tokens Used Should Be Below Names The Costly Tasks
    ${task}    Complete One Task With    spender    tokens_used=600
    VAR    ${expected}
    ...    GLOB:Tokens used should be below 500 for every task, but 1 task used
    ...    ${SPACE}more:\ntask*tokens_used*agent\n*\n${task}*600*spender
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Tokens Used Should Be Below    ${{[$task]}}    500

Tokens Used Should Be Below Fails When No Count Was Reported
    ${task}    Complete One Task With    forgetful    tokens_used=omit
    VAR    ${expected}
    ...    GLOB:Tokens used should be below 500 for every task, but 1 completed task had no tokens_used
    ...    ${SPACE}(the agent did not report it, so the limit cannot be checked):\ntask*tokens_used*agent\n*\n${task}
    ...    ${SPACE}*not reported*forgetful
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Tokens Used Should Be Below    ${{[$task]}}    500

Tasks Should Be Evenly Distributed Shows The Share
    Start Agent    busy
    ${tasks}    Submit Tasks    4
    Wait Until Tasks Are Completed    ${tasks}
    Start Agent    lazy
    VAR    ${expected}
    ...    Tasks should be evenly distributed: 4 completed tasks over 2 agents is 2 each, +/- 1, but 'busy'
    ...    ${SPACE}completed 4, 'lazy' completed 0 (completed per agent: busy: 4, lazy: 0).
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Tasks Should Be Evenly Distributed    ${tasks}    tolerance=1

No Priority Should Be Starved Names The Starved Level
    ${urgent}    Complete One Task With    worker
    ${low}    Submit Task Nobody Takes    priority=low
    Run Keyword And Expect Error
    ...    STARTS:No priority should be starved, but low has unfinished tasks (completed: normal 1/1, low 0/1):
    ...    No Priority Should Be Starved    ${{[$urgent, $low]}}

Urgent Before Low On Average And Strictly Both Fail When Low Went First
    Start Agent    worker
    ${low}    Submit Task    first    priority=low
    Wait Until Task Is Completed    ${low}
    ${urgent}    Submit Task    second    priority=urgent
    Wait Until Task Is Completed    ${urgent}
    VAR    ${expected}
    ...    GLOB:Urgent tasks should be assigned before low tasks on average, but urgent tasks were first
    ...    ${SPACE}assigned * and low tasks * after the first submission, on average.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Urgent Tasks Should Be Assigned Before Low Tasks On Average    ${{[$low, $urgent]}}
    VAR    ${expected}
    ...    GLOB:Every urgent task should be assigned before any low task, but low task ${low} was assigned
    ...    ${SPACE}at +*, before urgent task ${urgent} at +* (times from the first submission); low tasks assigned
    ...    ${SPACE}before the last urgent one: ${low}.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Every Urgent Task Should Be Assigned Before Any Low Task    ${{[$low, $urgent]}}

Urgent Before Low Needs Both Priorities
    ${task}    Complete One Task With    worker
    Run Keyword And Expect Error
    ...    Comparing urgent with low tasks needs both, but the 1 tasks include 0 urgent and 0 low.
    ...    Urgent Tasks Should Be Assigned Before Low Tasks On Average    ${{[$task]}}

Each Priority Should Be Assigned Oldest First Needs Assigned Tasks
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error
    ...    1 task were never assigned, so the assignment order cannot be judged: ${task}.
    ...    Each Priority Should Be Assigned Oldest First    ${{[$task]}}

No Task Should Be Lost Explains Each Problem
    ${task}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    Task ledger is not valid: 1 unfinished (of 1 acknowledged submissions).\n- unfinished ${task}:
    ...    ${SPACE}expected completed (or dead letter with an error), seen status queued
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    No Task Should Be Lost

A Check Of An Unknown Task Says The Hub Has None
    Run Keyword And Expect Error    Task task-0000000000000000: the hub has no such task (404).
    ...    Task Should Be Completed    task-0000000000000000

Task Should Be Assigned Before Says Which Came First
    Start Agent    worker    behaviour=hold
    ${first}    Submit Task    first
    Wait Until Task Is Assigned    ${first}    agent=worker
    ${second}    Submit Task    second
    Task Should Be Assigned Before    ${first}    ${second}
    VAR    ${expected}
    ...    GLOB:Task ${second} should be assigned before task ${first}, but ${second} was never assigned
    ...    ${SPACE}(status 'queued').\n*
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task Should Be Assigned Before    ${second}    ${first}
    Set Agent Behaviour    worker    complete
    Report Task Complete    worker    ${first}
    Wait Until Task Is Completed    ${second}
    VAR    ${expected}
    ...    GLOB:Task ${second} should be assigned before task ${first}, but ${first} was assigned at +* (to
    ...    ${SPACE}worker), before ${second} at +* (to worker); times from the first creation.\n*
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Task Should Be Assigned Before    ${second}    ${first}

Getters Check With Assertion Operators
    Start Agent    worker
    ${task}    Submit Task    got
    Wait Until Task Is Completed    ${task}
    ${status}    Get Task Status    ${task}    ==    completed
    Should Be Equal    ${status}    completed
    Run Keyword And Expect Error
    ...    Task ${task} status 'completed' (str) should be 'queued' (str)
    ...    Get Task Status    ${task}    ==    queued
    Run Keyword And Expect Error    custom: 'completed' is not 'queued'
    ...    Get Task Status    ${task}    ==    queued    custom: {value} is not {expected}
    Get Task Field    ${task}    generation    ==    1
    Get Task Field    ${task}    tokens_used    <    500
    Run Keyword And Expect Error
    ...    Task ${task} field 'generation' '1' (int) should be greater than '1' (int)
    ...    Get Task Field    ${task}    generation    >    1
    Run Keyword And Expect Error
    ...    GLOB:Task ${task} has no field 'generations'; its fields: *generation*
    ...    Get Task Field    ${task}    generations
    Get Task Count    completed    agent=worker    assertion_operator===    assertion_expected=1
    Run Keyword And Expect Error
    ...    Tasks queued '0' (int) should be greater than or equal '1' (int)
    ...    Get Task Count    queued    assertion_operator=>=    assertion_expected=1

Set AgentCom Timeout Returns The Old Value
    ${old}    Set AgentCom Timeout    300ms
    Should Be Equal    ${old}    2 seconds
    ${task}    Submit Task Nobody Takes
    Run Keyword And Expect Error    STARTS:1 task of 1 not completed within 300 milliseconds:
    ...    Wait Until Task Is Completed    ${task}
    ${short}    Set AgentCom Timeout    ${old}
    Should Be Equal    ${short}    300 milliseconds
    [Teardown]    Run Keywords    Set AgentCom Timeout    2s    AND    Finish Library Test
