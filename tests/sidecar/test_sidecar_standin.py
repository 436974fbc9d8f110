"""What only the stand-in does (its test switches), and how the library copes with each log
shape and with a log it cannot read. The behaviour it shares with the real sidecar is
checked in test_sidecar_conformance.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from AgentComLibrary.observe.history import journal_mark
from AgentComLibrary.sidecars import logformat
from AgentComLibrary.sidecars.process import SidecarProcess
from sidecar_helpers import HubUnderTest, completed_events, wait_until

MakeSidecar = Callable[..., SidecarProcess]


@pytest.fixture
def make(make_sidecar: MakeSidecar, standin: Path) -> MakeSidecar:
    return make_sidecar


def test_omit_generation_reproduces_the_historical_defect(
    make: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make("old", extra_config={"omit_generation": True})
    task_id = hub.submit(run_id)
    rejected = wait_until(
        lambda: sidecar.summary().rejected_completions, what="the stale completion is rejected"
    )
    assert rejected == [(task_id, "task_complete_failed: stale_generation")]
    assert hub.task(task_id)["status"] == "assigned"
    assert sidecar.completed_ids() == []


def test_fail_behaviour_dead_letters_with_the_generation(
    make: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make("bad", behaviour="fail")
    task_id = hub.submit(run_id, max_retries=1)
    task = wait_until(
        lambda: (t := hub.find(task_id)) and t["status"] == "dead_letter" and t,
        what="the task is dead-lettered",
    )
    assert "simulated failure" in task["last_error"], "accepted, so the generation was right"
    assert sidecar.summary().sent_failures == [task_id]
    assert sidecar.completed_ids() == []


def test_completions_since_a_mark(make: MakeSidecar, hub: HubUnderTest, run_id: str) -> None:
    sidecar = make("mark")
    first = hub.submit(run_id)
    wait_until(lambda: sidecar.completed_ids() == [first], what="first completion")
    mark = journal_mark()
    second = hub.submit(run_id)
    wait_until(lambda: sidecar.completed_ids(mark) == [second], what="second completion only")


def test_switch_to_delay_at_run_time_then_restart(
    make: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make("sw", behaviour="hang")
    held = hub.submit(run_id)
    wait_until(lambda: (sidecar.queue().get("active") or {}).get("status") == "working")
    sidecar.set_behaviour("delay", 0.3)
    sidecar.kill()
    sidecar.restart(30)
    assert completed_events(hub.wait_status(held, "completed")) == 1
    wait_until(lambda: held in sidecar.completed_ids(), what="completion after the restart")


def test_structured_log_shape_is_read_too(
    make: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make("structured", extra_config={"log_format": "structured"})
    task_id = hub.submit(run_id)
    wait_until(lambda: sidecar.completed_ids() == [task_id], what="ack read from the log")
    assert sidecar.log_shape().format == logformat.STRUCTURED
    assert sidecar.log_problem() is None


def test_structured_log_above_debug_falls_back_to_hub_records_with_a_warning(
    make: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    warnings: list[str] = []
    sidecar = make(
        "quiet", extra_config={"log_format": "structured", "log_level": "info"},
        warn=warnings.append,
    )  # fmt: skip
    task_id = hub.submit(run_id)
    hub.wait_status(task_id, "completed")
    wait_until(lambda: sidecar.summary().sent_completions, what="task_complete line")
    assert sidecar.completed_ids() == [task_id], "from the hub's records"
    assert sidecar.completed_ids() == [task_id]
    assert len(warnings) == 1, "warned once"
    assert str(sidecar.paths.log) in warnings[0] and "no task_ack" in warnings[0]


def test_unreadable_log_falls_back_to_hub_records_with_a_warning(
    make: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    warnings: list[str] = []
    sidecar = make("plain", extra_config={"log_format": "plain"}, warn=warnings.append)
    assert sidecar.connected, "the hub's agent list says so"
    task_id = hub.submit(run_id)
    hub.wait_status(task_id, "completed")
    assert sidecar.completed_ids() == [task_id]
    assert sidecar.received_ids() == [task_id]
    assert sidecar.log_shape().format == logformat.UNKNOWN
    assert str(sidecar.paths.log) in warnings[0] and '"event"' in warnings[0]
