"""The coverage check: every clause is tagged on a test or listed as deliberately untested
with a reason; every ``contract:<id>`` tag names a known clause; no clause marked untested
is tagged. ``python -m AgentComLibrary.contract_map.check [ROOT]`` (tools/check_coverage.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .clauses import CLAUSES_FILE, Clause, ClauseFileError, load
from .scan import TaggedTest, scan


@dataclass
class CoverageProblems:
    """What is wrong with the map: each list holds one line per problem."""

    uncovered: list[str] = field(default_factory=list)
    unknown_tags: list[str] = field(default_factory=list)
    untested_but_tagged: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.uncovered or self.unknown_tags or self.untested_but_tagged)

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.uncovered:
            out.append(
                "Clauses with no test and no `untested` reason "
                "(tag a test `contract:<id>` or give the reason in the clause file):"
            )
            out += [f"  - {line}" for line in self.uncovered]
        if self.unknown_tags:
            out.append("Tags naming no clause of the clause file (a typo, or a clause to add):")
            out += [f"  - {line}" for line in self.unknown_tags]
        if self.untested_but_tagged:
            out.append(
                "Clauses marked untested that tests do exercise (remove `untested`, or the tag):"
            )
            out += [f"  - {line}" for line in self.untested_but_tagged]
        return out


def covering(clauses: Sequence[Clause], tests: Sequence[TaggedTest]) -> dict[str, list[TaggedTest]]:
    """Clause id -> the tests tagged with it, in run order (every clause has an entry)."""
    by_clause: dict[str, list[TaggedTest]] = {c.id: [] for c in clauses}
    for test in tests:
        for clause_id in dict.fromkeys(test.clause_ids):
            if clause_id in by_clause:
                by_clause[clause_id].append(test)
    return by_clause


def problems(clauses: Sequence[Clause], tests: Sequence[TaggedTest]) -> CoverageProblems:
    """Everything the check complains about."""
    found = CoverageProblems()
    known = {c.id for c in clauses}
    by_clause = covering(clauses, tests)
    for clause in clauses:
        tagged = by_clause[clause.id]
        if not tagged and not clause.untested:
            found.uncovered.append(f"{clause.id} ({clause.section}): {clause.statement}")
        if tagged and clause.untested:
            names = ", ".join(t.name for t in tagged)
            found.untested_but_tagged.append(f"{clause.id}: tagged on {names}")
    for test in tests:
        for clause_id in test.clause_ids:
            if clause_id not in known:
                found.unknown_tags.append(f"contract:{clause_id} on '{test.name}' ({test.source})")
    return found


def check(root: Path) -> tuple[CoverageProblems, list[Clause], list[TaggedTest]]:
    """Read ROOT's clause file and suites/, and judge them."""
    clauses = load(root / CLAUSES_FILE)
    tests = scan(root / "suites")
    return problems(clauses, tests), clauses, tests


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else Path.cwd()
    try:
        found, clauses, tests = check(root)
    except ClauseFileError as error:
        print(f"Contract coverage check: {error}", file=sys.stderr)
        return 1
    if not found.ok:
        print("Contract coverage check failed:", file=sys.stderr)
        for line in found.lines():
            print(line, file=sys.stderr)
        return 1
    untested = sum(1 for c in clauses if c.untested)
    tagged = sum(1 for t in tests if t.clause_ids)
    print(
        f"Contract coverage: {len(clauses)} clauses, {len(clauses) - untested} covered by "
        f"{tagged} tests, {untested} deliberately untested "
        f"({CLAUSES_FILE}, docs/contract-coverage.md)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
