*** Settings ***
Documentation     EXPLORE, generated scenarios instead of enumerated ones: Hypothesis draws lists
...               of operations (tasks, agents with behaviours, crashes, reconnections, late and
...               stale completions, calls without a token, hub restarts), each runs live
...               against a hub of its own, and the contract checker and the ledger judge it.
...               A failure is shrunk to the fewest operations that fail the same way and
...               written out as a plain-language test under results/explore/ (see
...               docs/explore.md). Runs only when asked for: `make explore`, `--include
...               explore` or `--variable EXPLORE:yes`. The embedded hub gets 1 s acceptance
...               and ping timeouts, a 3 s stuck threshold and 250 ms sweeps, so its timers act
...               within a scenario; another hub keeps its own (the end phase then releases
...               agents that would hold tasks forever).

Resource          ../resources/agentcom.resource

Suite Setup       Start Explore Suite
Suite Teardown    Close Hub Session

Test Tags         explore


*** Variables ***
# `yes` runs this suite, as `--include explore` does; the everyday command skips it.
${EXPLORE}               no
# The seed of the search: the same seed draws the same scenarios.
${EXPLORE_SEED}          1
# How long to search for a failure (and at most as long again to shrink one).
${EXPLORE_DURATION}      60s
# The most operations in one generated scenario.
${EXPLORE_OPERATIONS}    12
# The lab file and agent pools the network lab runner sets (`make explore-network`); empty:
# not inside the lab (no partitions are drawn).
${NETWORK_LAB}           ${EMPTY}
${AGENT_POOLS}           ${EMPTY}


*** Test Cases ***
EXP-01 Generated Scenarios Hold The Contract
    [Documentation]    Runs generated scenarios for `${EXPLORE_DURATION}` with seed
    ...    `${EXPLORE_SEED}`. Proves that no scenario the generator draws makes the hub break
    ...    a contract rule, lose, duplicate or leave unfinished a task, or fail a keyword;
    ...    otherwise fails with the finding and the path of its shrunk reproduction.
    [Tags]    EXP-01
    Explore Scenarios    seed=${EXPLORE_SEED}    duration=${EXPLORE_DURATION}
    ...    max_operations=${EXPLORE_OPERATIONS}


*** Keywords ***
Start Explore Suite
    [Documentation]    Skips the suite unless it was asked for; then opens a hub of its own
    ...    with short timers (the embedded hub; another hub keeps its own), inside the
    ...    network lab bound to its hub side address, with the lab's agent pools connected.
    ${asked}    Evaluate
    ...    $EXPLORE.lower() in ('yes', 'true', 'on') or robot.model.TagPatterns($OPTIONS.include).match(['explore'])
    ...    modules=robot.model
    Skip If    not ${asked}
    ...    The explorer runs only when asked for: `make explore`, `--include explore` or `--variable EXPLORE:yes`.
    Load Known Defects    ${KNOWN_DEFECTS}    hub_version=${HUB_VERSION}
    VAR    ${options}    --ping-timeout 1s --stuck-threshold 3s
    ...    --stuck-sweep-interval 250ms --overdue-sweep-interval 250ms
    ${hub_host}    Open Network Lab    ${NETWORK_LAB}
    Open Private Hub Session    acceptance_timeout=1s    hub_options=${options}    host=${hub_host}
    IF    $NETWORK_LAB
        Connect Agent Pools    ${AGENT_POOLS}    ping_interval=250ms
    END
