"""The clause map: reading the clause file, the coverage check, the coverage page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from AgentComLibrary.contract_map import check, page
from AgentComLibrary.contract_map.clauses import ClauseFileError, load

ROOT = Path(__file__).resolve().parents[2]

CLAUSES = """
[[clause]]
id = "alpha"
section = "One"
statement = "Alpha holds."

[[clause]]
id = "beta"
section = "One"
statement = "Beta holds."

[[clause]]
id = "gamma"
section = "Two"
statement = "Gamma holds."
untested = "Nothing can break it."
"""


def project(tmp_path: Path, tests: str, clauses: str = CLAUSES) -> Path:
    (tmp_path / "docs" / "contract").mkdir(parents=True)
    (tmp_path / "docs" / "contract" / "clauses.toml").write_text(clauses)
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "01_x.robot").write_text("*** Test Cases ***\n" + tests)
    return tmp_path


GOOD = """Alpha And Beta
    [Tags]    T-1    contract:alpha
    No Operation

Beta Again
    [Tags]    contract:beta
    No Operation
"""


def test_the_project_map_is_complete() -> None:
    found, clauses, _ = check.check(ROOT)
    assert found.ok, "\n".join(found.lines())
    assert len(clauses) > 60


def test_a_complete_map_passes(tmp_path: Path) -> None:
    found, _, _ = check.check(project(tmp_path, GOOD))
    assert found.ok


def test_a_clause_without_test_or_reason_fails(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD.replace("contract:beta", "smoke"))
    found, _, _ = check.check(root)
    assert not found.ok
    assert [line.split(" ")[0] for line in found.uncovered] == ["beta"]
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_coverage.py"), str(root)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "beta (One): Beta holds." in run.stderr


def test_an_unknown_tag_fails(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD + "\nTypo\n    [Tags]    contract:alpah\n    No Operation\n")
    found, _, _ = check.check(root)
    assert found.unknown_tags == ["contract:alpah on 'Typo' (suites/01_x.robot)"]
    assert check.main([str(root)]) == 1


def test_an_untested_clause_that_is_tagged_fails(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD + "\nG\n    [Tags]    contract:gamma\n    No Operation\n")
    found, _, _ = check.check(root)
    assert found.untested_but_tagged == ["gamma: tagged on G"]


def test_suite_level_test_tags_count(tmp_path: Path) -> None:
    root = project(tmp_path, "")
    (root / "suites" / "01_x.robot").write_text(
        "*** Settings ***\nTest Tags    contract:alpha    contract:beta\n\n"
        "*** Test Cases ***\nBoth\n    No Operation\n"
    )
    found, _, _ = check.check(root)
    assert found.ok


@pytest.mark.parametrize(
    "text, error",
    [
        ('[[clause]]\nid = "Bad_Id"\nsection = "s"\nstatement = "x"\n', "not kebab-case"),
        (CLAUSES + '\n[[clause]]\nid = "alpha"\nsection = "s"\nstatement = "x"\n', "twice"),
        ('[[clause]]\nid = "a"\nsection = "s"\nstatement = "x"\nowner = "me"\n', "unknown keys"),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_a_malformed_clause_file_is_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "clauses.toml"
    path.write_text(text)
    with pytest.raises(ClauseFileError, match=error):
        load(path)


def test_the_page_shows_each_clause_with_its_tests_and_their_status(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD)
    _, clauses, tests = check.check(root)
    statuses = {page.test_key("suites/01_x.robot", "Alpha And Beta"): "FAIL"}
    table = page.write(tmp_path / "out", clauses, tests, statuses)
    assert [row.verdict for row in table] == ["failed", "not run", "untested"]
    assert page.summary_text(table) == (
        "3 clauses: 0 covered and passed, 1 failed, 0 skipped, 1 not run, 1 deliberately untested"
    )
    text = (tmp_path / "out" / page.HTML_NAME).read_text()
    assert "<script" not in text
    assert "Nothing can break it." in text and "Alpha And Beta" in text
    data = json.loads((tmp_path / "out" / page.JSON_NAME).read_text())
    assert data["summary"]["failed"] == 1


def test_merging_parallel_pages_joins_their_statuses(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD)
    _, clauses, tests = check.check(root)
    one = page.document(clauses, tests, {page.test_key("suites/01_x.robot", "Beta Again"): "PASS"})
    two = page.document(
        clauses, tests, {page.test_key("suites/01_x.robot", "Alpha And Beta"): "PASS"}
    )
    table = page.merge(tmp_path / "merged", [one, two])
    assert [row.verdict for row in table] == ["passed", "passed", "untested"]
