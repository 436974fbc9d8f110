"""The known-defects file: what a good one gives, and one clear message for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from AgentComLibrary.defects.catalog import DefectFileError, load, parse

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
# the real hub's race
[[defect]]
id = "RH-1"
title = "Task handed to a busy agent"
rules = ["one-task-per-agent"]
tests = ["TEST-01", "TEST-02b"]
versions = ["64c38d0*"]
comment = "hub log: invalid transition working -> assigned"

[[defect]]
id = "RH-2"
title = "Failed task is not retried"
pattern = "did not reach status 'dead_letter'"
"""


def test_a_good_file_gives_every_field() -> None:
    catalog = parse(GOOD, "kd.toml")
    first, second = catalog.defects
    assert (first.id, first.title, first.rules) == (
        "RH-1",
        "Task handed to a busy agent",
        ("one-task-per-agent",),
    )
    assert first.tests == ("TEST-01", "TEST-02b") and first.versions == ("64c38d0*",)
    assert first.comment.startswith("hub log:") and first.pattern is None
    assert first.tag == "defect:RH-1"
    assert second.pattern is not None and second.pattern.search(
        "did not reach status 'dead_letter'"
    )
    assert set(catalog.by_id()) == {"RH-1", "RH-2"}


def test_the_shipped_example_file_loads() -> None:
    catalog = load(ROOT / "known-defects" / "agentcom-64c38d0.toml")
    assert "one-task-per-agent" in {r for d in catalog.defects for r in d.rules}
    assert all(d.comment for d in catalog.defects), "every shipped defect carries its evidence"


def test_an_empty_file_lists_no_defects() -> None:
    assert parse("# nothing known yet\n").defects == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[defect]]\nid = "A"\ntitle = t\nrules = ["one-task-per-agent"]\n',
            r"^Known-defects file kd\.toml: not valid TOML: .*\(at line 3, column 9\)\.$",
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\nrules = ["one-task-per-agent"]\n\n'
            '[[defect]]\nid = "B"\ntitle = "t"\nrule = "x"\n',
            r"kd\.toml, entry 2 \(\[\[defect\]\], line 6, id 'B'\): unknown key\(s\) 'rule' "
            r"\(known: id, title, rules, tests, pattern, versions, comment\)",
        ),
        (
            '[[defect]]\ntitle = "t"\npattern = "x"\n',
            r"entry 1 \(\[\[defect\]\], line 1\): 'id' is missing or empty",
        ),
        (
            '[[defect]]\nid = "A"\npattern = "x"\n',
            r"entry 1 \(\[\[defect\]\], line 1, id 'A'\): 'title' is missing or empty",
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\npattern = "(unclosed"\n',
            r"id 'A'\): 'pattern' is not a valid regular expression: missing \), unterminated",
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\nrules = ["one-task-per-agnet"]\n',
            r"unknown contract rule\(s\) 'one-task-per-agnet' \(the checker's rules: "
            r"history-well-formed, one-task-per-agent",
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\ntests = ["TEST-01"]\n',
            r"give 'rules' \(contract rule names\) or 'pattern'",
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\npattern = "x"\n'
            '[[defect]]\nid = "A"\ntitle = "u"\npattern = "y"\n',
            r"entry 2 \(\[\[defect\]\], line 5, id 'A'\): the id 'A' is used twice",
        ),
        (
            '[[defect]]\nid = "has space"\ntitle = "t"\npattern = "x"\n',
            r"id 'has space' may hold only letters, digits",
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\npattern = "x"\ntests = "TEST-01, TEST-02"\n',
            r'entry 1 .*\'tests\' must be a list of non-empty strings, e\.g\. tests = \["a", "b"\]',
        ),
        (
            '[[defect]]\nid = "A"\ntitle = "t"\npattern = "x"\n'
            '[[defect]]\nid = "B"\ntitle = "t"\npattern = "x"\nversions = [1]\n',
            r"entry 2 .*'versions' must be a list of non-empty strings",
        ),
        ('[defects]\nid = "A"\n', r"unknown top-level key\(s\) 'defects'; each defect is a"),
    ],
)
def test_each_mistake_names_file_entry_and_problem(text: str, expected: str) -> None:
    with pytest.raises(DefectFileError, match=expected):
        parse(text, "kd.toml")


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(DefectFileError, match=rf"^Known-defects file {missing}: cannot be read"):
        load(missing)
