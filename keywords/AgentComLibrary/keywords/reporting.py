"""Reporting keywords: the per-test summary section of the log."""

from __future__ import annotations

from robotlibcore import keyword

from ..report.probes_panel import render_probes_panel
from ..report.summary import render_test_summary
from ..util.timeutil import now_ms
from .base import LibraryComponent


class ReportingKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def log_test_summary(self) -> None:
        """Logs the summary of this test's tasks: a table and charts of status, agent,
        latency and history (HTML). The lifecycle chart runs to the moment it is called (the
        end of the test, when a teardown calls it) and marks what was still open then. A
        test that used the contract keywords (probes, `Request Should Be Refused`) gets
        the table of its checks first (sent, expected, got), and its tasks without charts.
        Logs no task summary when the test submitted no task or no
        session is open, so a test teardown can always call it.

        Example:
        | [Teardown] | `Log Test Summary` |
        """
        session = self.ctx.session
        submitted = self.ctx.test.submitted
        checks = self.ctx.test.probe_checks
        if checks:
            self.info(render_probes_panel(checks), html=True)
        if session is None or not submitted:
            return
        ended = now_ms()
        tasks = self.ctx.submitted_tasks()
        self.ctx.test.final_tasks = tasks  # the run's metrics.json reads them (report/metrics)
        summary = render_test_summary(
            tasks,
            self.ctx.agent_names(),
            self.ctx.agent_completions(),
            until_ms=ended,
            title="Tasks of this test (besides its contract checks)" if checks else "Task summary",
            charts=not checks,
        )
        self.info(summary, html=True)
