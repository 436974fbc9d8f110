*** Settings ***
Documentation     Acceptance tests of the AgentCom task pipeline: tasks submitted over HTTP,
...               dispatched over WebSocket to agents, completed exactly once, also when
...               agents crash, disconnect or fail. Each test's documentation says what it
...               proves; its log starts with a summary of its tasks (agent, latency, status)
...               and the contract checks the hub was held to. The metadata below says which
...               hub was tested. Skipped tests need what this run did not have (real
...               sidecars, the network lab, an explicit request for the load suite); the
...               skip message says what.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Run
Suite Teardown    Finish AgentCom Run
Test Setup        Start AgentCom Test
Test Teardown     Finish AgentCom Test
# For maintainers: Robot reads this file only when it is given the directory, so every
# test gets `Start AgentCom Test` / `Finish AgentCom Test` (resources/agentcom.resource)
# only then; run one file with `make suite FILE=suites/NN_name.robot` (that is
# `robot --argumentfile robot.args --parse-include FILE suites`). The run opens one hub
# session here that the suites share, each under a run id of its own; a suite that restarts
# or breaks the hub opens a private one. A setup error stops the run here, before any test.
