"""Failure tables in a monospace font in log.html (report.monospace)."""

from __future__ import annotations

from AgentComLibrary.report.monospace import MonospaceTables, as_html, has_table, xunit_asked
from AgentComLibrary.util.formatting import table
from robot import result

TABLE_MESSAGE = "2 tasks not completed:\n" + table(["task", "status"], [["task-1", "queued"]])


def test_only_messages_with_a_table_change() -> None:
    assert has_table(TABLE_MESSAGE)
    assert not has_table("Task task-1 should be completed - but it is queued")
    assert not has_table("*HTML*" + as_html(TABLE_MESSAGE))
    assert as_html("a < b").endswith(">a &lt; b</pre>")


def test_the_test_message_is_monospace_unless_an_xunit_file_is_written() -> None:
    test = result.TestCase(name="t", status="FAIL", message=TABLE_MESSAGE)
    test.visit(MonospaceTables(test_messages=True))
    assert test.message.startswith("*HTML*<pre ")
    assert xunit_asked(["robot", "--xunit", "x.xml", "suites"])
    assert not xunit_asked(["robot", "--argumentfile", "robot.args", "suites"])


def test_with_xunit_the_test_message_stays_plain() -> None:
    test = result.TestCase(name="t", status="FAIL", message=TABLE_MESSAGE)
    kw = test.body.create_keyword(name="Wait", status="FAIL", message=TABLE_MESSAGE)
    kw.body.create_message(TABLE_MESSAGE, level="FAIL")
    kw.body.create_message("plain", level="INFO")
    modifier = MonospaceTables(test_messages=False)
    test.visit(modifier)
    assert test.message == TABLE_MESSAGE  # xunit files read it: no HTML there
    assert kw.message.startswith("*HTML*<pre ")
    fail, info = kw.body
    assert fail.html and fail.message.startswith("<pre ")
    assert not info.html and info.message == "plain"
    assert modifier.changed == 2
