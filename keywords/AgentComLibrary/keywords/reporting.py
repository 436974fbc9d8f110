"""Reporting keywords: the per-test summary section of the log."""

from __future__ import annotations

from robotlibcore import keyword

from ..report.summary import render_test_summary
from .base import LibraryComponent


class ReportingKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def log_test_summary(self) -> None:
        """Logs the summary of this test's tasks: a table and charts of status, agent,
        latency and history (HTML). Does nothing when the test submitted no task or no
        session is open, so a test teardown can always call it.

        Example:
        | [Teardown] | `Log Test Summary` |
        """
        session = self.ctx.session
        submitted = self.ctx.test.submitted
        if session is None or not submitted:
            return
        tasks = [t for t in self.ctx.tasks(submitted).values() if t is not None]
        self.info(
            render_test_summary(tasks, self.ctx.agent_names(), self.ctx.agent_completions()),
            html=True,
        )
