*** Settings ***
Documentation     The wire contract under bad input: every malformed, unauthorised or
...               out-of-order request gets exactly the error the AgentCom contract
...               promises, the connection stays usable where the contract says so, and the
...               hub goes on serving tasks afterwards.

Resource          ../resources/agentcom.resource
Resource          ../resources/wire.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         contract


*** Test Cases ***
CONTRACT-01 An Unknown Token Is Refused At Identify
    [Documentation]    Identifying with a token the hub never issued gets `invalid_token`;
    ...    the connection stays open: identifying on it with a valid token then works.
    [Tags]    CONTRACT-01
    ...       contract:ws-invalid-token
    ...       contract:ws-identify
    ...       contract:ws-error-keeps-connection
    ...       contract:ws-ping
    Open Probe Connection    probe
    Send Identify    probe    agent=intruder    token=unknown
    Next Reply Should Be Error    probe    invalid_token
    Send Identify    probe    agent=intruder    token=own
    Next Reply Should Be    probe    identified
    Probe Should Still Answer Ping    probe
    Hub Still Serves Tasks

CONTRACT-02 Another Agent's Token Is Refused At Identify
    [Documentation]    Identifying as one agent with a valid token of another agent gets
    ...    `token_agent_mismatch`; the connection stays open for a correct identify.
    [Tags]    CONTRACT-02    contract:ws-token-mismatch    contract:ws-error-keeps-connection
    Open Probe Connection    probe
    Send Identify    probe    agent=impostor    token=another agent
    Next Reply Should Be Error    probe    token_agent_mismatch
    Send Identify    probe    agent=impostor    token=own
    Next Reply Should Be    probe    identified
    Probe Should Still Answer Ping    probe
    Hub Still Serves Tasks

CONTRACT-03 Messages Before Identify Are Refused
    [Documentation]    Any message before `identify` gets `not_identified`, and identifying
    ...    afterwards still works.
    [Tags]    CONTRACT-03    contract:ws-not-identified    contract:ws-identify
    Open Probe Connection    probe
    Send Frame    probe    {"type": "ping"}
    Next Reply Should Be Error    probe    not_identified
    Send Frame    probe    {"type": "task_complete", "task_id": "task-0000000000000000", "generation": 1}
    Next Reply Should Be Error    probe    not_identified
    Send Identify    probe    agent=latecomer
    Next Reply Should Be    probe    identified
    Hub Still Serves Tasks

CONTRACT-04 Unknown Message Types And Invalid JSON Are Refused
    [Documentation]    After identify, a message of an unknown type gets
    ...    `unknown_message_type` and a frame that is not JSON gets `invalid_json`; the
    ...    connection stays usable after both.
    [Tags]    CONTRACT-04
    ...       contract:ws-unknown-type
    ...       contract:ws-invalid-json
    ...       contract:ws-error-keeps-connection
    ...       contract:ws-ping
    Open Probe Connection    probe
    Send Identify    probe    agent=chatty
    Next Reply Should Be    probe    identified
    Send Frame    probe    {"type": "make_coffee"}
    Next Reply Should Be Error    probe    unknown_message_type
    Send Frame    probe    this is not JSON
    Next Reply Should Be Error    probe    invalid_json
    Probe Should Still Answer Ping    probe
    Hub Still Serves Tasks

CONTRACT-05 A Completion With A Generation Of The Wrong Type Is Refused
    [Documentation]    An agent reports its task completed with `"generation": "abc"` and then
    ...    without a generation at all. Both are refused as `stale_generation` and the task
    ...    stays assigned with its generation unchanged; the right generation then completes it.
    [Tags]    CONTRACT-05
    ...       contract:fencing-complete-stale
    ...       contract:fencing-missing-generation
    ...       contract:fencing-rejected-changes-nothing
    ...       contract:quirk-complete-unaccepted
    ...       contract:ws-complete-ack
    Open Probe Connection    probe
    Send Identify    probe    agent=typo    takes_tasks=True
    Next Reply Should Be    probe    identified
    ${task}    Submit Task    Task reported with a bad generation
    ${assign}    Wait Until Probe Receives Task    probe
    Send Frame    probe    {"type": "task_complete", "task_id": "${task}", "generation": "abc", "result": {}}
    Next Reply Should Be Error    probe    task_complete_failed: stale_generation
    Send Frame    probe    {"type": "task_complete", "task_id": "${task}", "result": {}}
    Next Reply Should Be Error    probe    task_complete_failed: stale_generation
    Task Status Should Be    ${task}    assigned
    Send Frame
    ...    probe
    ...    {"type": "task_complete", "task_id": "${task}", "generation": ${assign}[generation], "result": {}}
    Next Reply Should Be    probe    task_ack
    Task Should Be Completed Exactly Once    ${task}

CONTRACT-06 Protected Routes Refuse Requests Without A Valid Token
    [Documentation]    Task and token routes answer 401 with the contract's body and hint
    ...    when the token is missing or unknown; `/health` needs none.
    [Tags]    CONTRACT-06    contract:http-unauthorized
    Request Should Be Refused    GET    /api/tasks    401    unauthorized    token=none
    Request Should Be Refused    GET    /api/tasks    401    unauthorized    token=unknown
    Request Should Be Refused    POST    /api/tasks    401    unauthorized    token=none
    ...    body={"description": "should never be queued"}
    Request Should Be Refused    POST    /admin/tokens    401    unauthorized    token=unknown
    ...    body={"agent_id": "smoke-intruder"}
    Request Should Be Refused    GET    /api/agents/states    401    unauthorized    token=none
    Hub Should Be Healthy
    Hub Still Serves Tasks

CONTRACT-07 Bad Task Requests Get Their Documented Errors
    [Documentation]    A task without a description gets 400 `missing required field:
    ...    description`, a body that is not JSON gets 400, an unknown task id gets 404
    ...    `task_not_found`, and an unknown route gets 404 `not_found`.
    [Tags]    CONTRACT-07
    ...       contract:task-submit-bad-request
    ...       contract:token-create
    ...       contract:task-get
    ...       contract:route-not-found
    Request Should Be Refused    POST    /api/tasks    400    missing required field: description
    ...    body={"priority": "urgent"}
    Request Should Be Refused    POST    /api/tasks    400    *    body={"description": "cut off
    Request Should Be Refused    POST    /admin/tokens    400    missing required field: agent_id
    ...    body={}
    Request Should Be Refused    GET    /api/tasks/task-0000000000000000    404    task_not_found
    Request Should Be Refused    GET    /api/no-such-route    404    not_found
    Hub Still Serves Tasks

CONTRACT-12 Other Agents Hear Of An Agent That Joins And Leaves
    [Documentation]    A watcher is connected when a newcomer identifies and later goes.
    ...    Proves that the hub pushes `agent_joined` with the newcomer's record and
    ...    `agent_left` with its id to the watcher.
    [Tags]    CONTRACT-12    contract:ws-presence
    ${newcomer}    Full Agent Id    newcomer
    Open Probe Connection    watcher
    Send Identify    watcher    agent=watcher
    Next Reply Should Be    watcher    identified
    Start Agent    newcomer    behaviour=complete
    ${joined}    Wait Until Probe Receives Message    watcher    agent_joined
    Should Be Equal    ${joined}[agent][agent_id]    ${newcomer}
    Stop Agent    newcomer
    ${left}    Wait Until Probe Receives Message    watcher    agent_left
    Should Be Equal    ${left}[agent_id]    ${newcomer}

CONTRACT-13 Progress, Recovery, Tokens In The Result And Reports On A Finished Task
    [Documentation]    `task_accepted` for an unknown task is acknowledged anyway (a quirk of
    ...    the original). On its own task the probe sends `task_progress`: no reply (the next
    ...    reply is the pong of a ping) and a newer `updated_at`. `task_recovering` while it
    ...    holds the task is answered `task_continue` with its generation; a completion
    ...    that carries `tokens_used` only inside `result` records them; the history's
    ...    entries carry their details. Once the task is completed, `task_recovering` is
    ...    answered `task_reassign`, and another completion or failure is refused as
    ...    `invalid_state`, changing nothing.
    [Tags]    CONTRACT-13
    ...       contract:ws-accepted-ack
    ...       contract:ws-progress
    ...       contract:ws-recovering
    ...       contract:ws-complete-ack
    ...       contract:history-details
    ...       contract:fencing-invalid-state
    ...       contract:fencing-rejected-changes-nothing
    ...       contract:ws-failed-ack
    Identify A Probe That Takes Tasks    probe    details
    Accept Task    probe    task-0000000000000000
    ${task}    Submit Task    A task with progress
    ${assign}    Wait Until Probe Receives Task    probe
    Accept Task    probe    ${task}
    ${before}    Get Task Field    ${task}    updated_at
    Wait Until Keyword Succeeds    5s    50ms
    ...    Progress Should Refresh The Task    probe    ${task}    ${before}
    Send Frame    probe    {"type": "task_recovering", "task_id": "${task}"}
    ${continue}    Next Reply Should Be    probe    task_continue
    Should Be Equal    ${continue}[generation]    ${assign}[generation]
    Complete With Tokens Inside The Result    probe    ${task}    ${assign}[generation]
    Send Frame    probe    {"type": "task_recovering", "task_id": "${task}"}
    Next Reply Should Be    probe    task_reassign
    Reports On A Finished Task Should Be Refused    probe    ${task}    ${assign}[generation]
    Task Should Be Completed Exactly Once    ${task}


*** Keywords ***
Hub Still Serves Tasks
    [Documentation]    A fresh agent completes a fresh task: the hub is still healthy after
    ...    the bad input.
    Start Agent    checker    behaviour=complete
    ${task}    Submit Task    Round trip after bad input
    Wait Until Task Is Completed    ${task}    timeout=30s
    Stop Agent    checker

Progress Should Refresh The Task
    [Documentation]    Sends `task_progress`; fails unless the next reply is the pong of a ping
    ...    sent after it (progress gets no reply) and the task's `updated_at` moved past
    ...    ``before``.
    [Arguments]    ${probe}    ${task}    ${before}
    Send Frame    probe    {"type": "task_progress", "task_id": "${task}"}
    Probe Should Still Answer Ping    ${probe}
    Get Task Field    ${task}    updated_at    >    ${before}

Complete With Tokens Inside The Result
    [Documentation]    Completes the task with `tokens_used` only inside `result`; fails unless
    ...    it is acknowledged, the task records the tokens, and the history's newest entries
    ...    carry their details.
    [Arguments]    ${probe}    ${task}    ${generation}
    Send Frame
    ...    ${probe}
    ...    {"type": "task_complete", "task_id": "${task}", "generation": ${generation}, "result": {"tokens_used": 42}}
    ${ack}    Next Reply Should Be    ${probe}    task_ack
    Should Be Equal    ${ack}    ${{ {"type": "task_ack", "task_id": $task, "status": "complete"} }}
    ${record}    Send Hub Request    GET    /api/tasks/${task}
    Should Be Equal    ${record}[tokens_used]    ${42}
    ${holder}    Full Agent Id    details
    VAR    @{expected}    completed    ${{ {"tokens_used": 42} }}
    ...    assigned    ${{ {"agent_id": $holder, "generation": int($generation)} }}
    ${got}    Evaluate    [x for h in $record['history'][:2] for x in (h['event'], h['details'])]
    Should Be Equal    ${got}    ${expected}

Reports On A Finished Task Should Be Refused
    [Documentation]    A completion and a failure with the right generation on a completed task
    ...    are refused as `invalid_state`.
    [Arguments]    ${probe}    ${task}    ${generation}
    Send Frame    ${probe}
    ...    {"type": "task_complete", "task_id": "${task}", "generation": ${generation}, "result": {}}
    Next Reply Should Be Error    ${probe}    task_complete_failed: invalid_state
    Send Frame    ${probe}
    ...    {"type": "task_failed", "task_id": "${task}", "generation": ${generation}, "error": "late"}
    Next Reply Should Be Error    ${probe}    task_fail_failed: invalid_state
