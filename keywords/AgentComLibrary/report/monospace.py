"""Result modifier that shows failure messages holding a plain-text table (task tables,
listings) in a monospace font in log.html, where Robot's proportional font would misalign
their columns: the test's message, the failing keyword's message and its FAIL line.

Use as ``--prerebotmodifier AgentComLibrary.report.monospace.MonospaceTables`` (robot.args
does). The same result also feeds ``--xunit`` files, where HTML would show as markup: when
the command line (or an argument file on it) asks for one, test messages stay plain text.
output.xml and the console always keep the plain text.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robot.api import ResultVisitor

HTML_PREFIX = "*HTML*"
# the rule under a table's header, as util.formatting.table writes it: "----  -----  --"
_RULE = re.compile(r"^-{2,}(?: {2}-+)*$", re.MULTILINE)
PRE_STYLE = (
    "font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:12px;"
    "white-space:pre-wrap;margin:0"
)


def has_table(message: str) -> bool:
    return not message.startswith(HTML_PREFIX) and bool(_RULE.search(message))


def as_html(message: str) -> str:
    """The message as HTML in a monospace block (without Robot's ``*HTML*`` prefix)."""
    return f'<pre style="{PRE_STYLE}">{html.escape(message)}</pre>'


def xunit_asked(argv: Sequence[str]) -> bool:
    """Whether a robot/rebot command line (with its argument files) asks for --xunit."""
    words = list(argv)
    for index, word in enumerate(argv):
        if word in ("--argumentfile", "-A") and index + 1 < len(argv):
            try:
                text = Path(argv[index + 1]).read_text(encoding="utf-8")
            except OSError:
                continue
            words += [line.split()[0] for line in text.splitlines() if line.strip()]
    return any(w in ("--xunit", "-x") or w.startswith("--xunit=") for w in words)


class MonospaceTables(ResultVisitor):
    """Turn the failure messages with a table into monospace HTML."""

    def __init__(self, test_messages: bool | None = None) -> None:
        self.changed = 0
        self.test_messages = not xunit_asked(sys.argv) if test_messages is None else test_messages

    def visit_test(self, test: Any) -> None:
        if self.test_messages:
            test.message = self._status(test.message)
        test.body.visit(self)
        if test.has_setup:
            test.setup.visit(self)
        if test.has_teardown:
            test.teardown.visit(self)

    def start_body_item(self, item: Any) -> None:
        if hasattr(item, "message") and getattr(item, "type", "") != "MESSAGE":
            item.message = self._status(item.message)

    def visit_message(self, msg: Any) -> None:
        if msg.level == "FAIL" and not msg.html and has_table(msg.message):
            msg.message = as_html(msg.message)
            msg.html = True
            self.changed += 1

    def _status(self, message: str) -> str:
        if message and has_table(message):
            self.changed += 1
            return HTML_PREFIX + as_html(message)
        return message
