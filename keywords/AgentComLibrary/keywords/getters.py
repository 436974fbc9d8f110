"""Getters with an optional assertion, as Browser library's are: ``Get Task Status  ${task}
==  completed`` reads the hub once, returns the value and, given an operator, checks it
(robotframework-assertion-engine's operators and failure texts)."""

from __future__ import annotations

from typing import Any

from assertionengine import AssertionOperator, verify_assertion
from robotlibcore import keyword

from ..hubapi.task_record import TaskRecord
from ..util.choices import TaskStatus
from ..util.errors import AgentComAssertion
from ..util.formatting import known_names
from .base import LibraryComponent, Message


class GetterKeywords(LibraryComponent):
    @keyword(tags=["Task", "Check"])
    def get_task_status(
        self,
        task_id: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: str | None = None,
        message: Message = None,
    ) -> str:
        """Returns the task's status (``queued``, ``assigned``, ``completed`` or
        ``dead_letter``) and, given an operator, checks it.

        Reads the hub once and does not wait: wait first (`Wait Until Task Status Is`,
        `Wait Until Task Is Completed`) when the status is still changing.

        Args:
            task_id: the task.
            assertion_operator: ``==``, ``!=``, ``contains``, ``matches``, ... (see
                `AssertionOperator`); left out: only return the status.
            assertion_expected: the value to compare with.
            message: a failure message to use instead of the default; ``{value}`` and
                ``{expected}`` are replaced.

        Returns:
            The status.

        Example:
        | `Get Task Status` | ${task} | == | completed |
        | ${status} = | `Get Task Status` | ${task} | |
        """
        status = self._task(task_id).status
        return verify_assertion(
            status, assertion_operator, assertion_expected, f"Task {task_id} status", message
        )

    @keyword(tags=["Task", "Check"])
    def get_task_field(
        self,
        task_id: str,
        field: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: Message = None,
    ) -> Any:
        """Returns one field of the hub's record of the task (a key of `Get Task`'s dict)
        and, given an operator, checks it.

        The expected value is compared as the field's type: ``generation  ==  2`` compares
        numbers, ``assigned_to  ==  None`` a missing holder. Reads the hub once (no wait).

        Args:
            task_id: the task.
            field: ``status``, ``generation``, ``assigned_to``, ``tokens_used``,
                ``retry_count``, ``priority``, ... (the keys are listed at `Get Task`).
            assertion_operator: ``==``, ``>=``, ``contains``, ... (see `AssertionOperator`);
                left out: only return the value.
            assertion_expected: the value to compare with.
            message: a failure message to use instead of the default.

        Returns:
            The field's value as the hub sent it.

        Example:
        | `Get Task Field` | ${task} | generation | == | 2 |
        | `Get Task Field` | ${task} | tokens_used | < | 500 |
        | ${holder} = | `Get Task Field` | ${task} | assigned_to | |
        """
        record = self._task(task_id).raw
        if field not in record:
            raise AgentComAssertion(
                f"Task {task_id} has no field '{field}'; its fields: {known_names(record)}."
            )
        value = record[field]
        return verify_assertion(
            value,
            assertion_operator,
            _as_type_of(value, assertion_expected),
            f"Task {task_id} field '{field}'",
            message,
        )

    @keyword(tags=["Task", "Check"])
    def get_task_count(
        self,
        status: TaskStatus | None = None,
        agent: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: int | None = None,
        message: Message = None,
    ) -> int:
        """Returns how many of this test's submitted tasks are in ``status`` (and held or
        completed by ``agent``) and, given an operator, checks the count.

        Reads the hub's records once (no wait).

        Args:
            status: ``queued``, ``assigned``, ``completed`` or ``dead_letter``; left out:
                every submitted task.
            agent: short name of an agent: only the tasks it holds or completed (the
                latest assignee).
            assertion_operator: ``==``, ``>=``, ``<``, ... (see `AssertionOperator`); left
                out: only return the count.
            assertion_expected: the count to compare with.
            message: a failure message to use instead of the default.

        Returns:
            The count.

        Example:
        | `Get Task Count` | completed | | == | 10 |
        | `Get Task Count` | completed | agent=worker-1 | >= | 1 |
        """
        agent_id = self.agent(agent).agent_id if agent else None
        records = [t for t in self.ctx.tasks(self.ctx.test.submitted).values() if t]
        count = sum(
            1
            for task in records
            if (status is None or task.status == status)
            and (agent_id is None or task.last_assignee == agent_id)
        )
        what = " ".join(
            part
            for part in (
                "Tasks",
                status.replace("_", " ") if status else "",
                f"by '{agent}'" if agent else "",
            )
            if part
        )
        return verify_assertion(count, assertion_operator, assertion_expected, what, message)

    def _task(self, task_id: str) -> TaskRecord:
        task = self.ctx.tasks([task_id]).get(task_id)
        if task is None:
            raise AgentComAssertion(f"Task {task_id}: the hub has no such task (404).")
        return task


def _as_type_of(value: Any, expected: Any) -> Any:
    """``expected`` (a string from Robot) as the type of ``value``: numbers as numbers,
    ``None``/``null`` as None, ``True``/``False`` as booleans; other values as given."""
    if not isinstance(expected, str):
        return expected
    text = expected.strip()
    if value is None and text.lower() in ("none", "null", ""):
        return None
    if isinstance(value, bool):
        return {"true": True, "false": False}.get(text.lower(), expected)
    if isinstance(value, int | float):
        try:
            return type(value)(text)
        except ValueError:
            return expected
    return expected
