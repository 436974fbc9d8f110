*** Settings ***
Documentation    The AgentCom acceptance suites. Every test below starts with
...              `Start AgentCom Test` and ends with `Finish AgentCom Test` (see
...              resources/agentcom.resource): the defaults set here apply to every suite
...              file in this directory. Each suite file opens and closes its own hub session
...              (its Suite Setup), so that suites do not share a hub.
...
...              Robot reads this file only when it is given the directory: run one suite
...              file with `robot --argumentfile robot.args --parse-include FILE suites`.

Resource         ../resources/agentcom.resource

Test Setup       Start AgentCom Test
Test Teardown    Finish AgentCom Test
