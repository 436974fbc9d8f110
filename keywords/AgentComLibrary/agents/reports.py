"""The reports an agent handle sends for a task (accept, complete, fail), said once for the
simulated agent and its remote twin in a pool: each only says how a report travels."""

from __future__ import annotations

from typing import Any


class SendsReports:
    """``accept``/``complete``/``fail`` over ``_send_report``, which a handle implements."""

    def _send_report(
        self, kind: str, task_id: str, generation: int | None, wait: float | None, **fields: Any
    ) -> dict | None:
        """Send ``kind`` for ``task_id``; with ``wait``, return the hub's answer."""
        raise NotImplementedError

    def accept(self, task_id: str, wait: float | None = None) -> dict | None:
        """Send ``task_accepted``."""
        return self._send_report("task_accepted", task_id, None, wait)

    def complete(
        self,
        task_id: str,
        generation: int | None,
        result: dict | None = None,
        tokens_used: int | None = None,
        wait: float | None = None,
        tokens_in: str | None = None,
    ) -> dict | None:
        """Send ``task_complete``; ``generation=None`` leaves the field out; ``result``,
        ``tokens_used`` and ``tokens_in`` (where the count goes) None: the agent's own (see
        :mod:`.tokens`)."""
        fields: dict[str, Any] = {"result": result, "tokens_used": tokens_used}
        if tokens_in is not None:
            fields["tokens_in"] = tokens_in
        return self._send_report("task_complete", task_id, generation, wait, **fields)

    def recovering(self, task_id: str, wait: float | None = None) -> dict | None:
        """Send ``task_recovering``; with ``wait``, return the hub's ``task_continue`` or
        ``task_reassign``."""
        return self._send_report("task_recovering", task_id, None, wait)

    def fail(
        self, task_id: str, generation: int | None, error: str, wait: float | None = None
    ) -> dict | None:
        """Send ``task_failed`` with ``error``; ``generation=None`` leaves the field out."""
        return self._send_report("task_failed", task_id, generation, wait, error=error)
