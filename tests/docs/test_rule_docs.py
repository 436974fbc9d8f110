"""tools/check_rule_docs.py: every list of the checker's rules agrees with RULES."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import check_rule_docs as rd  # noqa: E402

RULES = [
    rd.RuleText("alpha", "alpha holds", "break alpha"),
    rd.RuleText("beta", "beta holds", "break beta"),
    rd.RuleText("gamma", "gamma holds", "break gamma"),
]


def md(rows: list[str]) -> str:
    return "\n".join(["# Checker", "", rd.BEGIN, *rd.MD_HEADER, *rows, rd.END, "", "More."])


def doc(rows: list[str]) -> str:
    return "\n".join(["Judges.", "", rd.DOC_HEADER, *rows, "", "Example:", "| x |"])


GOOD_MD = ["| `alpha` | break alpha |", "| `beta` | break beta |", "| `gamma` | break gamma |"]
GOOD_DOC = [
    "| ``alpha`` | alpha holds |",
    "| ``beta`` | beta holds |",
    "| ``gamma`` | gamma holds |",
]


def test_the_project_lists_agree_with_rules() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_rule_docs.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from AgentComLibrary.checker.rules import RULES as CHECKER_RULES

    assert f"{len(CHECKER_RULES)} rules are listed alike" in proc.stdout


def test_the_keyword_table_is_found_wherever_its_module_is() -> None:
    rows = rd.docstring_rows(rd.keyword_function().__doc__ or "")
    assert rows is not None
    assert [name for name, _ in rows] == [r.name for r in rd.project_rules()]


def test_agreeing_lists_pass() -> None:
    assert rd.checker_md_problems(md(GOOD_MD), RULES) == []
    assert rd.docstring_problems(doc(GOOD_DOC), RULES, "kw") == []
    assert rd.contract_rules_problems(md(GOOD_MD), RULES) == []


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (GOOD_MD[:2], "docs/checker.md: rule 'gamma' is missing (it is in RULES)"),
        ([*GOOD_MD, "| `delta` | break delta |"], "docs/checker.md: rule 'delta' is not in RULES"),
        ([*GOOD_MD, GOOD_MD[0]], "docs/checker.md: rule 'alpha' is listed 2 times"),
        (
            [GOOD_MD[0], "| `beta` | bend beta |", GOOD_MD[2]],
            "docs/checker.md: rule 'beta' is described differently: RULES says 'break beta', "
            "docs/checker.md says 'bend beta'",
        ),
        (
            [GOOD_MD[1], GOOD_MD[0], GOOD_MD[2]],
            "docs/checker.md: rules out of order: RULES has alpha, beta, gamma; "
            "docs/checker.md has beta, alpha, gamma",
        ),
    ],
)
def test_the_checker_page_fails_naming_the_rule(rows: list[str], expected: str) -> None:
    problems = rd.checker_md_problems(md(rows), RULES)
    assert problems == [f"{expected} (run `tools/check_rule_docs.py --write`)"]


def test_a_checker_page_without_markers_fails() -> None:
    problems = rd.checker_md_problems("\n".join([*rd.MD_HEADER, *GOOD_MD]), RULES)
    assert len(problems) == 1 and "no rule table between" in problems[0]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (GOOD_DOC[1:], "kw: rule 'alpha' is missing (it is in RULES)"),
        ([*GOOD_DOC, "| ``delta`` | delta holds |"], "kw: rule 'delta' is not in RULES"),
        (
            [GOOD_DOC[0], GOOD_DOC[1], "| ``gamma`` | gamma may hold |"],
            "kw: rule 'gamma' is described differently: RULES says 'gamma holds', "
            "kw says 'gamma may hold'",
        ),
    ],
)
def test_the_keyword_docstring_fails_naming_the_rule(rows: list[str], expected: str) -> None:
    problems = rd.docstring_problems(doc(rows), RULES, "kw")
    assert problems == [f"{expected} (run `tools/check_rule_docs.py --write`, then `make docs`)"]


def test_the_hand_written_page_is_checked_by_name_only() -> None:
    rows = ["| `alpha` | real hub | contract | accepts |", "| `gamma` | x | y | z |"]
    problems = rd.contract_rules_problems("\n".join(rows), RULES)
    assert problems == [
        "docs/contract-rules.md: rule 'beta' is missing (it is in RULES) "
        "(it is written by hand: each rule judged against the real hub)"
    ]


def test_write_regenerates_the_tables() -> None:
    stale = md([*GOOD_MD[:1], "| `old` | gone |"])
    written = rd.write_checker_md(stale, RULES)
    assert rd.checker_md_problems(written, RULES) == []
    assert written.startswith("# Checker\n") and written.endswith("\n\nMore.")
    source = '    def kw():\n        """Judges.\n\n        | =Rule= | =What holds= |\n'
    source += '        | ``old`` | gone |\n\n        Example:\n        """\n'
    rewritten = rd.write_docstring(source, 1, RULES)
    assert "        | ``gamma`` | gamma holds |\n\n        Example:" in rewritten
    assert "``old``" not in rewritten
    assert rd.docstring_problems(rewritten, RULES, "kw") == []


FAULTS = [("one", "breaks one | c-1 | TEST-1"), ("two", "breaks two | - | rule **`x`**")]


def faults_md(rows: list[str]) -> str:
    return "\n".join([rd.FAULTS_BEGIN, *rd.FAULTS_HEADER, *rows, rd.FAULTS_END])


def test_the_fault_table_fails_naming_the_fault() -> None:
    good = [f"| `{name}` | {rest} |" for name, rest in FAULTS]
    assert rd.faults_md_problems(faults_md(good), FAULTS) == []
    source = "faults.toml"
    assert rd.faults_md_problems(faults_md(good[:1]), FAULTS) == [
        f"docs/fault-matrix.md: fault 'two' is missing (it is in {source}) "
        "(run `tools/check_rule_docs.py --write`)"
    ]
    changed = [good[0], "| `two` | breaks two | - | TEST-2 |"]
    (problem,) = rd.faults_md_problems(faults_md(changed), FAULTS)
    assert problem.startswith("docs/fault-matrix.md: fault 'two' is described differently:")
    assert rd.write_faults_md(faults_md(changed), FAULTS) == faults_md(good)


def test_every_hub_fault_is_in_the_generated_table() -> None:
    from agentcom_hub.faults import Fault

    assert [name for name, _ in rd.fault_rows()] == [f.value for f in Fault]
