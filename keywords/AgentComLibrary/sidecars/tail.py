"""A thread that tails a sidecar's JSON-lines files (its log, the wake command's record of
foreign tasks) so that every line gets a journal mark when it appears.

Each line read gets the next journal mark (the counter simulated agents' journals use), so
a mark taken at the start of a test splits a sidecar's lines into before and during it.
A daemon thread reads every 0.2 s; every query reads what is new first.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path

from ..observe.history import journal_mark
from .logformat import LogEvent, LogShape, parse_line

POLL = 0.2


class LogTail:
    """Tails the sidecar log (kind ``log``: :class:`LogEvent` lines, shape detected) and
    plain JSON-lines files (any other kind: dicts with ``_seq``)."""

    def __init__(self, paths: Mapping[str, Path]) -> None:
        self._paths = dict(paths)
        self._offsets = dict.fromkeys(self._paths, 0)
        self._partial = dict.fromkeys(self._paths, b"")
        self._events: list[LogEvent] = []
        self._records: dict[str, list[dict]] = {kind: [] for kind in self._paths}
        self.shape = LogShape()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, name: str) -> None:
        """Start the reading thread (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"sidecar-log-{name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread after a last read."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)
        self.refresh()

    def _run(self) -> None:
        while not self._stop.wait(POLL):
            with contextlib.suppress(Exception):
                self.refresh()

    def refresh(self) -> None:
        """Read what was appended since the last read."""
        with self._lock:
            for kind, path in self._paths.items():
                try:
                    with open(path, "rb") as handle:
                        handle.seek(self._offsets[kind])
                        data = handle.read()
                except OSError:
                    continue
                self._offsets[kind] += len(data)
                complete, _, self._partial[kind] = (self._partial[kind] + data).rpartition(b"\n")
                for raw in complete.splitlines():
                    self._take(kind, raw.decode("utf-8", errors="replace"))

    def _take(self, kind: str, line: str) -> None:
        if kind == "log":
            event = parse_line(line, journal_mark())
            self.shape.add(line, event)
            if event is not None:
                self._events.append(event)
            return
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict):
                record["_seq"] = journal_mark()
                self._records[kind].append(record)

    def events(self) -> list[LogEvent]:
        """Every event line of the log so far."""
        self.refresh()
        with self._lock:
            return list(self._events)

    def records(self, kind: str) -> list[dict]:
        """Every JSON record of a plain file so far."""
        self.refresh()
        with self._lock:
            return list(self._records[kind])

    def log_shape(self) -> LogShape:
        self.refresh()
        with self._lock:
            return LogShape(self.shape.lines, self.shape.phase5, self.shape.structured,
                            self.shape.first_other)  # fmt: skip
