"""The coverage matrix of one run: per clause its statement, the tests that cover it and
each one's status in this run, as ``contract-coverage.html`` (self-contained, no scripts)
and ``contract-coverage.json``, plus a one-line summary for the report's metadata.

Pure functions; the library's listener calls :func:`write` at the end of the run, and
``python -m AgentComLibrary.contract_map.page merge OUTDIR IN.json...`` joins the JSON of
parallel processes (pabot) into one page.
"""

from __future__ import annotations

import html
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .check import covering
from .clauses import Clause
from .scan import TaggedTest

HTML_NAME = "contract-coverage.html"
JSON_NAME = "contract-coverage.json"
SCHEMA = "agentcom-contract-coverage/1"

# a test's status in this run: Robot's, or "NOT RUN" when the run did not include it
TEST_STATUSES = ("PASS", "FAIL", "SKIP", "NOT RUN")
# a clause's verdict, in the order the summary counts them
VERDICTS = ("passed", "failed", "skipped", "not run", "untested")
# (text, background) of each verdict; a test's status has the colours of its verdict
VERDICT_COLOURS = (
    ("#1a7f37", "#dafbe1"), ("#82071e", "#ffebe9"), ("#7d4e00", "#fff8c5"),
    ("#57606a", "#eaeef2"), ("#0550ae", "#ddf4ff"),
)  # fmt: skip
COLOURS = {
    **dict(zip(VERDICTS, VERDICT_COLOURS, strict=True)),
    **dict(zip(TEST_STATUSES, VERDICT_COLOURS[: len(TEST_STATUSES)], strict=True)),
}


def test_key(source: str, name: str) -> str:
    """How a test is matched between the parsed suites and a run: file and name."""
    return f"{source}::{name}"


@dataclass(frozen=True)
class ClauseRow:
    """One clause with its covering tests and their statuses in this run."""

    clause: Clause
    tests: tuple[tuple[TaggedTest, str], ...]

    @property
    def verdict(self) -> str:
        if self.clause.untested:
            return "untested"
        statuses = {status for _, status in self.tests}
        if "FAIL" in statuses:
            return "failed"
        if "PASS" in statuses:
            return "passed"
        if "SKIP" in statuses:
            return "skipped"
        return "not run"


def rows(
    clauses: Sequence[Clause], tests: Sequence[TaggedTest], statuses: Mapping[str, str]
) -> list[ClauseRow]:
    """Every clause with its tests; ``statuses`` maps :func:`test_key` to PASS/FAIL/SKIP."""
    by_clause = covering(clauses, tests)
    return [
        ClauseRow(
            clause,
            tuple(
                (t, statuses.get(test_key(t.source, t.name), "NOT RUN"))
                for t in by_clause[clause.id]
            ),
        )
        for clause in clauses
    ]


def counts(table: Sequence[ClauseRow]) -> dict[str, int]:
    found = Counter(row.verdict for row in table)
    return {"clauses": len(table), **{v: found.get(v, 0) for v in VERDICTS}}


def summary_text(table: Sequence[ClauseRow]) -> str:
    """``83 clauses: 70 covered and passed, 1 failed, 5 skipped, 2 not run, 5 deliberately
    untested``."""
    n = counts(table)
    return (
        f"{n['clauses']} clauses: {n['passed']} covered and passed, {n['failed']} failed, "
        f"{n['skipped']} skipped, {n['not run']} not run, {n['untested']} deliberately untested"
    )


def metadata_text(table: Sequence[ClauseRow]) -> str:
    """The report's metadata value: the summary and a link to the page."""
    return f"{summary_text(table)}: [{HTML_NAME}|the clause-by-clause matrix]"


def document(
    clauses: Sequence[Clause], tests: Sequence[TaggedTest], statuses: Mapping[str, str]
) -> dict[str, Any]:
    """The JSON form: the clause list, every tagged test and the statuses of this run
    (enough to merge the files of parallel processes)."""
    table = rows(clauses, tests, statuses)
    return {
        "schema": SCHEMA,
        "summary": counts(table),
        "clauses": [
            {
                "id": row.clause.id,
                "section": row.clause.section,
                "statement": row.clause.statement,
                "untested": row.clause.untested,
                "verdict": row.verdict,
                "tests": [
                    {"name": t.name, "source": t.source, "status": status}
                    for t, status in row.tests
                ],
            }
            for row in table
        ],
        "tests": [
            {"name": t.name, "source": t.source, "full_name": t.full_name, "tags": list(t.tags)}
            for t in tests
            if t.clause_ids
        ],
        "statuses": dict(sorted(statuses.items())),
    }


def _badge(text: str) -> str:
    fg, bg = COLOURS.get(text, ("#1f2328", "#fff"))
    return (
        f'<span style="color:{fg};background:{bg};border-radius:3px;padding:0 5px;'
        f'font-size:11px;font-weight:600;white-space:nowrap">{html.escape(text)}</span>'
    )


def render_html(table: Sequence[ClauseRow], title: str = "AgentCom contract coverage") -> str:
    """The page: a summary, then one table row per clause, grouped by protocol section."""
    esc = html.escape
    n = counts(table)
    summary = " &middot; ".join(f"{_badge(v)} {n[v]}" for v in VERDICTS)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:Helvetica,Arial,sans-serif;font-size:13px;color:#1f2328;"
        "margin:16px;max-width:1200px}table{border-collapse:collapse;width:100%}"
        "th{text-align:left;background:#f6f8fa;color:#57606a;padding:4px 8px;"
        "border-bottom:1px solid #d0d7de}td{padding:4px 8px;border-top:1px solid #eaeef2;"
        "vertical-align:top}h2{font-size:15px;margin:18px 0 6px}code{font-size:12px}"
        ".note{color:#57606a;font-size:12px}</style></head><body>",
        f"<h1 style='font-size:18px'>{esc(title)}</h1>",
        f"<p><b>{esc(summary_text(table))}</b></p>",
        f"<p>{summary}</p>",
        "<p class='note'>Each clause of the wire contract (docs/contract/clauses.toml) with the "
        "tests tagged <code>contract:&lt;id&gt;</code> and their status in this run. "
        "<b>passed</b>: a covering test passed and none failed; <b>failed</b>: a covering test "
        "failed; <b>skipped</b>: its tests were skipped (they need what this run did not "
        "have); <b>not run</b>: no covering test was part of this run; <b>untested</b>: "
        "deliberately not tested, for the reason given. See docs/contract-coverage.md.</p>",
    ]
    section = None
    for row in table:
        if row.clause.section != section:
            if section is not None:
                out.append("</table>")
            section = row.clause.section
            out.append(f"<h2>{esc(section)}</h2>")
            out.append(
                "<table><tr><th style='width:16%'>clause</th><th style='width:38%'>statement"
                "</th><th style='width:8%'>verdict</th><th>tests (status in this run)</th></tr>"
            )
        if row.clause.untested:
            tests_cell = f"<span class='note'>untested: {esc(row.clause.untested)}</span>"
        elif row.tests:
            tests_cell = "<br>".join(
                f"{_badge(status)} {esc(t.name)} <span class='note'>({esc(t.source)})</span>"
                for t, status in row.tests
            )
        else:
            tests_cell = "<span class='note'>no test</span>"
        out.append(
            f"<tr id='{esc(row.clause.id)}'><td><code>{esc(row.clause.id)}</code></td>"
            f"<td>{esc(row.clause.statement)}</td><td>{_badge(row.verdict)}</td>"
            f"<td>{tests_cell}</td></tr>"
        )
    if section is not None:
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write(
    outdir: Path,
    clauses: Sequence[Clause],
    tests: Sequence[TaggedTest],
    statuses: Mapping[str, str],
) -> list[ClauseRow]:
    """Write the page and its JSON into ``outdir``; returns the rows (for the summary)."""
    table = rows(clauses, tests, statuses)
    _atomic_write(outdir / HTML_NAME, render_html(table))
    _atomic_write(
        outdir / JSON_NAME, json.dumps(document(clauses, tests, statuses), indent=1) + "\n"
    )
    return table


def from_document(data: Mapping[str, Any]) -> tuple[list[Clause], list[TaggedTest]]:
    """The clauses and tagged tests a JSON document was written from."""
    clauses = [
        Clause(c["id"], c["section"], c["statement"], c.get("untested", ""))
        for c in data["clauses"]
    ]
    from .scan import clause_ids

    tests = [
        TaggedTest(t["full_name"], t["name"], t["source"], tuple(t["tags"]), clause_ids(t["tags"]))
        for t in data["tests"]
    ]
    return clauses, tests


def merge(outdir: Path, documents: Sequence[Mapping[str, Any]]) -> list[ClauseRow]:
    """One page from the JSON of parallel processes: a test's status is the one process
    that ran it (a FAIL wins over anything, then PASS, then SKIP)."""
    if not documents:
        raise ValueError("no contract coverage documents to merge")
    clauses, tests = from_document(documents[0])
    rank = {"FAIL": 3, "PASS": 2, "SKIP": 1}
    statuses: dict[str, str] = {}
    for data in documents:
        for key, status in data.get("statuses", {}).items():
            if rank.get(status, 0) > rank.get(statuses.get(key, ""), 0):
                statuses[key] = status
    return write(outdir, clauses, tests, statuses)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m AgentComLibrary.contract_map.page merge OUTDIR IN.json...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[0] != "merge":
        print("usage: python -m AgentComLibrary.contract_map.page merge OUTDIR IN.json...")
        return 2
    documents = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args[2:]]
    table = merge(Path(args[1]), documents)
    print(f"Contract coverage: {summary_text(table)} ({Path(args[1]) / HTML_NAME})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
