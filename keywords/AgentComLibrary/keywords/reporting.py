"""Reporting keywords: the per-test summary section of the log."""

from __future__ import annotations

from robotlibcore import keyword

from ..report.summary import render_test_summary
from ..util.timeutil import now_ms
from .base import LibraryComponent


class ReportingKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def log_test_summary(self) -> None:
        """Logs the summary of this test's tasks: a table and charts of status, agent,
        latency and history (HTML). The lifecycle chart runs to the moment it is called (the
        end of the test, when a teardown calls it) and marks what was still open then. Does
        nothing when the test submitted no task or no
        session is open, so a test teardown can always call it.

        Example:
        | [Teardown] | `Log Test Summary` |
        """
        session = self.ctx.session
        submitted = self.ctx.test.submitted
        if session is None or not submitted:
            return
        ended = now_ms()
        tasks = [t for t in (session.client.find_task(i) for i in submitted) if t is not None]
        self.ctx.test.final_tasks = tasks  # the run's metrics.json reads them (report/metrics)
        summary = render_test_summary(
            tasks, self.ctx.agent_names(), self.ctx.agent_completions(), until_ms=ended
        )
        self.info(summary, html=True)
