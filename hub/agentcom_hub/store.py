"""SQLite persistence for tasks and tokens (standard library only).

Durability: every change is committed before the hub replies or sends the frame that
announces it. The database runs in WAL mode with ``synchronous=NORMAL``: a commit is in
the WAL file (in the OS page cache) when ``commit()`` returns, so it survives SIGKILL of
the hub process; only a power loss / kernel crash could lose the last commits, which is
outside what the hub promises. ``Store.volatile()`` is the in-memory variant used by the
``volatile-store`` fault.

Checkpoints (copying the WAL back into the database file, with fsync) run in a background
thread on its own connection, so the event loop does not wait for the disk; the writer
connection only checkpoints itself when the WAL passes ``_WAL_CAP_PAGES`` (then the WAL
restarts from the beginning and stays small).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("agentcom_hub.store")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    assigned_to TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, priority, created_at, seq);
CREATE INDEX IF NOT EXISTS tasks_by_order ON tasks (priority, created_at, seq);
CREATE INDEX IF NOT EXISTS tasks_by_agent ON tasks (assigned_to);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_agent ON tokens (agent_id);
"""

_ORDER = " ORDER BY priority, created_at, seq"
_WAL_CAP_PAGES = 8000
_CHECKPOINT_EVERY_S = 0.2


class _Checkpointer(threading.Thread):
    """Runs PASSIVE WAL checkpoints on its own connection until stopped."""

    def __init__(self, path: str) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout=1000")
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            while not self._halt.wait(_CHECKPOINT_EVERY_S):
                try:
                    self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # busy or closing: try again later
                    log.debug("background checkpoint skipped: %s", exc)
        finally:
            self._db.close()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)


class Store:
    """Rows of tasks (the canonical JSON body plus indexed columns) and token hashes."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._checkpointer: _Checkpointer | None = None
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint={_WAL_CAP_PAGES}")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA cache_size=-65536")  # up to 64 MiB of pages, used as needed
        self._db.executescript(_SCHEMA)
        if self.path != ":memory:":
            self._checkpointer = _Checkpointer(self.path)
            self._checkpointer.start()

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """The store file ``hub.sqlite3`` inside ``data_dir`` (created if needed)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(data_dir / "hub.sqlite3")

    @classmethod
    def volatile(cls) -> Store:
        """An in-memory store: nothing survives the process."""
        return cls(":memory:")

    def close(self) -> None:
        """Stop the checkpointer and close the database (idempotent)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    # -- tasks ---------------------------------------------------------------------------

    def insert_task(self, row: dict, seq: int) -> None:
        """Insert a new task (``row`` is its public JSON object) and commit."""
        self._db.execute(
            "INSERT INTO tasks (id, seq, status, priority, created_at, assigned_to, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row["id"],
                seq,
                row["status"],
                row["priority"],
                row["created_at"],
                row["assigned_to"],
                json.dumps(row, separators=(",", ":")),
            ),
        )

    def update_task(self, row: dict) -> None:
        """Rewrite an existing task and commit."""
        self._db.execute(
            "UPDATE tasks SET status = ?, assigned_to = ?, body = ? WHERE id = ?",
            (row["status"], row["assigned_to"], json.dumps(row, separators=(",", ":")), row["id"]),
        )

    def update_task_body(self, row: dict) -> None:
        """Rewrite a task whose status and agent did not change (no index work) and commit."""
        self._db.execute(
            "UPDATE tasks SET body = ? WHERE id = ?",
            (json.dumps(row, separators=(",", ":")), row["id"]),
        )

    def task_row(self, task_id: str) -> tuple[int, str] | None:
        """(seq, stored JSON text) of one task, or None."""
        sql = "SELECT seq, body FROM tasks WHERE id = ?"
        return self._db.execute(sql, (task_id,)).fetchone()

    def iter_tasks(self, statuses: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
        """(seq, task object) of every task in one of ``statuses``."""
        marks = ",".join("?" * len(statuses))
        cursor = self._db.execute(
            f"SELECT seq, body FROM tasks WHERE status IN ({marks})" + _ORDER, statuses
        )
        for seq, body in cursor:
            yield seq, json.loads(body)

    def task_bodies(
        self, statuses: tuple[str, ...], priority: int | None = None, assigned_to: str | None = None
    ) -> list[str]:
        """JSON texts of matching tasks sorted by (priority, created_at)."""
        clauses = [f"status IN ({','.join('?' * len(statuses))})"]
        params: list = list(statuses)
        if priority is not None:
            clauses.append("priority = ?")
            params.append(priority)
        if assigned_to is not None:
            clauses.append("assigned_to = ?")
            params.append(assigned_to)
        sql = "SELECT body FROM tasks WHERE " + " AND ".join(clauses) + _ORDER
        return [body for (body,) in self._db.execute(sql, params)]

    def counts(self) -> list[tuple[str, int, int]]:
        """(status, priority, count) over all tasks; used once at start."""
        sql = "SELECT status, priority, COUNT(*) FROM tasks GROUP BY status, priority"
        return list(self._db.execute(sql))

    def max_seq(self) -> int:
        """The highest task sequence number so far (0 when empty)."""
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM tasks").fetchone()[0]

    # -- tokens --------------------------------------------------------------------------

    def insert_token(self, token_hash: str, agent_id: str, prefix: str, now: int) -> None:
        """Remember one token (by its hash) and commit."""
        self._db.execute(
            "INSERT OR REPLACE INTO tokens (hash, agent_id, prefix, created_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, agent_id, prefix, now),
        )

    def delete_tokens(self, agent_id: str) -> None:
        """Forget every token of ``agent_id`` and commit."""
        self._db.execute("DELETE FROM tokens WHERE agent_id = ?", (agent_id,))

    def tokens(self) -> list[tuple[str, str, str]]:
        """(hash, agent_id, prefix) of every token, oldest first."""
        sql = "SELECT hash, agent_id, prefix FROM tokens ORDER BY created_at, rowid"
        return list(self._db.execute(sql))
