"""The hub's own log as evidence: the lines it wrote around a violation (Robot-free).

When the suite runs the hub itself, its log file is known (:func:`hub_log_path`); a
violation's evidence then ends with the hub's lines of that moment, masked. Two line
shapes are read:

``embedded``
    the embedded hub's ``logging`` format, ``2026-12-07 13:14:19,548 INFO name: message``
    (local time, with a date);
``elixir``
    the real hub's Elixir Logger console format, ``13:14:19.548 [warning] message``: time of
    day in UTC, no date, metadata (``request_id=...``) may come before ``[level]``.

A line of neither shape continues the line before it (a multi-line message). A time of
day is placed on the date that puts it nearest the violation's time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checker.rules import Violation
from ..checker.view import View
from ..hubapi.task_record import TaskRecord
from ..util.masking import masked_head

MARGIN_MS = 50  # lines this long before the first / after the last evidence time
MAX_LINES = 8
LINE_CAP = 300
DAY_MS = 24 * 3600 * 1000

EMBEDDED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")
ELIXIR = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) (?:[^\[\n]*?)\[(\w+)\]")


def hub_log_path(session: object) -> Path | None:
    """The log file of the hub the suite runs itself (embedded or ``HUB_COMMAND``: the
    session's ``managed`` launcher), or None for a hub at ``HUB_URL``."""
    launcher = getattr(session, "managed", None)
    if launcher is None:
        return None
    try:
        return Path(launcher.log_path)
    except Exception:  # a launcher not started yet has no log
        return None


@dataclass(frozen=True)
class HubLine:
    """One log entry: its time (Unix ms; ``day_ms`` set instead for a time of day) and
    its text (continuation lines joined)."""

    text: str
    at_ms: int | None = None
    day_ms: int | None = None  # ms since midnight UTC

    def when(self, near_ms: int) -> int | None:
        """Unix ms; a time of day placed on the day that puts it nearest ``near_ms``."""
        if self.at_ms is not None:
            return self.at_ms
        if self.day_ms is None:
            return None
        midnight = near_ms - near_ms % DAY_MS
        candidates = (midnight - DAY_MS, midnight, midnight + DAY_MS)
        return min((day + self.day_ms for day in candidates), key=lambda t: abs(t - near_ms))


def parse_line(line: str) -> HubLine | None:
    """The entry a line starts, or None for a continuation line."""
    match = EMBEDDED.match(line)
    if match:
        stamp = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))
        return HubLine(line, at_ms=int(stamp) * 1000 + int(match.group(2)))
    match = ELIXIR.match(line)
    if match:
        hours, minutes, seconds, millis = (int(g) for g in match.groups()[:4])
        return HubLine(line, day_ms=((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
    return None


def entries(lines: Iterable[str]) -> list[HubLine]:
    """Entries of a log, continuation lines joined to the entry before them."""
    out: list[HubLine] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        entry = parse_line(line)
        if entry is not None:
            out.append(entry)
        elif out:
            last = out[-1]
            out[-1] = HubLine(f"{last.text} | {line.strip()}", last.at_ms, last.day_ms)
    return out


def window(
    log: Sequence[HubLine],
    start_ms: int,
    end_ms: int,
    about: Sequence[str] = (),
    margin_ms: int = MARGIN_MS,
    limit: int = MAX_LINES,
) -> list[str]:
    """The entries from ``start_ms - margin`` to ``end_ms + margin``, masked and capped;
    only those that mention the first of ``about`` (the agent, then the task) that any of
    them mentions (all of them first), when one does (a busy hub logs many lines a
    millisecond)."""
    near = (start_ms + end_ms) // 2
    inside = []
    for entry in log:
        at = entry.when(near)
        if at is not None and start_ms - margin_ms <= at <= end_ms + margin_ms:
            inside.append(entry.text)
    shown = inside
    words = [word for word in about if word]
    for wanted in ([words] if len(words) > 1 else []) + [[word] for word in words]:
        named = [text for text in inside if all(word in text for word in wanted)]
        if named:
            shown = named
            break
    if len(shown) > limit:
        shown = [*shown[: limit - 1], f"... ({len(shown) - limit + 1} more lines)"]
    return [masked_head(text, LINE_CAP) for text in shown]


def evidence_times(view: View, violation: Violation) -> list[int]:
    """Hub times (ms) of the violation: its task's assignments to its agent (the moment most
    rules judge), else every event of the task's record."""
    task: TaskRecord | None = view.tasks.get(violation.task_id or "")
    if task is None:
        return []
    times = [
        e.timestamp
        for e in task.assignments
        if e.agent_id == violation.agent_id and e.timestamp is not None
    ]
    return times or [e.timestamp for e in task.events if e.timestamp is not None]


def read_log(path: Path) -> list[HubLine]:
    """The entries of a log file (none when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return entries(handle)
    except OSError:
        return []


def hub_lines_for(view: View, violation: Violation, log: Sequence[HubLine]) -> list[str]:
    """The hub's log lines around the violation's evidence times."""
    times = evidence_times(view, violation)
    if not times or not log:
        return []
    about = [x for x in (violation.agent_id, violation.task_id) if x]
    return window(log, min(times), max(times), about)
