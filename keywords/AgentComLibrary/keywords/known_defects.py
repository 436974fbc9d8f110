"""Keywords of the known defects: load the user's file at the start of the run, and in
each test's teardown tag a failure the known defects explain (docs/known-defects.md)."""

from __future__ import annotations

from pathlib import Path

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn
from robotlibcore import keyword

from ..defects import catalog
from ..defects.judge import failure_of, judge
from ..defects.run import Judged, reported_version
from ..listener import record
from ..report.defects_panel import render_judgement
from .base import LibraryComponent


class KnownDefectKeywords(LibraryComponent):
    @keyword(tags=["Report"])
    def load_known_defects(self, path: str = "", hub_version: str = "") -> int:
        """Reads the known-defects file at ``path`` (TOML, see docs/known-defects.md) for
        the rest of the run and returns how many defects it lists; an empty ``path`` does
        nothing (returns 0), a file the run already read is not read again. Any mistake in
        the file fails with one message naming the file, the entry and the problem: bad
        TOML, an unknown key, a missing ``id`` or ``title``, an unknown contract rule, a bad
        regular expression.

        ``hub_version`` (the suite's ``${HUB_VERSION}``) is what the defects' ``versions``
        are matched against; left empty, the version the hub reports is used if it reports
        one, else version-scoped defects still apply and the report says that the version
        was not given.

        Args:
            path: the file, relative to the directory Robot runs in; the suite's
                ``${KNOWN_DEFECTS}``.
            hub_version: the version of the hub under test, e.g. ``64c38d0``.

        Example:
        | `Load Known Defects` | known-defects/agentcom-64c38d0.toml | hub_version=64c38d0 |
        """
        run = record().defects
        if not path:
            return 0
        if run.catalog is not None and run.catalog.path == str(Path(path)):
            return len(run.catalog.defects)  # the run's set-up read it; a suite asks again
        loaded = catalog.load(path)
        run.catalog = loaded
        if hub_version:
            run.version, run.version_source = hub_version, "HUB_VERSION"
        ids = ", ".join(d.id for d in loaded.defects) or "none"
        self.info(f"Known defects from {Path(path)}: {ids}.")
        return len(loaded.defects)

    @keyword(tags=["Report"])
    def tag_known_defects(self) -> None:
        """In a test's teardown, after `Contract Should Hold`: when every part of the
        test's failure (each broken contract rule, each other failure message) matches a
        known defect of `Load Known Defects`, tags the test ``known-defect`` and
        ``defect:<ID>``, so that Robot's ``--skiponfailure known-defect`` (robot.args) turns
        it into SKIP; a failure with a new part gets only the ``defect:<ID>`` tags and stays
        FAIL. Logs which defect explains which part. Does nothing when no file was loaded,
        or when the test passed or was skipped.

        Robot reads tags for ``--skiponfailure`` after the teardown, so tags set here count
        (tags a listener sets at the end of the test do not). The library's listener then
        judges the whole message once more and says in it which defect explains the
        failure, or which part is new.

        Example:
        | [Teardown] | `Tag Known Defects` |
        """
        run = record().defects
        if not run.active or run.catalog is None:
            return
        builtin = BuiltIn()
        status = builtin.get_variable_value("${TEST STATUS}")
        if status == "SKIP":
            return
        body = str(builtin.get_variable_value("${TEST MESSAGE}") or "") if status == "FAIL" else ""
        failure = failure_of([body] if body else [], self.ctx.test.verdict.get("broken_rules", []))
        if not failure.rules and not failure.messages:
            return
        session = self.ctx.session
        reported = reported_version(record().sessions, session.url) if session else ""
        tags = [str(t) for t in builtin.get_variable_value("@{TEST TAGS}") or []]
        judgement = judge(run.catalog, failure, tags, run.version_for(reported))
        run.judged[self.ctx.test.name] = Judged(judgement, body)
        if judgement.matched:
            builtin.set_tags(*judgement.tags)
        logger.info(render_judgement(judgement, run.catalog.path), html=True)
