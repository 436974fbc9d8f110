*** Settings ***
Documentation     The AgentCom acceptance suites. Every test below starts with
...               `Start AgentCom Test` and ends with `Finish AgentCom Test` (see
...               resources/agentcom.resource): the defaults set here apply to every suite
...               file in this directory. The run opens one hub session here that the suites
...               share, each under a run id of its own (`Start AgentCom Suite`); a suite that
...               restarts or breaks the hub, or needs other hub timers, opens a private hub
...               (`Open Private Hub Session`) and comes back to the shared one after it. A
...               setup error (no hub at HUB_URL, a missing or rejected token) stops the run
...               here, before any test, saying the product was not tested.
...
...               Robot reads this file only when it is given the directory: run one suite
...               file with `robot --argumentfile robot.args --parse-include FILE suites`.

Resource          ../resources/agentcom.resource

Suite Setup       Start AgentCom Run
Suite Teardown    Finish AgentCom Run
Test Setup        Start AgentCom Test
Test Teardown     Finish AgentCom Test
