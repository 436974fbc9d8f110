"""The tests of the suites and the clause tags they carry, read with ``robot.api`` (the
files are parsed, nothing runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from robot.api import TestSuiteBuilder

from .clauses import TAG_PREFIX


@dataclass(frozen=True)
class TaggedTest:
    """One test: Robot's full name, its file, its tags and the clause ids it names."""

    full_name: str
    name: str
    source: str
    tags: tuple[str, ...]
    clause_ids: tuple[str, ...] = field(default=())


def clause_ids(tags: object) -> tuple[str, ...]:
    """The clause ids named by ``contract:<id>`` tags, in tag order."""
    return tuple(
        str(tag)[len(TAG_PREFIX) :].strip()
        for tag in tags  # type: ignore[attr-defined]
        if str(tag).lower().startswith(TAG_PREFIX)
    )


def scan(suites: Path) -> list[TaggedTest]:
    """Every test under ``suites`` (a directory or one file), in run order."""
    suite = TestSuiteBuilder(included_extensions=("robot",)).build(str(suites))
    root = suites if suites.is_dir() else suites.parent
    found: list[TaggedTest] = []
    for test in suite.all_tests:
        source = Path(str(test.source)) if test.source else root
        try:
            shown = str(source.relative_to(root.parent))
        except ValueError:
            shown = str(source)
        found.append(
            TaggedTest(
                full_name=test.full_name,
                name=test.name,
                source=shown,
                tags=tuple(str(t) for t in test.tags),
                clause_ids=clause_ids(test.tags),
            )
        )
    return found
