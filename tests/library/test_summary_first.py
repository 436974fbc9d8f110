"""SummaryFirst moves the teardown's summary message to the top of the test in the log."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import robot
from AgentComLibrary.report.summary import SUMMARY_MARKER
from AgentComLibrary.report.summary_first import SummaryFirst
from robot.api import ExecutionResult

LIBRARY = f"""
from robot.api import logger

MARKER = {SUMMARY_MARKER!r}


def log_summary(text="summary"):
    logger.info(MARKER + "<b>" + text + "</b>", html=True)


def log_plain(text):
    logger.info(text)
"""

SUITE = """
*** Settings ***
Library           SummaryLib.py
Test Teardown     Finish Test

*** Test Cases ***
With Summary
    Log Plain    body keyword

Without Teardown Summary
    [Teardown]    Log Plain    nothing to move
    Log Plain    body keyword

Summary In Nested Loop
    [Teardown]    Nested Finish
    Log Plain    body keyword

*** Keywords ***
Finish Test
    Log Plain    before the summary
    Log Summary    first
    Log Plain    after the summary

Nested Finish
    FOR    ${i}    IN RANGE    2
        Log Summary    loop ${i}
    END
"""


def run_suite(tmp_path: Path) -> Path:
    (tmp_path / "SummaryLib.py").write_text(LIBRARY, encoding="utf-8")
    suite = tmp_path / "summary.robot"
    suite.write_text(SUITE, encoding="utf-8")
    out = io.StringIO()
    rc = robot.run(
        str(suite),
        outputdir=str(tmp_path),
        prerebotmodifier="AgentComLibrary.report.summary_first.SummaryFirst",
        report="NONE",
        stdout=out,
        stderr=out,
    )
    assert rc == 0, out.getvalue()
    assert (tmp_path / "log.html").is_file()
    return tmp_path / "output.xml"


def first_items(result_file: Path) -> dict[str, Any]:
    result = ExecutionResult(str(result_file))
    return {test.name: test for test in result.suite.all_tests}


def test_summary_message_is_moved_to_top_of_test_body(tmp_path: Path) -> None:
    output = run_suite(tmp_path)
    # output.xml is written during execution, so it still has the message in the teardown;
    # rebot with the modifier and --output writes the model that log.html is built from.
    modified = tmp_path / "modified.xml"
    rc = robot.rebot(
        str(output),
        prerebotmodifier=SummaryFirst(),
        output=str(modified),
        log="NONE",
        report="NONE",
        stdout=io.StringIO(),
    )
    assert rc == 0
    tests = first_items(modified)

    body = tests["With Summary"].body
    assert body[0].type == "MESSAGE"
    assert body[0].message == SUMMARY_MARKER + "<b>first</b>"
    assert body[0].html and body[0].level == "INFO"
    assert body[1].type == "KEYWORD"
    teardown = tests["With Summary"].teardown
    texts = [m.message for kw in teardown.body for m in kw.body if m.type == "MESSAGE"]
    assert texts == ["before the summary", "after the summary"]

    assert all(item.type != "MESSAGE" for item in tests["Without Teardown Summary"].body)

    nested = tests["Summary In Nested Loop"].body
    assert [m.message for m in nested[:2]] == [
        SUMMARY_MARKER + "<b>loop 0</b>",
        SUMMARY_MARKER + "<b>loop 1</b>",
    ]
    assert nested[2].type == "KEYWORD"


def test_visitor_is_idempotent_and_leaves_other_messages(tmp_path: Path) -> None:
    result = ExecutionResult(str(run_suite(tmp_path)))
    visitor = SummaryFirst()
    result.visit(visitor)
    assert visitor.moved == 3
    result.visit(visitor)
    assert visitor.moved == 3
    test = next(t for t in result.suite.all_tests if t.name == "With Summary")
    assert sum(1 for item in test.body if item.type == "MESSAGE") == 1
