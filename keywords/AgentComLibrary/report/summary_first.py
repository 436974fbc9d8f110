"""Result modifier that shows each test's summary before its keywords in log.html.

The library logs the summary in the test teardown (only then are all of the test's tasks
final). Use as ``--prerebotmodifier AgentComLibrary.report.summary_first.SummaryFirst`` with
``robot`` or ``rebot``: messages that start with ``SUMMARY_MARKER`` anywhere inside a test's
teardown are moved to the top of the test body, where log.html renders them above the
keyword tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from robot.api import ResultVisitor

from ..report.summary import SUMMARY_MARKER


def _marked_messages(item: Any, marker: str) -> Iterator[Any]:
    """Messages starting with ``marker`` anywhere below ``item`` (nested keywords, loops,
    branches, keyword teardowns), in log order."""
    if getattr(item, "has_setup", False):
        yield from _marked_messages(item.setup, marker)
    for child in getattr(item, "body", ()):
        if getattr(child, "type", None) == "MESSAGE":
            if str(getattr(child, "message", "")).startswith(marker):
                yield child
        else:
            yield from _marked_messages(child, marker)
    if getattr(item, "has_teardown", False):
        yield from _marked_messages(item.teardown, marker)


class SummaryFirst(ResultVisitor):
    """Move marked summary messages from a test's teardown to the top of its body."""

    def __init__(self, marker: str = SUMMARY_MARKER) -> None:
        self.marker = marker
        self.moved = 0

    def visit_test(self, test: Any) -> None:
        """Handle one test; its keywords need no visiting."""
        if not test.has_teardown:
            return
        found = list(_marked_messages(test.teardown, self.marker))
        for position, message in enumerate(found):
            message.parent.body.remove(message)
            test.body.create_message(
                message=message.message,
                level=message.level,
                html=message.html,
                timestamp=message.timestamp,
            )
            test.body.insert(position, test.body.pop())
            self.moved += 1
