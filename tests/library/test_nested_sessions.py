"""Nested hub sessions: the run's shared hub, a suite's private hub, joining, and closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from AgentComLibrary import AgentComLibrary
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from test_embedded_hub import pid_alive


def test_a_private_hub_is_closed_and_the_shared_one_comes_back(robot_log) -> None:
    lib = AgentComLibrary()
    shared_run = lib.open_hub_session()
    shared = lib.ctx.session
    try:
        private_run = lib.open_private_hub_session(hub_options="--ping-timeout 2s")
        private = lib.ctx.session
        assert private is not shared and private_run != shared_run
        assert private.embedded.pid != shared.embedded.pid
        assert "--ping-timeout" in private.embedded.command()
        lib.close_hub_session()
        assert lib.ctx.session is shared and not pid_alive(private.embedded.pid or -1)
        assert shared.embedded.running
        assert any(m == f"Back on the hub session at {shared.url}." for _, m in robot_log)
    finally:
        lib.close_hub_session()
    assert lib.ctx.session is None and not shared.embedded.running


def test_joining_gives_a_new_run_id_and_leaving_keeps_the_hub() -> None:
    lib = AgentComLibrary()
    first = lib.open_hub_session()
    try:
        hub = lib.ctx.session.embedded
        joined = lib.join_hub_session()
        assert joined != first and lib.get_run_id() == joined
        lib.close_hub_session()  # leaves the joined session: the hub stays up
        assert lib.ctx.session is not None and hub.running
    finally:
        lib.close_hub_session()
    assert not hub.running


def test_join_opens_a_session_when_none_is_open() -> None:
    lib = AgentComLibrary()
    lib.join_hub_session()
    hub = lib.ctx.session.embedded
    assert hub is not None and hub.running
    lib.close_hub_session()
    assert lib.ctx.session is None and not hub.running


def test_closing_the_library_stops_every_hub_it_set_aside() -> None:
    lib = AgentComLibrary()
    lib.open_hub_session()
    hubs = [lib.ctx.session.embedded]
    lib.join_hub_session()
    lib.open_private_hub_session()
    hubs.append(lib.ctx.session.embedded)
    lib.open_private_hub_session()
    hubs.append(lib.ctx.session.embedded)
    lib.close()
    assert lib.ctx.session is None and not lib.ctx.outer_sessions
    assert not any(hub.running for hub in hubs)


def test_on_an_external_hub_a_private_session_is_the_same_session(
    hub: EmbeddedHub, robot_log
) -> None:
    lib = AgentComLibrary(hub_url=hub.url, bootstrap_token=hub.token)
    first = lib.open_hub_session()
    session = lib.ctx.session
    try:
        run = lib.open_private_hub_session(acceptance_timeout=timedelta(seconds=1))
        assert lib.ctx.session is session and run != first and session.embedded is None
        assert any(
            "No private hub against the hub at" in m and "--acceptance-timeout" in m
            for _, m in robot_log
        )
        with pytest.raises(ValueError, match="Hub faults only apply to the embedded hub"):
            lib.open_private_hub_session(hub_faults="double-assign")
        lib.close_hub_session()
        assert lib.ctx.session is session  # left, not closed
        lib.hub_should_be_healthy()
    finally:
        lib.close()
