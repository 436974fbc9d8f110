"""One set of behavioural checks of a sidecar, run against the stand-in always and against
a real AgentCom sidecar when AGENTCOM_SIDECAR_DIR names a checkout (skipped otherwise).

What is checked is what the suite relies on and what can be seen from outside: the wire
frames, config.json/queue.json/results-file handling, the log lines, and the hub's records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from AgentComLibrary.sidecars import logformat
from AgentComLibrary.sidecars.process import SidecarProcess
from AgentComLibrary.sidecars.sidecar_errors import SidecarNotConnected
from AgentComLibrary.sidecars.wake import default_wake_command
from sidecar_helpers import FakeWsHub, HubUnderTest, assigned_agents, completed_events, wait_until

MakeSidecar = Callable[..., SidecarProcess]
STUCK_FAST = ["--stuck-threshold", "1s", "--stuck-sweep-interval", "200ms"]
TASK_KEYS = {"task_id", "description", "metadata", "status", "assigned_at", "generation",
             "wake_attempts"}  # fmt: skip


@pytest.fixture
def fake_hub() -> Iterator[FakeWsHub]:
    server = FakeWsHub()
    yield server
    server.close()


def working_on(sidecar: SidecarProcess) -> str | None:
    active = sidecar.queue().get("active") or {}
    return active.get("task_id") if active.get("status") == "working" else None


def names(sidecar: SidecarProcess) -> list[str]:
    return [e.name for e in sidecar.events()]


def test_identify_frame_and_protocol_version(make_any: MakeSidecar, fake_hub: FakeWsHub) -> None:
    sidecar = make_any("wire", hub_access=fake_hub, capabilities=["smoke-x", "python"])
    (_, identify), *_ = fake_hub.of_type("identify")
    assert identify == {
        "type": "identify", "agent_id": sidecar.agent_id, "token": "e" * 64,
        "name": sidecar.agent_id, "status": "idle", "capabilities": ["smoke-x", "python"],
        "client_type": "sidecar", "protocol_version": 1,
    } | {k: v for k, v in identify.items() if k in ("ollama_url", "pm2_info")}  # fmt: skip
    # the sidecar logs `identified` just after the hub lists it (start() waits for the latter)
    wait_until(
        lambda: logformat.connection_state(sidecar.events()) == "identified",
        what=f"{sidecar.name} logged its identification",
    )


def test_completes_a_task_and_its_log_agrees_with_the_hub(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_any("ok")
    task_id = hub.submit(run_id, 'quotes " and $(not run) in a description')
    task = hub.wait_status(task_id, "completed")
    assert task["result"]["status"] == "success"
    assert task["result"]["agent_id"] == sidecar.agent_id
    assert task["generation"] == 1 and completed_events(task) == 1
    wait_until(lambda: sidecar.completed_ids() == [task_id], what="the ack in the sidecar log")
    assert sidecar.summary().received == [task_id]
    assert sidecar.completed_ids_from_hub() == [task_id]
    wait_until(lambda: sidecar.queue() == {"active": None, "recovering": None}, what="idle")
    wait_until(lambda: not list(sidecar.paths.results.iterdir()), what="result files removed")


def test_every_log_line_is_a_json_event_of_a_known_shape(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_any("shape")
    hub.wait_status(hub.submit(run_id), "completed")
    sidecar.stop()
    lines = sidecar.paths.log.read_text().splitlines()
    shape = logformat.detect(lines)
    assert shape.readable and shape.phase5 + shape.structured == shape.lines, shape
    seen = names(sidecar)
    # (No confirmation_received: the wake writes .started and the result at once, and the
    # real sidecar's watcher may take the result first.)
    for event in ("startup", "ws_connecting", "ws_open", "identify_sent", "identified",
                  "ready", "task_received", "wake_attempt", "wake_success",
                  "confirmation_wait", "task_complete", "task_ack", "shutdown"):  # fmt: skip
        assert event in seen, f"no {event} line in {seen}"


def test_queue_json_while_working(make_any: MakeSidecar, hub: HubUnderTest, run_id: str) -> None:
    sidecar = make_any("q", behaviour="hang")
    task_id = hub.submit(run_id, "hold me")
    wait_until(lambda: working_on(sidecar) == task_id, what="confirmed by the wake command")
    queue = sidecar.queue()
    assert set(queue) == {"active", "recovering"} and queue["recovering"] is None
    active = queue["active"]
    assert set(active) >= TASK_KEYS, active
    assert (active["description"], active["metadata"]) == ("hold me", {"smoke_run": run_id})
    assert (active["generation"], active["wake_attempts"]) == (1, 1)


def test_killed_sidecars_task_goes_to_another_and_the_restart_is_reassigned(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    victim = make_any("victim", behaviour="hang")
    task_id = hub.submit(run_id, "survive a crash")
    assert wait_until(lambda: working_on(victim), what="victim confirmed the task") == task_id
    survivor = make_any("survivor")
    assert victim.kill() == -9 and victim.state == "killed"
    task = hub.wait_status(task_id, "completed")
    assert completed_events(task) == 1
    assert assigned_agents(task) == [victim.agent_id, survivor.agent_id]
    assert [h["event"] for h in reversed(task["history"])] == [
        "queued", "assigned", "reclaimed", "assigned", "completed"
    ]  # fmt: skip
    wait_until(lambda: survivor.completed_ids() == [task_id], what="survivor's ack")
    assert victim.completed_ids() == []
    assert victim.queue()["active"]["task_id"] == task_id, "the crash kept it in queue.json"
    victim.set_behaviour("succeed")
    victim.restart(30)
    answers = wait_until(lambda: victim.recovery_answers(task_id)[task_id], what="the answer")
    assert answers == ["task_reassign"]
    assert victim.recovery_answer_from_hub(task_id) == "task_reassign"
    wait_until(lambda: victim.queue() == {"active": None, "recovering": None}, what="cleared")
    assert completed_events(hub.task(task_id)) == 1 and victim.completed_ids() == []


def test_restarted_sidecar_continues_its_task_and_completes_it_once(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    solo = make_any("solo", behaviour="hang")
    task_id = hub.submit(run_id, "recover after a restart")
    wait_until(lambda: working_on(solo) == task_id, what="solo confirmed the task")
    solo.kill()
    hub.wait_status(task_id, "queued")
    solo.set_behaviour("succeed")
    solo.restart(30)
    answers = wait_until(lambda: solo.recovery_answers(task_id)[task_id], what="the answer")
    # The hub hands the requeued task straight back when the sidecar identifies, before
    # it reads task_recovering: the task is assigned again, so task_continue.
    assert answers == ["task_continue"]
    assert solo.recovery_answer_from_hub(task_id) == "task_continue"
    task = hub.wait_status(task_id, "completed")
    assert completed_events(task) == 1
    assert assigned_agents(task) == [solo.agent_id, solo.agent_id]
    wait_until(lambda: solo.completed_ids() == [task_id], what="one acknowledged completion")
    summary = solo.summary()
    assert (summary.starts, summary.recovering, summary.rejected_completions) == (2, [task_id], [])


def test_result_files_present_at_start_are_ignored(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_any("stale")
    sidecar.kill()
    stale = sidecar.paths.results / "task-00000000000stale.json"
    stale.write_text(json.dumps({"status": "success", "output": "old"}))
    sidecar.restart(30)
    task_id = hub.submit(run_id)
    hub.wait_status(task_id, "completed")
    files = [e.get("file", "") for e in sidecar.events() if e.name.startswith("result_")]
    assert not [f for f in files if f.endswith(stale.name)], files
    assert stale.exists(), "a file present at start is neither read nor removed"


def test_result_file_is_read_once_it_is_stable(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str, tmp_path: Path
) -> None:
    """The wake writes the result in two parts 0.3 s apart: the sidecar waits until the file
    stops changing (0.5 s) and so reads it whole."""
    script = tmp_path / "slow-writer.sh"
    script.write_text(
        '#!/bin/sh\nr="$1/$2"\nprintf x > "$r.started"\n'
        'printf \'{"status": "success",\' > "$r.json"\nsleep 0.3\n'
        'printf \' "output": "two parts"}\' >> "$r.json"\n'
    )
    script.chmod(0o755)
    instance = (tmp_path / "sidecars" / "stable").resolve()
    sidecar = make_any("stable", wake_command=f"{script} {instance / 'results'} ${{TASK_ID}}")
    task_id = hub.submit(run_id)
    task = hub.wait_status(task_id, "completed")
    assert task["result"]["output"] == "two parts"
    assert "result_parse_error" not in names(sidecar)


def test_without_the_started_file_the_task_fails_with_confirmation_timeout(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_any("noconfirm", wake_command="true", confirmation_timeout_ms=300)
    task_id = hub.submit(run_id, max_retries=1)
    task = wait_until(
        lambda: (t := hub.find(task_id)) and t["status"] == "dead_letter" and t,
        what="dead letter after the confirmation timeout",
    )
    assert task["last_error"] == "confirmation_timeout"
    assert names(sidecar).count("wake_attempt") == 1
    assert sidecar.summary().sent_failures == [task_id]


@pytest.mark.parametrize("hub_options", [STUCK_FAST])
def test_busy_sidecar_answers_task_rejected(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    """The stuck sweep takes the held task back and offers it again: the sidecar still holds
    it in queue.json and answers task_rejected, which the hub does not know."""
    sidecar = make_any("busy", behaviour="hang")
    task_id = hub.submit(run_id)
    summary = wait_until(
        lambda: (s := sidecar.summary()).rejected_assignments and s, what="rejected while busy"
    )
    assert task_id in summary.rejected_assignments
    wait_until(
        lambda: "unknown_message_type" in sidecar.summary().hub_errors,
        what="the hub's error for task_rejected",
    )
    assert working_on(sidecar) == task_id


def test_reconnect_backoff_doubles_from_one_second(make_any: MakeSidecar) -> None:
    server = FakeWsHub()
    server.close()  # nothing listens there any more
    sidecar = make_any("backoff", start=False, hub_access=server)
    with pytest.raises(SidecarNotConnected, match="did not connect within 4 s"):
        sidecar.start(4)
    delays = [e.get("delay_ms") for e in sidecar.events() if e.name == "reconnect_scheduled"]
    assert delays[:3] == [1000, 2000, 4000], delays


def test_foreign_task_is_left_alone(make_any: MakeSidecar, hub: HubUnderTest, run_id: str) -> None:
    sidecar = make_any("guard")
    task_id = hub.submit(run_id)
    hub.client.submit_task(
        {"description": "another run's task", "needed_capabilities": [f"smoke-{run_id}"],
         "metadata": {"smoke_run": "someone-else"}}
    )  # fmt: skip
    hub.wait_status(task_id, "completed")
    foreign = wait_until(sidecar.foreign_tasks, what="the foreign task is recorded")
    assert foreign[0]["metadata"] == {"smoke_run": "someone-else"}
    assert hub.task(foreign[0]["task_id"])["status"] == "assigned", "left alone, not finished"


def test_wake_command_substitutions(
    make_any: MakeSidecar, hub: HubUnderTest, run_id: str, tmp_path: Path
) -> None:
    """${TASK_ID}, ${TASK_DESCRIPTION} and ${TASK_JSON} are substituted with double quotes
    escaped for a double-quoted shell word (backslashes are not)."""
    instance = (tmp_path / "sidecars" / "subst").resolve()
    record = 'printf "%s" "${TASK_DESCRIPTION}" > desc.txt && printf "%s" "${TASK_JSON}" > t.json'
    make_any("subst", wake_command=f"cd {instance} && {record} && {default_wake_command(instance)}")
    plain = hub.submit(run_id, "plain words")
    hub.wait_status(plain, "completed")
    task = json.loads((instance / "t.json").read_text())
    assert (task["task_id"], task["metadata"]) == (plain, {"smoke_run": run_id})
    quoted = hub.submit(run_id, 'say "hi" there')
    hub.wait_status(quoted, "completed")
    assert (instance / "desc.txt").read_text() == 'say "hi" there'


def test_pings_while_connected(make_any: MakeSidecar, fake_hub: FakeWsHub, source: Path) -> None:
    """The real sidecar pings every 30 s; the stand-in does too unless ``ping_interval_ms``
    (a stand-in-only key) says otherwise, as it does here to keep the check short."""
    standin = (source / "package.json").read_text().find("sidecar-standin") >= 0
    interval = 0.5 if standin else 30.0
    extra = {"ping_interval_ms": 500} if standin else {}
    make_any("pinger", hub_access=fake_hub, extra_config=extra)
    (opened, _), *_ = fake_hub.of_type("identify")
    pings = wait_until(lambda: len(fake_hub.of_type("ping")) >= 2 and fake_hub.of_type("ping"),
                       timeout=2 * interval + 15, what="two pings")  # fmt: skip
    assert pings[0][0] - opened == pytest.approx(interval, abs=0.5 + interval * 0.1)
    assert all(frame.get("protocol_version") == 1 for _, frame in pings)
