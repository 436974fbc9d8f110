"""Check (or rewrite) every list of the checker's rules and of the hub's faults against its source.

Usage: python tools/check_rule_docs.py [--write] [PROJECT_ROOT]

``RULES`` (keywords/AgentComLibrary/checker/rules.py) is the one source. Three places list
the rules for a reader:

- docs/checker.md: the table between ``<!-- rules: ... -->`` and ``<!-- /rules -->``, one
  row per rule with its ``forbids`` text (generated: ``--write`` rewrites it),
- the `Contract Should Hold` docstring: the table under ``| =Rule= | =What holds= |``, one
  row per rule with its ``summary`` (generated: ``--write`` rewrites it in the source; then
  run `make docs`, the committed libspec must match),
- docs/contract-rules.md: the first column of its table (hand-written: each rule judged
  against the real hub), which must name every rule once, in the order of ``RULES``.

hub/agentcom_hub/faults.toml (read by faults.py into ``DECLARED``) is the one source of the
hub's faults: what each breaks, its contract clauses and the rule that must name it (or what
catches it instead). docs/fault-matrix.md's table between ``<!-- faults: ... -->`` and
``<!-- /faults -->`` is generated from it (``--write``).

Exits 1 naming each rule or fault that is missing, extra, listed twice, out of order or
described differently, and where.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKER_MD = Path("docs/checker.md")
CONTRACT_RULES_MD = Path("docs/contract-rules.md")
KEYWORD = "contract_should_hold"
BEGIN = "<!-- rules: generated from RULES by tools/check_rule_docs.py --write; edit them there -->"
END = "<!-- /rules -->"
MD_HEADER = ("| rule | what the hub must not do |", "|---|---|")
DOC_HEADER = "| =Rule= | =What holds= |"
MD_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|\s*$")
DOC_ROW = re.compile(r"^\|\s*``([^`]+)``\s*\|\s*(.*?)\s*\|\s*$")
FIRST_CELL = re.compile(r"^\|\s*`([^`]+)`\s*\|")
FAULT_MATRIX_MD = Path("docs/fault-matrix.md")
FAULTS_BEGIN = (
    "<!-- faults: generated from hub/agentcom_hub/faults.toml by "
    "tools/check_rule_docs.py --write; edit them there -->"
)
FAULTS_END = "<!-- /faults -->"
FAULTS_HEADER = ("| fault | what breaks | contract clauses | caught by |", "|---|---|---|---|")
WRITE_HINT = "run `tools/check_rule_docs.py --write`"


@dataclass(frozen=True)
class RuleText:
    """What the docs say of one rule."""

    name: str
    summary: str
    forbids: str


def project_rules() -> list[RuleText]:
    """The rules of ``RULES``, in order."""
    from AgentComLibrary.checker.rules import RULES

    return [RuleText(r.name, r.summary, r.forbids) for r in RULES]


def compare(
    where: str,
    expected: Sequence[tuple[str, str | None]],
    found: Sequence[tuple[str, str]],
    kind: str = "rule",
    source: str = "RULES",
) -> list[str]:
    """Problems of a list of (name, text) against the expected one (text None: not
    compared); ``kind`` names an item (rule, fault), ``source`` the list it comes from."""
    problems = []
    want = dict(expected)
    names = [name for name, _ in found]
    for name in dict.fromkeys(n for n in names if names.count(n) > 1):
        problems.append(f"{where}: {kind} '{name}' is listed {names.count(name)} times")
    for name, _ in expected:
        if name not in names:
            problems.append(f"{where}: {kind} '{name}' is missing (it is in {source})")
    for name in dict.fromkeys(names):
        if name not in want:
            problems.append(f"{where}: {kind} '{name}' is not in {source}")
    for name, text in dict(found).items():
        if want.get(name) is not None and text != want[name]:
            problems.append(
                f"{where}: {kind} '{name}' is described differently: {source} says "
                f"{want[name]!r}, {where} says {text!r}"
            )
    common = [n for n in dict.fromkeys(names) if n in want]
    in_order = [n for n, _ in expected if n in common]
    if common != in_order:
        problems.append(
            f"{where}: {kind}s out of order: {source} has {', '.join(in_order)}; "
            f"{where} has {', '.join(common)}"
        )
    return problems


# -- docs/checker.md: a generated block ----------------------------------------------------------


def checker_md_block(rules: Sequence[RuleText]) -> str:
    """The generated table of docs/checker.md, markers included."""
    rows = [f"| `{r.name}` | {r.forbids} |" for r in rules]
    return "\n".join([BEGIN, *MD_HEADER, *rows, END])


def _block_span(text: str, begin: str = BEGIN, end_marker: str = END) -> tuple[int, int] | None:
    start, end = text.find(begin), text.find(end_marker)
    if start < 0 or end < start:
        return None
    return start, end + len(end_marker)


def checker_md_problems(
    text: str, rules: Sequence[RuleText], where: str = str(CHECKER_MD)
) -> list[str]:
    span = _block_span(text)
    if span is None:
        return [f"{where}: no rule table between '{BEGIN}' and '{END}' ({WRITE_HINT})"]
    rows = [m.groups() for m in map(MD_ROW.match, text[span[0] : span[1]].splitlines()) if m]
    found = compare(where, [(r.name, r.forbids) for r in rules], rows)
    return [f"{p} ({WRITE_HINT})" for p in found]


def write_checker_md(text: str, rules: Sequence[RuleText]) -> str:
    span = _block_span(text)
    if span is None:
        raise SystemExit(
            f"{CHECKER_MD}: add the markers '{BEGIN}' and '{END}' where the table goes"
        )
    return text[: span[0]] + checker_md_block(rules) + text[span[1] :]


# -- docs/fault-matrix.md: the faults, a generated block ------------------------------------------


def fault_rows() -> list[tuple[str, str]]:
    """(fault, the rest of its row) for each declared hub fault, in ``Fault`` order."""
    from agentcom_hub.faults import DECLARED, Fault

    rows = []
    for fault in Fault:
        declared = DECLARED[fault]
        clauses = ", ".join(declared.clauses) or "-"
        caught = f"contract rule **`{declared.rule}`**" if declared.rule else declared.caught_by
        rows.append((fault.value, f"{declared.meaning} | {clauses} | {caught}"))
    return rows


def faults_md_block(rows: Sequence[tuple[str, str]]) -> str:
    return "\n".join(
        [FAULTS_BEGIN, *FAULTS_HEADER, *(f"| `{n}` | {t} |" for n, t in rows), FAULTS_END]
    )


def faults_md_problems(
    text: str, rows: Sequence[tuple[str, str]], where: str = str(FAULT_MATRIX_MD)
) -> list[str]:
    span = _block_span(text, FAULTS_BEGIN, FAULTS_END)
    if span is None:
        return [
            f"{where}: no fault table between '{FAULTS_BEGIN}' and '{FAULTS_END}' ({WRITE_HINT})"
        ]
    found_rows = [m.groups() for m in map(MD_ROW.match, text[span[0] : span[1]].splitlines()) if m]
    found = compare(where, rows, found_rows, kind="fault", source="faults.toml")
    return [f"{p} ({WRITE_HINT})" for p in found]


def write_faults_md(text: str, rows: Sequence[tuple[str, str]]) -> str:
    span = _block_span(text, FAULTS_BEGIN, FAULTS_END)
    if span is None:
        raise SystemExit(
            f"{FAULT_MATRIX_MD}: add the markers '{FAULTS_BEGIN}' and '{FAULTS_END}' "
            "where the table goes"
        )
    return text[: span[0]] + faults_md_block(rows) + text[span[1] :]


# -- the Contract Should Hold docstring: a generated table ----------------------------------------


def keyword_function() -> Callable[..., object]:
    """The `Contract Should Hold` method, wherever its keyword module lives."""
    import AgentComLibrary.keywords as package

    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            function = cls.__dict__.get(KEYWORD)
            if function is not None:
                return function
    raise SystemExit(f"no keyword method {KEYWORD} in AgentComLibrary.keywords")


def docstring_rows(doc: str) -> list[tuple[str, str]] | None:
    """The rows of the rule table of a docstring; None without the table's header."""
    lines = [line.strip() for line in doc.splitlines()]
    if DOC_HEADER not in lines:
        return None
    rows = []
    for line in lines[lines.index(DOC_HEADER) + 1 :]:
        if not line.startswith("|"):
            break
        match = DOC_ROW.match(line)
        rows.append(match.groups() if match else (line, ""))
    return rows


def docstring_problems(doc: str, rules: Sequence[RuleText], where: str) -> list[str]:
    rows = docstring_rows(doc)
    if rows is None:
        return [f"{where}: no rule table under '{DOC_HEADER}' ({WRITE_HINT})"]
    found = compare(where, [(r.name, r.summary) for r in rules], rows)
    return [f"{p} ({WRITE_HINT}, then `make docs`)" for p in found]


def write_docstring(source: str, first_line: int, rules: Sequence[RuleText]) -> str:
    """``source`` with the rows under the docstring's table header (searched from line
    ``first_line``, 1-based) replaced by one row per rule."""
    lines = source.splitlines(keepends=True)
    for index in range(first_line - 1, len(lines)):
        if lines[index].strip() == DOC_HEADER:
            break
    else:
        raise SystemExit(f"add the line '{DOC_HEADER}' to the docstring of {KEYWORD}")
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    end = index + 1
    while end < len(lines) and lines[end].strip().startswith("|"):
        end += 1
    rows = [f"{indent}| ``{r.name}`` | {r.summary} |\n" for r in rules]
    return "".join(lines[: index + 1] + rows + lines[end:])


# -- docs/contract-rules.md: hand-written, names checked ---------------------------------------


def contract_rules_problems(
    text: str, rules: Sequence[RuleText], where: str = str(CONTRACT_RULES_MD)
) -> list[str]:
    rows = [(m.group(1), "") for m in map(FIRST_CELL.match, text.splitlines()) if m]
    found = compare(where, [(r.name, None) for r in rules], rows)
    return [f"{p} (it is written by hand: each rule judged against the real hub)" for p in found]


def problems(root: Path, rules: Sequence[RuleText], doc: str, doc_where: str) -> list[str]:
    return [
        *checker_md_problems((root / CHECKER_MD).read_text(encoding="utf-8"), rules),
        *docstring_problems(doc, rules, doc_where),
        *contract_rules_problems((root / CONTRACT_RULES_MD).read_text(encoding="utf-8"), rules),
        *faults_md_problems((root / FAULT_MATRIX_MD).read_text(encoding="utf-8"), fault_rows()),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated tables")
    parser.add_argument("root", nargs="?", default=str(ROOT))
    args = parser.parse_args(argv)
    root = Path(args.root)
    rules = project_rules()
    function = keyword_function()
    source_file = Path(inspect.getsourcefile(function) or "")
    doc_where = f"`Contract Should Hold` ({source_file.name})"
    if args.write:
        md = root / CHECKER_MD
        md.write_text(write_checker_md(md.read_text(encoding="utf-8"), rules), encoding="utf-8")
        fm = root / FAULT_MATRIX_MD
        fm.write_text(
            write_faults_md(fm.read_text(encoding="utf-8"), fault_rows()), encoding="utf-8"
        )
        first = inspect.getsourcelines(function)[1]
        source = source_file.read_text(encoding="utf-8")
        source_file.write_text(write_docstring(source, first, rules), encoding="utf-8")
        print(f"Rewrote the tables of {md}, {fm} and {source_file}; now run `make docs`.")
        doc = "\n".join([DOC_HEADER, *(f"| ``{r.name}`` | {r.summary} |" for r in rules)])
    else:
        doc = inspect.getdoc(function) or ""
    found = problems(root, rules, doc, doc_where)
    for line in found:
        print(line)
    if found:
        print(f"FAIL: {len(found)} problem(s) with the lists of the checker's rules and faults.")
        return 1
    print(
        f"The checker's {len(rules)} rules are listed alike in RULES and the docs, "
        f"the {len(fault_rows())} hub faults alike in faults.toml and docs/fault-matrix.md."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
