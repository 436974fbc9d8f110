*** Settings ***
Documentation     Generation fencing: only the agent that holds the current assignment of a
...               task may complete it. Late reports from an agent that lost the task, and
...               reports without a generation, are refused and change nothing.

Resource          ../resources/agentcom.resource
Resource          ../resources/wire.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         failure


*** Test Cases ***
TEST-02c A Late Completion From A Reclaimed Agent Is Refused
    [Documentation]    The victim holds a task; its connection breaks, and the survivor gets
    ...    the task (generation 2) and holds it. The victim comes back under the same agent id
    ...    and reports the task completed with its old generation 1. Proves that the hub
    ...    refuses that report as `stale_generation`, accepts the survivor's completion, and
    ...    records exactly one completion.
    [Tags]    TEST-02c    contract:fencing-complete-stale    contract:lifecycle-assign    contract:disconnect-reclaim
    Start Agent    victim    behaviour=hold
    ${task}    Submit Task    Fenced task
    Wait Until Agent Receives Task    victim
    Start Agent    survivor    behaviour=hold
    Kill Agent Connection    victim
    Wait Until Task Is Assigned    ${task}    agent=survivor    timeout=60s
    Reconnect Agent    victim
    Report Task Complete    victim    ${task}    generation=1
    Wait Until Agent Report Is Rejected    victim    ${task}    stale_generation
    Report Task Complete    survivor    ${task}
    Task Should Be Completed By    ${task}    survivor
    Task Should Be Completed Exactly Once    ${task}
    Task History Should Be    ${task}
    ...    queued
    ...    assigned to victim
    ...    reclaimed
    ...    assigned to survivor
    ...    completed

TEST-02d Completions Without A Generation Are Refused And The Task Stays Assigned
    [Documentation]    An agent that leaves `generation` out of its reports, as the production
    ...    sidecar once did. Proves that the hub refuses its completion as `stale_generation`,
    ...    that the task stays assigned to it, and that no completion is counted.
    [Tags]    TEST-02d    contract:fencing-missing-generation    contract:fencing-rejected-changes-nothing
    Start Agent    legacy    behaviour=omit generation
    ${task}    Submit Task    Task for an agent without generations
    Wait Until Agent Receives Task    legacy
    Wait Until Agent Report Is Rejected    legacy    ${task}    stale_generation
    Task Status Should Be    ${task}    assigned
    Completed Count Should Be    legacy    0

TEST-02j Failure Reports Are Fenced By Generation Too
    [Documentation]    A probe agent holds a task (generation 1) and reports it failed with a
    ...    wrong generation, then without one, then for an unknown task. Proves that the hub
    ...    refuses them (`task_fail_failed: stale_generation`, `stale_generation`,
    ...    `not_found`) and that they change nothing: the task stays assigned, generation 1,
    ...    no retry counted. The right generation, with `reason` instead of `error`, is
    ...    acknowledged `retried`; the task comes back with generation 3 (the retry and the
    ...    new assignment each add one); its next failure is acknowledged `dead_letter`
    ...    with that reason as its last error.
    [Tags]    TEST-02j
    ...       contract:fencing-fail-stale
    ...       contract:fencing-missing-generation
    ...       contract:fencing-not-found
    ...       contract:fencing-rejected-changes-nothing
    ...       contract:ws-failed-ack
    ...       contract:lifecycle-requeue
    ...       contract:lifecycle-assign
    Identify A Probe That Takes Tasks    probe    reporter
    ${task}    Submit Task    Task whose failures are fenced    max_retries=2
    ${assign}    Wait Until Probe Receives Task    probe
    Should Be Equal    ${assign}[generation]    ${1}
    Accept Task    probe    ${task}
    Failure Report Should Be Refused    ${task}    "generation": 7,    stale_generation
    Failure Report Should Be Refused    ${task}    ${EMPTY}    stale_generation
    Failure Report Should Be Refused    task-0000000000000000    "generation": 1,    not_found
    Task Should Still Be Assigned Unchanged    ${task}
    Failure Should Be Acknowledged    ${task}    1    retried
    ${again}    Wait Until Probe Receives Task    probe
    Should Be Equal    ${again}[generation]    ${3}
    Accept Task    probe    ${task}
    Failure Should Be Acknowledged    ${task}    3    dead_letter
    Task Should Be In Dead Letter    ${task}
    Get Task Field    ${task}    last_error    ==    gen 3


*** Keywords ***
Failure Report Should Be Refused
    [Documentation]    Sends `task_failed` for the task with the given generation field (JSON
    ...    text ending with a comma, or empty for none); fails unless the hub refuses it with
    ...    `task_fail_failed: <reason>`.
    [Arguments]    ${task}    ${generation}    ${reason}
    Send Frame    probe
    ...    {"type": "task_failed", "task_id": "${task}", ${generation} "error": "a refused failure"}
    Next Reply Should Be Error    probe    task_fail_failed: ${reason}

Failure Should Be Acknowledged
    [Documentation]    Sends `task_failed` with the generation and a `reason` (not `error`);
    ...    fails unless the hub answers `task_ack` with ``status``.
    [Arguments]    ${task}    ${generation}    ${status}
    Send Frame
    ...    probe
    ...    {"type": "task_failed", "task_id": "${task}", "generation": ${generation}, "reason": "gen ${generation}"}
    ${ack}    Next Reply Should Be    probe    task_ack
    Should Be Equal    ${ack}    ${{ {"type": "task_ack", "task_id": $task, "status": $status} }}

Task Should Still Be Assigned Unchanged
    [Documentation]    Fails unless the task is still assigned with generation 1 and no retry
    ...    counted.
    [Arguments]    ${task}
    Task Status Should Be    ${task}    assigned
    Get Task Field    ${task}    generation    ==    ${1}
    Get Task Field    ${task}    retry_count    ==    ${0}
