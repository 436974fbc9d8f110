*** Settings ***
Documentation     Generation fencing: only the agent that holds the current assignment of a
...               task may complete it. Late reports from an agent that lost the task, and
...               reports without a generation, are refused and change nothing.

Resource          ../resources/agentcom.resource

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
