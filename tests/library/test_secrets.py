"""No whole token in logs, exceptions or return values."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from AgentComLibrary import AgentComLibrary, Behaviour
from AgentComLibrary.agents.simulated import AgentError, SimulatedAgent
from AgentComLibrary.hubapi.client import HubRequestError
from AgentComLibrary.util.masking import mask, mask_text
from libsupport import FULL_TOKEN
from robot.api.types import Secret


def test_mask_helpers() -> None:
    token = "0123456789abcdef" * 4
    assert mask(token) == "01234567..." and mask(Secret(token)) == "01234567..." and mask("") == ""
    text = f'{{"agent_id": "a", "token": "{token}"}} Authorization: Bearer {token} raw {token}'
    masked = mask_text(text)
    assert token not in masked and masked.count("01234567...") == 3
    assert mask_text('{"token": "short-secret"}') == '{"token": "short-se..."}'
    assert mask_text("task-0123456789abcdef") == "task-0123456789abcdef"  # ids stay readable


def test_request_error_masks_tokens_in_bodies() -> None:
    token = "ab" * 32
    error = HubRequestError("POST", "/admin/tokens", 500, {"token": token})
    assert token not in str(error) and "abababab..." in str(error)


def test_no_token_anywhere_in_a_session(
    lib: AgentComLibrary, robot_log, caplog: pytest.LogCaptureFixture, hub
) -> None:
    caplog.set_level(logging.DEBUG)
    run = lib.get_run_id()
    lib.start_agent("w")
    lib.start_agent("o", behaviour=Behaviour.OMIT_GENERATION)
    secret = lib.create_agent_token(f"smoke-{run}-x")
    tasks = lib.submit_tasks(4)
    lib.wait_until_task_is_assigned(tasks[0])
    errors = []
    with pytest.raises(AgentError) as info:
        SimulatedAgent("bad", f"smoke-{run}-bad", secret.value, hub.ws_url, run).start(timeout=10)
    errors.append(str(info.value))
    with pytest.raises(AssertionError) as info:
        lib.wait_until_tasks_are_completed(tasks, timeout=timedelta(milliseconds=300))
    errors.append(str(info.value))
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_completed(lib.submit_task("stuck", capabilities=["nobody"]))
    errors.append(str(info.value))
    lib.log_test_summary()
    lib.close_hub_session()
    tokens = {hub.token, secret.value} | {
        a._token for a in lib.ctx.agents.retired if isinstance(a, SimulatedAgent)
    }
    texts = [m for _, m in robot_log] + [r.getMessage() for r in caplog.records] + errors
    texts += [repr(a) for a in lib.ctx.agents.retired] + [repr(secret), str(secret)]
    assert errors and len(tokens) == 4
    for text in texts:
        assert not FULL_TOKEN.search(text), text[:300]
        assert not any(token in text for token in tokens)
    assert any(hub.token[:8] + "..." in t for t in texts)
