*** Settings ***
Documentation     The full stack: the same scenarios with real sidecar processes (Node.js) as
...               agents instead of simulated ones. Each sidecar runs in its own copy of the
...               sidecar checkout under the output directory, with its own config.json,
...               queue.json and logs, and its wake command writes trivial results (no LLM).
...
...               These tests are skipped unless `SIDECAR_DIR` names a sidecar checkout:
...               `robot --variable SIDECAR_DIR:/path/to/sidecar suites/05_real_sidecars.robot`
...               (`npm install` done there, Node.js 18+ on PATH). The repository's stand-in
...               works too: `--variable SIDECAR_DIR:tests/sidecar_standin`.

Resource          ../resources/agentcom.resource

Suite Setup       Start Sidecar Suite
Suite Teardown    Finish AgentCom Suite
Test Setup        Start AgentCom Test
Test Teardown     Finish AgentCom Test

Test Tags         sidecar


*** Test Cases ***
TEST-01 Ten Tasks Complete Across Two Real Sidecars
    [Documentation]    Two sidecars whose wake command succeeds at once receive ten tasks.
    ...    Proves that all ten are completed within 60 seconds, that the hub assigned each
    ...    one within 5 seconds of its submission, that each reports fewer than 500 tokens,
    ...    that both sidecars did part of the work, and that the hub's records of each
    ...    sidecar's completions agree with what its own log says it had acknowledged
    ...    (a log the library cannot read gives a warning, not a failure).
    [Tags]    TEST-01    smoke    contract:sidecar-pipeline
    Start Sidecar Agent    worker-1
    Start Sidecar Agent    worker-2
    ${tasks}    Submit Tasks    10    Write number {n} to file
    Wait Until Tasks Are Completed    ${tasks}    timeout=60s
    Assignment Latency Should Be Below    ${tasks}    5s
    Tokens Used Should Be Below    ${tasks}    500
    Every Agent Should Have Completed At Least One Task
    Sidecar Log Should Match Hub Records    worker-1
    Sidecar Log Should Match Hub Records    worker-2
    No Task Should Be Lost

TEST-02 Task Of A Killed Sidecar Is Completed By The Other Exactly Once
    [Documentation]    A victim sidecar confirms its task and never finishes it. Its whole
    ...    process group is then killed, as in a crash, so the operating system breaks its
    ...    connection. Proves that the survivor completes the task exactly once, that the
    ...    history reads assigned to the victim, reclaimed, assigned to the survivor,
    ...    completed, and that only the survivor had a completion acknowledged. Restarted,
    ...    the victim reports the task it held as recovering, and the hub tells it the task
    ...    went elsewhere.
    [Tags]    TEST-02    failure    contract:ws-recovering
    Start Sidecar Agent    victim    wake=hang
    ${task}    Submit Task    Recover this task after a crash
    Wait Until Sidecar Is Working On Task    victim    ${task}
    Start Sidecar Agent    survivor
    Kill Sidecar Process    victim
    Wait Until Task Is Completed    ${task}    timeout=60s
    Task Should Be Completed Exactly Once    ${task}
    Task Should Be Completed By    ${task}    survivor
    Task History Should Be    ${task}
    ...    queued
    ...    assigned to victim
    ...    reclaimed
    ...    assigned to survivor
    ...    completed
    Completed Count Should Be    survivor    1
    Completed Count Should Be    victim    0
    Restart Sidecar Process    victim    wake=succeed
    Wait Until Sidecar Reports Recovery    victim    ${task}
    Sidecar Recovery Answer Should Be    victim    ${task}    task_reassign
    Task Should Be Completed Exactly Once    ${task}
    No Task Should Be Lost

TEST-02i Crash And Restart Of The Only Sidecar Recovers Its Task
    [Documentation]    The only sidecar confirms its task and is killed while it works on it;
    ...    the hub takes the task back. The sidecar is started again in the same directory,
    ...    finds the task in its queue.json and reports it with task_recovering. Proves that
    ...    the hub answers (task_continue when it has already handed the task back to the
    ...    restarted sidecar, task_reassign otherwise) and that the task is completed
    ...    exactly once, by that sidecar.
    [Tags]    TEST-02i    failure    restart    contract:ws-recovering
    Start Sidecar Agent    solo    wake=hang
    ${task}    Submit Task    Finish me after a restart
    Wait Until Sidecar Is Working On Task    solo    ${task}
    Kill Sidecar Process    solo
    Wait Until Task Status Is    ${task}    queued
    Restart Sidecar Process    solo    wake=succeed
    Wait Until Sidecar Reports Recovery    solo    ${task}
    Wait Until Task Is Completed    ${task}    timeout=60s
    Task Should Be Completed Exactly Once    ${task}
    Task Should Be Completed By    ${task}    solo
    Completed Count Should Be    solo    1
    Sidecar Log Should Match Hub Records    solo
    No Task Should Be Lost


*** Keywords ***
Start Sidecar Suite
    [Documentation]    Skips the whole suite when no sidecar checkout is configured, then
    ...    opens the hub session.
    Skip If Sidecars Are Not Configured
    Start AgentCom Suite
