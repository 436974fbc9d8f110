*** Settings ***
Documentation     The load checks and the capacity sweep: each one's failure text, pinned.

Resource          atest.resource

Suite Setup       Start Library Suite
Suite Teardown    Finish Library Suite
Test Teardown     Finish Library Test


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
Throughput Should Be At Least Needs Every Task Completed
    ${task}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    Throughput should be at least 10 tasks/s, but 1 of the 1 task is not completed, so the
    ...    ${SPACE}window never closed: ${task}.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Throughput Should Be At Least    ${{[$task]}}    10

Throughput Should Be At Least Shows The Window
    Start Agent    worker
    ${tasks}    Submit Tasks    3
    Wait Until Tasks Are Completed    ${tasks}
    VAR    ${expected}
    ...    REGEXP:Throughput should be at least 1,000,000 tasks/s, but 3 tasks were completed in
    ...    ${SPACE}\\d+ ms from the first submission to the last completion \\(\\d+ tasks/s\\)\\.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Throughput Should Be At Least    ${tasks}    1000000
    Throughput Should Be At Least    ${tasks}    1

Assignment Latency Percentile Should Be Below Needs Every Task Assigned
    ${task}    Submit Task Nobody Takes
    VAR    ${expected}
    ...    The p99 assignment latency should be below 1 s, but 1 of the 1 task was never
    ...    ${SPACE}assigned: ${task}.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Assignment Latency Percentile Should Be Below    ${{[$task]}}    p99    1s

Assignment Latency Percentile Should Be Below Shows The Spread And The Slowest
    Start Agent    worker
    ${tasks}    Submit Tasks    2
    Wait Until Tasks Are Completed    ${tasks}
    VAR    ${expected}
    ...    REGEXP:(?s)The p95 assignment latency of 2 tasks should be below 0 ms, but it is \\d+ ms
    ...    ${SPACE}\\(p50 \\d+ ms, p95 \\d+ ms, p99 \\d+ ms, max \\d+ ms\\); the slowest:\\n
    ...    task +latency +first agent +status\\n.*worker +completed.*
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Assignment Latency Percentile Should Be Below    ${tasks}    p95    0ms
    Assignment Latency Percentile Should Be Below    ${tasks}    p50    10s

Assignment Latency Percentile Should Be Below Rejects An Unknown Percentile
    Run Keyword And Expect Error
    ...    A percentile looks like 'p50', 'p95' or 'p99', got 'median'.
    ...    Assignment Latency Percentile Should Be Below    ${{[]}}    median    1s

Capacity Sweep Should Stay Within Bars Names The Step That Broke One
    ${sweep}    Run Capacity Sweep    1, 2    tasks=4    concurrency=2
    VAR    ${expected}
    ...    REGEXP:The capacity sweep should stay within its bars up to 2 agents, but at 1 agents:
    ...    ${SPACE}\\d+ tasks/s, below 1,000,000 \\(steps: 1 agents \\d+ tasks/s p99 \\d+ ms
    ...    ${SPACE}\\(4/4 completed\\), 2 agents \\d+ tasks/s p99 \\d+ ms \\(4/4 completed\\)\\)\\.
    ...    separator=${EMPTY}
    Run Keyword And Expect Error    ${expected}
    ...    Capacity Sweep Should Stay Within Bars    ${sweep}    min_throughput=1000000
    Run Keyword And Expect Error
    ...    STARTS:The capacity sweep should stay within its bars up to 2 agents, but at 1 agents: p99
    ...    Capacity Sweep Should Stay Within Bars    ${sweep}    max_p99=0ms
    Capacity Sweep Should Stay Within Bars    ${sweep}    min_throughput=1    max_p99=10s

Capacity Sweep Should Stay Within Bars Needs Steps
    Run Keyword And Expect Error
    ...    A capacity sweep should have steps, but it has none.
    ...    Capacity Sweep Should Stay Within Bars    ${{[]}}

Run Capacity Sweep Rejects Counts That Do Not Increase
    Run Keyword And Expect Error
    ...    Agent counts must be positive and increasing, got '10, 5'.
    ...    Run Capacity Sweep    10, 5
