*** Settings ***
Documentation     NET, agents on another host and a network that fails. Inside the
...               network lab (`make network`, root) the far pool's agents run in their own
...               network namespace behind a veth pair, and nftables or a delaying proxy
...               break the path between them and the hub; the control channel to the pool
...               stays up. The suite runs a hub of its own, bound to the lab's hub side
...               address: the embedded hub with a 3 s ping timeout in the lab (2 s outside
...               it), or another instance of HUB_COMMAND with its own timers (`Get Hub
...               Timer`); pool agents ping every 500 ms. Deadlines come from the hub's
...               timers: NET-01 and NET-02 (tagged slow) wait on a real hub's 60 s liveness
...               timers, NET-00 skips on a hub whose ping timeout is that long. Outside the
...               lab only NET-00 runs (no root needed); the others skip, saying why.

Resource          ../resources/agentcom.resource
Resource          ../resources/wire.resource

Suite Setup       Start Network Suite
Suite Teardown    Close Hub Session
Test Teardown     Finish Network Test


*** Variables ***
# The lab file the network lab runner sets; empty: not inside the lab.
${NETWORK_LAB}       ${EMPTY}
# The private embedded hub's ping timeout in the lab; outside it 2 s (NET-00b's pinger then
# bears a 1.5 s stall on a busy machine).
${PING_TIMEOUT}      3s
# The shortest reclaim deadline; a hub with longer liveness timers gets a longer one.
${RECLAIM_WITHIN}    5s


*** Test Cases ***
NET-00 A Silent Agent Loses Its Task At The Ping Timeout
    [Documentation]    An agent that holds a task and stops pinging (a local agent pings
    ...    every 20 s, the hub's ping timeout is 2 s, or 3 s in the lab) is evicted by the hub's liveness
    ...    reaper; its task is reclaimed and completed by a newcomer. Needs no lab, so the
    ...    `no-liveness-eviction` fault is caught in every run.
    [Tags]    NET-00    failure    liveness    contract:liveness-silent-evicted
    # a local agent pings every 20 s: it is silent only to a hub with a shorter ping timeout
    ${within}    Reclaim Deadline    at_most=5s
    Start Agent    silent    behaviour=hold    pool=local
    ${task}    Submit Task    Outlive a silent agent
    ${record}    Wait Until Task Is Assigned    ${task}    agent=silent
    Wait Until Task Is Reclaimed    ${task}    ${record}[assigned_at]    ${within}
    Start Agent    newcomer    pool=local
    Wait Until Task Is Completed    ${task}
    Task History Should Be    ${task}    queued    assigned to silent    reclaimed
    ...    assigned to newcomer    completed
    No Task Should Be Lost

NET-00b A Silent Agent Is Disconnected, One That Pings Keeps Its Task
    [Documentation]    Two agents accept a task each; one then sends nothing at all, the other
    ...    pings every quarter of the hub's ping timeout (2 s outside the lab). Proves,
    ...    over the time the hub may take to notice a silent agent and one more ping timeout,
    ...    that the silent agent's task is reclaimed and that the pinging agent keeps its
    ...    connection and its task (generation 1). (The pings are paced by the clock, as an
    ...    agent's are.) On a hub with a ping timeout over 5 s NET-00c runs it instead.
    [Tags]    NET-00b    failure    liveness    contract:liveness-silent-evicted    contract:liveness-pinging-kept
    Get Hub Timer    ping_timeout    at_most=5s
    A Silent Agent Loses Its Task, A Pinging One Keeps Its Own

NET-00c On The Hub's Own Timers, A Silent Agent Is Disconnected, One That Pings Is Not
    [Documentation]    NET-00b on a hub whose ping timeout is longer than 5 s (a real hub: 60
    ...    s, where the 60 s idle timeout closes a silent connection): it waits the hub's own
    ...    timers, about two minutes there. Skipped where NET-00b runs.
    [Tags]    NET-00c
    ...       failure
    ...       liveness
    ...       slow
    ...       contract:liveness-silent-evicted
    ...       contract:liveness-pinging-kept
    ${ping}    Get Hub Timer    ping_timeout
    Skip If    ${ping} <= 5    This hub's ping timeout is ${ping} s: NET-00b runs these steps.
    A Silent Agent Loses Its Task, A Pinging One Keeps Its Own

NET-01 A Partitioned Agent's Task Is Reclaimed And Completed On The Hub Side
    [Documentation]    The far agent holds a task when every packet between its host and
    ...    the hub starts to be dropped: no FIN, no RST. Proves that the hub notices by its
    ...    ping timer alone, reclaims the task within the liveness window, and that an agent
    ...    on the hub's side completes it exactly once.
    [Tags]    NET-01    network    failure    managed-hub    slow    contract:liveness-silent-evicted
    [Setup]    Start Liveness Test
    Start Agent    victim    behaviour=hold    pool=far
    ${task}    Submit Task    Survive a partition
    Wait Until Task Is Assigned    ${task}    agent=victim
    Start Agent    survivor    pool=near
    ${cut}    Partition Agent Host    far
    Wait Until Task Is Reclaimed    ${task}    ${cut}    ${RECLAIM_DEADLINE}
    Wait Until Task Is Completed    ${task}
    Task Should Be Completed By    ${task}    survivor
    Task Should Be Completed Exactly Once    ${task}
    Task History Should Be    ${task}    queued    assigned to victim    reclaimed
    ...    assigned to survivor    completed
    No Task Should Be Lost

NET-02 After The Partition Heals The Cut-Off Agent's Late Completion Is Refused
    [Documentation]    The far agent is cut off while it holds a task; the hub reclaims it
    ...    and hands it to an agent on its side, which holds it too. After the partition
    ...    heals, the cut-off agent reconnects and reports its late completion with the
    ...    generation it was given. Proves that the hub refuses it as `stale_generation`,
    ...    that the current holder's completion is accepted, and that nothing is lost or
    ...    duplicated.
    [Tags]    NET-02    network    failure    managed-hub    slow
    [Setup]    Start Liveness Test
    Start Agent    victim    behaviour=hold    pool=far
    ${task}    Submit Task    Finish too late
    Wait Until Task Is Assigned    ${task}    agent=victim
    Start Agent    survivor    behaviour=hold    pool=near
    ${cut}    Partition Agent Host    far
    Wait Until Task Is Reclaimed    ${task}    ${cut}    ${RECLAIM_DEADLINE}
    Wait Until Task Is Assigned    ${task}    agent=survivor
    Heal Partition    far
    Reconnect Agent    victim
    Report Task Complete    victim    ${task}
    Wait Until Agent Report Is Rejected    victim    ${task}    stale_generation
    Report Task Complete    survivor    ${task}
    Wait Until Task Is Completed    ${task}
    Task Should Be Completed By    ${task}    survivor
    Task Should Be Completed Exactly Once    ${task}
    No Task Should Be Lost

NET-03 Ten Tasks Complete Across Two Agents Behind A 200 ms Delay
    [Documentation]    TEST-01's scenario with both agents on the far host and every
    ...    message between them and the hub delayed 200 ms ± 50 ms each way. Proves that
    ...    all ten tasks still complete within 30 s, each assigned within 5 s of its
    ...    submission, shared by both agents, and that each assignment took at least the
    ...    delay minus the jitter to arrive (the figures are logged; the summary's
    ...    assignment latencies grow by the round trips).
    [Tags]    NET-03    network    scale    managed-hub
    [Setup]    Start Network Test
    Add Network Delay    far    200ms    jitter=50ms
    Start Agent    worker-1    behaviour=slow    delay=100ms    pool=far
    Start Agent    worker-2    behaviour=slow    delay=100ms    pool=far
    ${tasks}    Submit Tasks    10    Write number {n} to file
    Wait Until Tasks Are Completed    ${tasks}    timeout=30s
    Assignment Latency Should Be Below    ${tasks}    5s
    Delivery Latency Should Be At Least    ${tasks}    150ms
    Every Agent Should Have Completed At Least One Task
    No Task Should Be Lost

NET-04 Every Task Completes Exactly Once Through 10 Percent Packet Loss
    [Documentation]    Both far agents work through a path that drops 10 % of the packets
    ...    both ways at random. Proves that TCP's retransmissions and the hub's fencing
    ...    together still complete every one of ten tasks exactly once.
    [Tags]    NET-04    network    failure    managed-hub
    [Setup]    Start Network Test
    Add Packet Loss    far    10
    Start Agent    worker-1    behaviour=slow    delay=100ms    pool=far
    Start Agent    worker-2    behaviour=slow    delay=100ms    pool=far
    ${tasks}    Submit Tasks    10    Survive packet loss {n}
    Wait Until Tasks Are Completed    ${tasks}    timeout=60s
    FOR    ${task}    IN    @{tasks}
        Task Should Be Completed Exactly Once    ${task}
    END
    ${dropped}    Get Dropped Packet Count
    Should Be True    ${dropped} > 0    The 10 % loss rule dropped no packet at all.
    No Task Should Be Lost


*** Keywords ***
Start Network Suite
    [Documentation]    Opens a private hub (short liveness timers on the embedded hub), bound
    ...    to the lab's hub side address when inside the lab, and connects the lab's agent
    ...    pools; reads `${KNOWN_DEFECTS}` first (the lab runs this file on its own).
    Load Known Defects    ${KNOWN_DEFECTS}    hub_version=${HUB_VERSION}
    ${hub_host}    Open Network Lab    ${NETWORK_LAB}
    VAR    ${ping_timeout}    ${{ $PING_TIMEOUT if $NETWORK_LAB else '2s' }}
    Open Private Hub Session    hub_options=--ping-timeout ${ping_timeout}    host=${hub_host}
    IF    $NETWORK_LAB
        Connect Agent Pools    ${AGENT_POOLS}    ping_interval=500ms    spread=${FALSE}
    END

Start Network Test
    [Documentation]    Skips a test that needs the lab when there is none, saying why.
    Skip Test If It Needs The Embedded Hub
    Skip If    not $NETWORK_LAB
    ...    Needs the network lab: run `make network` as root (ip netns, nftables); this run has no NETWORK_LAB.

Start Liveness Test
    [Documentation]    Skips a test that needs the lab when there is none, and sets
    ...    `${RECLAIM_DEADLINE}` from the hub's liveness timers.
    Start Network Test
    ${within}    Reclaim Deadline
    VAR    ${RECLAIM_DEADLINE}    ${within}    scope=TEST    # robocop: off=VAR06

Reclaim Deadline
    [Documentation]    How long after a partition or an agent's silence the hub must have
    ...    reclaimed its task: the ping timeout, one liveness sweep and a margin, or the idle
    ...    timeout when that closes a silent connection sooner; at least `${RECLAIM_WITHIN}`.
    ...    Skips the test when the ping timeout is longer than `at_most` and it is not `slow`.
    [Arguments]    ${at_most}=${None}
    ${ping}    Get Hub Timer    ping_timeout    at_most=${at_most}
    ${sweep}    Get Hub Timer    liveness_sweep
    ${idle}    Get Hub Timer    idle_timeout
    VAR    ${floor}    ${{ robot.utils.timestr_to_secs($RECLAIM_WITHIN) }}
    RETURN    ${{ max($floor, min($ping + $sweep, $idle) + 1.25) }}

Finish Network Test
    [Documentation]    Removes every network fault, then logs the summary and stops agents.
    IF    $NETWORK_LAB    Heal Network
    Finish AgentCom Test

A Silent Agent Loses Its Task, A Pinging One Keeps Its Own
    [Documentation]    Two probes accept a task each; one goes silent, the other pings every
    ...    quarter of the ping (or idle) timeout for the time the hub may take to notice a
    ...    silent agent and one ping timeout more. The silent one's task must have been
    ...    reclaimed within that notice (the ping timeout and a liveness sweep, or the idle
    ...    timeout if shorter, and 1.25 s), the pinging one's still be in its first assignment.
    ${ping}    Get Hub Timer    ping_timeout
    ${sweep}    Get Hub Timer    liveness_sweep
    ${idle}    Get Hub Timer    idle_timeout
    ${lost}    Give A Probe A Task And Accept It    silent
    ${since}    Evaluate    int(time.time() * 1000)
    ${kept}    Give A Probe A Task And Accept It    pinger
    VAR    ${notice}    ${{ min($ping + $sweep, $idle) + 1.25 }}
    Keep Pinging    pinger    ${{ $notice + $ping }}    ${{ min($ping, $idle) / 4 }}
    Wait Until Task Is Reclaimed    ${lost}    ${since}    ${notice}
    Task Should Still Be Held    ${kept}

Keep Pinging
    [Documentation]    The probe pings every ``pace`` seconds for ``seconds``; each ping must be
    ...    answered.
    [Arguments]    ${probe}    ${seconds}    ${pace}
    FOR    ${_}    IN RANGE    ${{ int($seconds / $pace) + 1 }}
        Probe Should Still Answer Ping    ${probe}
        Sleep    ${pace}    reason=The pace of an agent's pings.
    END

Task Should Still Be Held
    [Documentation]    Fails unless the task is assigned in its first assignment (generation 1).
    [Arguments]    ${task}
    Task Status Should Be    ${task}    assigned
    Get Task Field    ${task}    generation    ==    ${1}

Give A Probe A Task And Accept It
    [Documentation]    A probe identifies as ``name`` (taking the run's tasks), is given a new
    ...    task and accepts it; returns the task.
    [Arguments]    ${name}
    Identify A Probe That Takes Tasks    ${name}    ${name}
    ${task}    Submit Task    Task of ${name}
    Wait Until Probe Receives Task    ${name}
    Accept Task    ${name}    ${task}
    RETURN    ${task}
