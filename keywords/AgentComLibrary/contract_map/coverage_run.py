"""The coverage page's part of a run: where the project's clause file and suites are, the
status of each test that ran, and at the end the page and the metadata line.

Robot-free; the library's listener feeds it (``listener.py``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from . import page
from .clauses import CLAUSES_FILE, Clause, load, project_root
from .scan import TaggedTest, scan

PABOT_NOTE = (
    "parallel run: each process wrote its part; the merged matrix is "
    f"[{page.HTML_NAME}|{page.HTML_NAME}] (written after the run by `make smoke JOBS=N`)"
)


class CoverageRun:
    """Test statuses of one run, keyed by suite file (relative to the project) and name."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.suites: Path | None = None
        self.statuses: dict[str, str] = {}
        self._read: Future[tuple[list[Clause], list[TaggedTest]]] | None = None

    def locate(self, top_source: Path | None) -> None:
        """Find the project from the top suite's source (the suites directory, a file in
        it, or a file elsewhere: then there is no page)."""
        if top_source is None:
            return
        source = top_source.resolve()
        folder = source if source.is_dir() else source.parent
        root = project_root(folder)
        if root is not None and (root / "suites").is_dir():
            self.root, self.suites = root, root / "suites"
            self._read = _in_background(self._clauses_and_tests)

    def _clauses_and_tests(self) -> tuple[list[Clause], list[TaggedTest]]:
        assert self.root is not None and self.suites is not None
        return load(self.root / CLAUSES_FILE), scan(self.suites)

    def note(self, source: object, name: str, status: str) -> None:
        """Remember a finished test's status."""
        if self.root is None or not source:
            return
        path = Path(str(source)).resolve()
        try:
            shown = str(path.relative_to(self.root))
        except ValueError:
            return
        self.statuses[page.test_key(shown, name)] = status

    def finish(self, output_dir: Path | None, parallel: bool = False) -> str:
        """Write the page and its JSON into ``output_dir``; the metadata text ('' when
        this run has no clause file or no output directory)."""
        if self.root is None or output_dir is None:
            return ""
        read = self._read or _in_background(self._clauses_and_tests)
        clauses, tests = read.result()  # a parse error is raised here, as before
        table = page.write(output_dir, clauses, tests, self.statuses)
        return PABOT_NOTE if parallel else page.metadata_text(table)


def _in_background(
    read: Callable[[], tuple[list[Clause], list[TaggedTest]]],
) -> Future[tuple[list[Clause], list[TaggedTest]]]:
    """Run ``read`` on a thread of its own: parsing every suite takes about 0.15 s of a
    run, which it then shares with the tests' waits on the hub instead of adding to the
    end of the run."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contract-coverage-scan")
    try:
        return pool.submit(read)
    finally:
        pool.shutdown(wait=False)
