*** Settings ***
Documentation     The routes and wire details of the contract that no scenario family needs on
...               its way: tokens, a task's defaults and shape, the task listing with its
...               filters and stats, an agent's life in the agent listings, presence pushes,
...               the small replies (progress, recovering, tokens in the result), the history
...               cap, and listing agents while agents leave. Each test names the clauses it
...               exercises (`contract:<id>` tags, docs/contract-coverage.md).

Library           Collections
Resource          ../resources/agentcom.resource
Resource          ../resources/wire.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite

Test Tags         contract


*** Variables ***
@{TASK_FIELDS}      id    description    metadata    priority    status    assigned_to    assigned_at
...                 generation    retry_count    max_retries    needed_capabilities    last_error
...                 complete_by    result    tokens_used    submitted_by    created_at    updated_at
...                 history
@{INT_FIELDS}       priority    generation    retry_count    max_retries    created_at    updated_at
@{PUBLIC_FIELDS}    agent_id    name    status    capabilities    connected_at    fsm_state
@{STATE_FIELDS}     agent_id    fsm_state    current_task_id    capabilities    flags    connected_at
...                 name


*** Test Cases ***
CONTRACT-08 Any Token Manages Tokens, And Revoking Ends Every Token Of An Agent
    [Documentation]    An agent's own token (not the bootstrap one) creates a second token for
    ...    that agent: the answer is 201 with a token of 64 lowercase hex characters. The token
    ...    listing then shows both, as prefixes only, and the first token still works. The
    ...    agent's own token then revokes all of that agent's tokens: the listing shows none
    ...    and the first token is refused with 401.
    [Tags]    CONTRACT-08
    ...       contract:token-shape
    ...       contract:token-several-per-agent
    ...       contract:token-any-manages-tokens
    ...       contract:token-create
    ...       contract:token-list
    ...       contract:token-revoke
    ${keeper}    Full Agent Id    keeper
    ${created}    Send Hub Request    POST    /admin/tokens    {"agent_id": "${keeper}"}
    ...    status=201    token=own    agent=keeper
    Should Be Equal    ${created}[agent_id]    ${keeper}
    ${listed}    Tokens Listed For    ${keeper}
    Length Should Be    ${listed}    2    The listing should show both tokens of ${keeper}.
    FOR    ${entry}    IN    @{listed}
        Should Be True    len($entry['token_prefix']) < 64 and $entry['token_prefix'].endswith('...')
        ...    A token listing must show prefixes only, got ${entry}[token_prefix].
    END
    Send Hub Request    GET    /api/tasks?status=queued    token=own    agent=keeper
    ${revoked}    Send Hub Request    DELETE    /admin/tokens/${keeper}    token=own    agent=keeper
    Should Be Equal    ${revoked}    ${{ {"status": "revoked", "agent_id": $keeper} }}
    ${listed}    Tokens Listed For    ${keeper}
    Should Be Empty    ${listed}    Revoking should end every token of ${keeper}.
    Send Hub Request    GET    /api/tasks?status=queued    status=401    token=own    agent=keeper

CONTRACT-09 A Submitted Task Has The Contract's Shape And Defaults
    [Documentation]    A task posted with nothing but a description (and the run's
    ...    capability) is answered 201 `{status: queued, task_id: task-<16 hex>, priority: 2,
    ...    created_at}`; its record has every field of the contract's TASK: queued,
    ...    generation 0, metadata {}, max_retries 3, complete_by null, retry_count 0, no
    ...    result, `submitted_by` the agent whose token posted it, and the history [queued
    ...    "submitted"]. Each priority word gives its integer; an unknown word counts as normal.
    [Tags]    CONTRACT-09
    ...       contract:task-submit
    ...       contract:task-submit-defaults
    ...       contract:task-submitted-by
    ...       contract:task-object
    ...       contract:lifecycle-new
    ...       contract:task-get
    ...       contract:history-details
    ${capability}    Run Capability
    ${answer}    Send Hub Request    POST    /api/tasks
    ...    {"description": "A task with the defaults", "needed_capabilities": ["${capability}"]}
    ...    status=201    token=own    agent=submitter
    Should Match Regexp    ${answer}[task_id]    ^task-[0-9a-f]{16}$
    Should Be True    type($answer['created_at']) is int and $answer['created_at'] > 1500000000000
    Dictionary Should Contain Sub Dictionary    ${answer}    ${{ {"status": "queued", "priority": 2} }}
    ${task}    Send Hub Request    GET    /api/tasks/${answer}[task_id]
    Task Record Should Have Every Field    ${task}
    ${submitter}    Full Agent Id    submitter
    VAR    &{defaults}    id=${answer}[task_id]    status=queued    generation=${0}    metadata=&{EMPTY}
    ...    max_retries=${3}    retry_count=${0}    complete_by=${None}    assigned_to=${None}
    ...    result=${None}    needed_capabilities=${{ [$capability] }}    submitted_by=${submitter}
    ...    created_at=${answer}[created_at]
    Dictionary Should Contain Sub Dictionary    ${task}    ${defaults}
    ${history}    Evaluate    [(h['event'], h['details']) for h in $task['history']]
    Should Be Equal    ${history}    ${{ [("queued", "submitted")] }}
    FOR    ${word}    ${level}    IN    urgent    0    high    1    normal    2    low    3    someday    2
        ${answer}    Send Hub Request    POST    /api/tasks
        ...    {"description": "Priority ${word}", "priority": "${word}", "needed_capabilities": ["${capability}"]}
        ...    status=201
        Should Be Equal    ${answer}[priority]    ${{ int($level) }}
        ...    Priority '${word}' should be stored as ${level}, got ${answer}[priority].
    END

CONTRACT-10 The Task Listing, Its Filters And The Stats Agree
    [Documentation]    With tasks of this test completed, assigned, queued and dead-lettered,
    ...    `GET /api/tasks` lists every task but the dead-letter ones, sorted by priority then
    ...    age, with `count`; each filter (`status`, `priority`, `assigned_to`, and two
    ...    together) lists exactly the tasks of the full listing that match; the stats count
    ...    what the listings show; a task that is not in the dead letter cannot be retried.
    [Tags]    CONTRACT-10
    ...       contract:task-list
    ...       contract:task-list-filters
    ...       contract:task-stats
    ...       contract:task-retry
    ...       contract:task-dead-letter-list
    ${tasks}    Leave Tasks In Every Status
    ${all}    Task Listing Should Match Filter
    Should Not Contain    ${all}    ${tasks}[dead]    A dead-letter task must not be in GET /api/tasks.
    FOR    ${task}    IN    ${tasks}[done]    ${tasks}[held]    @{tasks}[waiting]
        Should Contain    ${all}    ${task}
    END
    Task Listing Should Match Filter    status=queued
    Task Listing Should Match Filter    status=assigned
    Task Listing Should Match Filter    status=completed
    Task Listing Should Match Filter    priority=high
    Task Listing Should Match Filter    priority=low    status=queued
    ${mine}    Task Listing Should Match Filter    assigned_to=holder
    Should Be Equal    ${mine}    ${{ [$tasks['held']] }}
    Task Stats Should Agree With Listings
    Task Should Be In Dead Letter    ${tasks}[dead]
    Request Should Be Refused    POST    /api/tasks/${tasks}[held]/retry    404    *
    Task Status Should Be    ${tasks}[held]    assigned

CONTRACT-11 An Agent's Life Shows In The Agent Listings
    [Documentation]    A probe identifies with the extra fields of the production sidecar and
    ...    is identified. `GET /api/agents` (no token) lists it with the contract's fields,
    ...    `GET /api/agents/states` as idle with capabilities `[{name}]`, its own state
    ...    record with `last_state_change`, and `/health` counts it. Given a task it is
    ...    `assigned` (the task_assign has every field), after `task_accepted` (acknowledged)
    ...    `working`, after its completion `idle` again. A second connection identifying as
    ...    the same agent replaces its record (listed once). Gone, it is no longer listed and
    ...    its state is 404 `agent_not_found`.
    [Tags]    CONTRACT-11
    ...       contract:agents-list
    ...       contract:agents-states
    ...       contract:agent-state
    ...       contract:agent-fsm
    ...       contract:health
    ...       contract:ws-identify-extra-fields
    ...       contract:ws-identify-again
    ...       contract:ws-task-assign
    ...       contract:ws-accepted-ack
    Identify A Probe As The Production Sidecar Does    probe    life
    Agent Should Be Listed    life    idle
    Health Should Count Connected Agents
    ${task}    Submit Task    A task in an agent's life
    ${assign}    Wait Until Probe Receives Task    probe
    Task Assign Should Have Every Field    ${assign}    ${task}    A task in an agent's life
    Wait Until Agent State Is    life    assigned    ${task}
    Accept Task    probe    ${task}
    Wait Until Agent State Is    life    working    ${task}
    Send Frame    probe
    ...    {"type": "task_complete", "task_id": "${task}", "generation": 1, "result": {}, "tokens_used": 5}
    Next Reply Should Be    probe    task_ack
    Wait Until Agent State Is    life    idle    ${None}
    Identifying Again Should Replace The Record    second    life
    Close Probe Connection    probe
    Wait Until Agent Is Gone    life

CONTRACT-14 A Long History Keeps Its Newest Fifty Entries, Newest First
    [Documentation]    An agent fails a task 30 times (`max_retries` 30): 61 history events.
    ...    Proves that the hub keeps 50, newest first: `dead_letter` on top, then the last
    ...    `assigned`, timestamps never increasing.
    [Tags]    CONTRACT-14    contract:history-cap    contract:history-newest-first
    Start Agent    failer    behaviour=fail
    ${task}    Submit Task    A task that fails thirty times    max_retries=30
    Wait Until Task Status Is    ${task}    dead_letter    timeout=60s
    ${record}    Send Hub Request    GET    /api/tasks/${task}
    Length Should Be    ${record}[history]    50
    Should Be Equal    ${record}[history][0][event]    dead_letter
    Should Be Equal    ${record}[history][1][event]    assigned
    Should Be Equal    ${record}[history][2][event]    retry
    ${stamps}    Evaluate    [h['timestamp'] for h in $record['history']]
    Should Be True    all(a >= b for a, b in zip($stamps, $stamps[1:]))
    ...    The history is not newest first: ${stamps}

CONTRACT-15 Agents Can Be Listed While Agents Disconnect
    [Documentation]    Six agents connect; each in turn breaks its connection, and right after
    ...    each break `GET /api/agents` and `GET /api/agents/states` are asked. Proves that
    ...    both answer 200 every time (listing agents once crashed while an agent was
    ...    disconnecting).
    [Tags]    CONTRACT-15    contract:defect-agents-list-while-leaving
    Start Agents    6    prefix=leaver    behaviour=complete
    FOR    ${n}    IN RANGE    1    7
        Kill Agent Connection    leaver-${n}
        Send Hub Request    GET    /api/agents    token=none
        Send Hub Request    GET    /api/agents/states
    END


*** Keywords ***
Run Capability
    [Documentation]    The capability every task of this test needs.
    ${run}    Get Run Id
    RETURN    smoke-${run}

Tokens Listed For
    [Documentation]    The entries of `GET /admin/tokens` of one agent id.
    [Arguments]    ${agent_id}
    ${listing}    Send Hub Request    GET    /admin/tokens
    ${mine}    Evaluate    [t for t in tokens if t.get('agent_id') == agent]
    ...    namespace=${{ {"tokens": $listing['tokens'], "agent": $agent_id} }}
    RETURN    ${mine}

Task Record Should Have Every Field
    [Documentation]    Fails unless the task record has every field of the contract's TASK,
    ...    with integers where the contract says so.
    [Arguments]    ${task}
    ${missing}    Evaluate    [f for f in fields if f not in task]
    ...    namespace=${{ {"fields": $TASK_FIELDS, "task": $task} }}
    Should Be Empty    ${missing}    The task record lacks the contract's field(s) ${missing}.
    ${not_int}    Evaluate    [f for f in fields if type(task[f]) is not int]
    ...    namespace=${{ {"task": $task, "fields": $INT_FIELDS} }}
    Should Be Empty    ${not_int}    The task record's ${not_int} must be integers: ${task}

Agent Should Be Listed
    [Documentation]    Fails unless the agent is listed exactly once by `GET /api/agents` (no
    ...    token) and by `GET /api/agents/states`, with the contract's fields, in ``fsm_state``
    ...    with the run's capability, and its own state record has `last_state_change`.
    [Arguments]    ${name}    ${fsm_state}
    ${id}    Full Agent Id    ${name}
    ${public}    Send Hub Request    GET    /api/agents    token=none
    One Listed Entry Should Have Fields    ${public}    ${id}    ${PUBLIC_FIELDS}
    ${states}    Send Hub Request    GET    /api/agents/states
    ${entry}    One Listed Entry Should Have Fields    ${states}    ${id}    ${STATE_FIELDS}
    ${capability}    Run Capability
    Should Be Equal    ${entry}[capabilities]    ${{ [{"name": $capability}] }}
    Should Be Equal    ${entry}[fsm_state]    ${fsm_state}
    ${one}    Send Hub Request    GET    /api/agents/${id}/state
    Should Be True    type($one.get('last_state_change')) is int
    ...    GET /api/agents/${id}/state should carry last_state_change: ${one}

One Listed Entry Should Have Fields
    [Documentation]    The one entry of an agent listing with ``agent_id``; fails unless there
    ...    is exactly one and it has every field named.
    [Arguments]    ${listing}    ${agent_id}    ${fields}
    ${entries}    Evaluate    [a for a in agents if a.get('agent_id') == agent]
    ...    namespace=${{ {"agents": $listing['agents'], "agent": $agent_id} }}
    Length Should Be    ${entries}    1    ${agent_id} should be listed once: ${listing}
    ${missing}    Evaluate    [f for f in fields if f not in entry]
    ...    namespace=${{ {"fields": $fields, "entry": $entries[0]} }}
    Should Be Empty    ${missing}    The entry of ${agent_id} lacks ${missing}: ${entries}[0]
    RETURN    ${entries}[0]

Health Should Count Connected Agents
    [Documentation]    Fails unless `GET /health` (no token) answers the contract's body with at
    ...    least one agent connected.
    ${health}    Send Hub Request    GET    /health    token=none
    Should Be True    $health['status'] == 'ok' and $health['service'] == 'agent_com'
    Should Be True    type($health['agents_connected']) is int and $health['agents_connected'] >= 1

Task Assign Should Have Every Field
    [Documentation]    Fails unless the task_assign carries the task's id, description, the
    ...    run's metadata, generation 1 (a first assignment) and an integer `assigned_at`.
    [Arguments]    ${assign}    ${task}    ${description}
    Should Be Equal    ${assign}[task_id]    ${task}
    Should Be Equal    ${assign}[description]    ${description}
    Should Be True    type($assign['metadata']) is dict and $assign['metadata'].get('smoke_run')
    Should Be Equal    ${assign}[generation]    ${1}
    Should Be True    type($assign['assigned_at']) is int

Wait Until Agent Is Gone
    [Documentation]    Waits until `GET /api/agents` no longer lists the agent, then checks that
    ...    its state record is 404 `agent_not_found`.
    [Arguments]    ${name}
    ${id}    Full Agent Id    ${name}
    Wait Until Keyword Succeeds    10s    50ms    Agent Should Not Be Listed    ${id}
    Request Should Be Refused    GET    /api/agents/${id}/state    404    agent_not_found

Agent Should Not Be Listed
    [Documentation]    Fails while `GET /api/agents` still lists the agent id.
    [Arguments]    ${agent_id}
    ${public}    Send Hub Request    GET    /api/agents    token=none
    ${ids}    Evaluate    [a.get('agent_id') for a in $public['agents']]
    Should Not Contain    ${ids}    ${agent_id}

Agent State Should Be
    [Documentation]    Fails unless the agent's state record says ``fsm_state`` and
    ...    ``current_task_id``.
    [Arguments]    ${name}    ${fsm_state}    ${task}
    ${id}    Full Agent Id    ${name}
    ${state}    Send Hub Request    GET    /api/agents/${id}/state
    Should Be Equal    ${state}[fsm_state]    ${fsm_state}
    Should Be Equal    ${state}[current_task_id]    ${task}

Wait Until Agent State Is
    [Documentation]    Waits (polling, 10 s at most) until the agent's state record says
    ...    ``fsm_state`` with ``current_task_id`` (the hub may update it just after its reply).
    [Arguments]    ${name}    ${fsm_state}    ${task}
    Wait Until Keyword Succeeds    10s    50ms
    ...    Agent State Should Be    ${name}    ${fsm_state}    ${task}

Identify A Probe As The Production Sidecar Does
    [Documentation]    Opens a probe and identifies it as ``agent`` with the extra fields the
    ...    production sidecar sends (`client_type`, `protocol_version`).
    [Arguments]    ${probe}    ${agent}
    Open Probe Connection    ${probe}
    Send Identify    ${probe}    agent=${agent}    takes_tasks=True
    ...    extra=${{ {"client_type": "sidecar", "protocol_version": 2} }}
    Next Reply Should Be    ${probe}    identified

Identifying Again Should Replace The Record
    [Documentation]    Identifies as an agent that is connected already, on another probe
    ...    connection; fails unless the agent is still listed once (its record replaced), idle.
    ...    Closes that connection.
    [Arguments]    ${probe}    ${agent}
    Open Probe Connection    ${probe}
    Send Identify    ${probe}    agent=${agent}    takes_tasks=True
    Next Reply Should Be    ${probe}    identified
    Agent Should Be Listed    ${agent}    idle
    Close Probe Connection    ${probe}

Leave Tasks In Every Status
    [Documentation]    Tasks of this test completed (low), dead-lettered, assigned (high, held
    ...    by `holder`) and queued (urgent, normal, low): a dictionary of their ids.
    ${done}    Task Finished By A Passing Agent    finisher    complete    completed    priority=low
    ${dead}    Task Finished By A Passing Agent    failer    fail    dead_letter    max_retries=1
    Start Agent    holder    behaviour=hold
    ${held}    Submit Task    A held task    priority=high
    Wait Until Task Is Assigned    ${held}    agent=holder
    ${waiting}    Submit Tasks    3    A waiting task {n}    priority=urgent, normal, low
    RETURN    ${{ {"done": $done, "dead": $dead, "held": $held, "waiting": $waiting} }}

Task Finished By A Passing Agent
    [Documentation]    An agent of ``behaviour`` joins, one task is submitted and reaches
    ...    ``status``, the agent leaves; returns the task.
    [Arguments]    ${name}    ${behaviour}    ${status}    &{task}
    Start Agent    ${name}    behaviour=${behaviour}
    ${id}    Submit Task    A task left ${status}    &{task}
    Wait Until Task Status Is    ${id}    ${status}
    Stop Agent    ${name}
    RETURN    ${id}
