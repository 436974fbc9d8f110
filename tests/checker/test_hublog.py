"""The hub's own log as a violation's evidence (``observe.hublog``): both line shapes, the
window around the violation, masking, and the failure message with the real hub's line."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

from AgentComLibrary.checker.verdict import check, failure_message, with_hub_log
from AgentComLibrary.observe import hublog
from histbuild import Builder

W1 = "w1"
DAY = 24 * 3600 * 1000
# 2027-01-15 13:14:19.563 UTC
T = 1_800_000_000_000 - 1_800_000_000_000 % DAY + ((13 * 60 + 14) * 60 + 19) * 1000 + 563


def elixir(ms: int, text: str, level: str = "info", meta: str = "") -> str:
    """A line as the real hub's Elixir Logger writes it (time of day, UTC)."""
    day = ms % DAY
    clock = f"{day // 3600000:02d}:{day // 60000 % 60:02d}:{day // 1000 % 60:02d}.{day % 1000:03d}"
    return f"{clock} {meta}[{level}] {text}"


def embedded(ms: int, text: str, level: str = "INFO") -> str:
    """A line as the embedded hub's logging writes it (local time)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms // 1000))
    return f"{stamp},{ms % 1000:03d} {level} agentcom_hub.hub: {text}"


def test_both_shapes_are_read() -> None:
    line = hublog.parse_line(embedded(T, "task t1 assigned to w1 gen=1"))
    assert line is not None and line.at_ms == T
    line = hublog.parse_line(elixir(T, "Scheduler: assigned", "info", "request_id=F3x "))
    assert line is not None and line.when(T + 5000) == T
    assert hublog.parse_line("    at lib/agent_com/socket.ex:12") is None


def test_a_time_of_day_lands_on_the_nearest_day() -> None:
    just_before_midnight = T - T % DAY + DAY - 2
    line = hublog.parse_line(elixir(just_before_midnight, "late"))
    assert line is not None
    assert line.when(just_before_midnight + 10) == just_before_midnight  # next day near
    assert line.when(just_before_midnight - DAY + 10) == just_before_midnight - DAY


def test_continuation_lines_join_their_entry() -> None:
    entries = hublog.entries([elixir(T, "crash report"), "  ** (exit) boom", elixir(T + 1, "x")])
    assert [e.text for e in entries] == [f"{elixir(T, 'crash report')} | ** (exit) boom",
                                         elixir(T + 1, "x")]  # fmt: skip


def test_the_window_prefers_lines_about_the_agent_and_masks_tokens() -> None:
    token = "ab" * 32
    log = hublog.entries([
        elixir(T - 1000, "Scheduler: assigned task t0 to w1"),
        elixir(T - 10, f"token {token} created for w1"),
        elixir(T, "GET /api/tasks/t1"),
        elixir(T + 1, "AgentFSM: invalid transition working -> assigned for agent w1", "warning"),
        elixir(T + 2, "Sent 200 in 82µs"),
    ])  # fmt: skip
    lines = hublog.window(log, T, T, ["w1", "t1"])
    assert len(lines) == 2 and token not in lines[0] and token[:8] in lines[0]
    assert "invalid transition working -> assigned" in lines[1]
    assert len(hublog.window(log, T, T, ["nobody"])) == 4  # none named: the whole window


def test_the_log_path_comes_from_the_hub_the_suite_runs() -> None:
    launched = SimpleNamespace(managed=SimpleNamespace(log_path="/y/hub.log"))
    assert hublog.hub_log_path(launched) == Path("/y/hub.log")
    assert hublog.hub_log_path(SimpleNamespace(managed=None)) is None


def race(hub_ms: int) -> Builder:
    """w1 is sent b while it still holds a (the real hub's race), b stamped ``hub_ms``."""
    b = Builder()
    b.connect(1, W1, at=hub_ms - 100)
    b.assign(1, W1, "a", 1, assigned_at=hub_ms - 50, at=hub_ms - 49)
    b.assign(1, W1, "b", 1, assigned_at=hub_ms, at=hub_ms + 1)
    b.snapshot()
    b.task("a", f"queued@{hub_ms - 60} assigned@{hub_ms - 50}:w1/1 completed@{hub_ms + 80}",
           "completed")  # fmt: skip
    b.task("b", f"queued@{hub_ms - 40} assigned@{hub_ms}:w1/1", "assigned", assigned_to=W1)
    return b


def test_the_failure_message_shows_the_real_hubs_line(tmp_path: Path) -> None:
    log = tmp_path / "hub.log"
    log.write_text(
        "\n".join([
            elixir(T - 5000, "AgentFSM: started for agent w1 in state :idle"),
            elixir(T, "Scheduler: assigned task b to w1"),
            elixir(T + 1, "AgentFSM: invalid transition working -> assigned for agent w1 "
                          "(task_assigned b)", "warning"),
            elixir(T + 2, "GET /api/tasks/b"),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    view = race(T).view()
    entries = hublog.read_log(log)
    verdict = with_hub_log(check(view), lambda v: hublog.hub_lines_for(view, v, entries))
    message = failure_message(verdict)
    assert message.startswith("Contract rule 'one-task-per-agent' broken")
    assert "The hub's log around it:" in message
    assert "[warning] AgentFSM: invalid transition working -> assigned for agent w1" in message
    assert "started for agent w1" not in message  # 5 s before: outside the window


def test_the_embedded_hubs_lines_are_shown_too(tmp_path: Path) -> None:
    log = tmp_path / "hub.log"
    log.write_text(embedded(T, "task b assigned to w1 gen=1") + "\n", encoding="utf-8")
    view = race(T).view()
    entries = hublog.read_log(log)
    verdict = with_hub_log(check(view), lambda v: hublog.hub_lines_for(view, v, entries))
    assert "task b assigned to w1 gen=1" in failure_message(verdict)
