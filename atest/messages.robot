*** Settings ***
Documentation     What a user reads after a setup mistake: a hub URL without a scheme or with
...               the WebSocket path, a token the hub refuses, and bad input that Python
...               would name (`ValueError: ...`): the failures say what to do, in words.

Library           AgentComLibrary    timeout=2s    poll_interval=50ms
Library           AgentComLibrary    AS    Outsider

Suite Setup       AgentComLibrary.Open Hub Session
Suite Teardown    AgentComLibrary.Close Hub Session
Test Teardown     Run Keywords    AgentComLibrary.Contract Should Hold    checks=off
...                   AND    AgentComLibrary.Stop All Agents


*** Test Cases ***
# robocop: off=missing-doc-test-case
# (each test name says what it pins; the pinned failure text is its documentation)
A Hub URL Without A Scheme Says To Add http://
    Run Keyword And Expect Error
    ...    The hub URL 'localhost:4000' has no scheme: write it as 'http://localhost:4000' (or https://), e.g. --variable HUB_URL:http://localhost:4000.
    ...    Outsider.Open Hub Session
    ...    hub_url=localhost:4000
    ...    bootstrap_token=not-checked

A Hub URL Ending In /ws Says To Give The Base URL
    Run Keyword And Expect Error
    ...    The hub URL 'http://127.0.0.1:4000/ws' is the hub's WebSocket endpoint: give its base URL 'http://127.0.0.1:4000' (the library adds /ws for agents itself).
    ...    Outsider.Open Hub Session
    ...    hub_url=http://127.0.0.1:4000/ws
    ...    bootstrap_token=not-checked

A WebSocket URL Says To Give The http:// Base URL
    Run Keyword And Expect Error
    ...    The hub URL 'ws://127.0.0.1:4000' is not an http:// or https:// URL: give the hub's base URL, e.g. 'http://127.0.0.1:4000'.
    ...    Outsider.Open Hub Session
    ...    hub_url=ws://127.0.0.1:4000
    ...    bootstrap_token=not-checked

A Rejected Token Says Where Tokens Come From
    ${library}    Get Library Instance    AgentComLibrary
    VAR    ${url}    ${library.ctx.session.url}
    VAR    ${expected}
    ...    The hub at ${url} rejected the bootstrap token 00000000... (401 unauthorized).
    ...    Tokens come from the hub: the embedded hub (agentcom-hub) writes its bootstrap token
    ...    to bootstrap-token.json in its --data-dir; on the real hub, `mix agent_com.gen_token`
    ...    makes one. Put it in the environment variable AGENTCOM_TOKEN (or pass BOOTSTRAP_TOKEN).
    ...    separator=${SPACE}
    Run Keyword And Expect Error    ${expected}
    ...    Outsider.Open Hub Session    hub_url=${url}    bootstrap_token=${{"0" * 64}}

A Second Agent Of The Same Name Fails Without A Python Class Name
    AgentComLibrary.Start Agent    twin
    Run Keyword And Expect Error    An agent named 'twin' is already running; stop it first.
    ...    AgentComLibrary.Start Agent    twin
