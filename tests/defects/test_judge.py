"""Matching a test's failure against the known defects: by contract rule, test id, message
pattern and hub version; known, new and mixed; Robot's message forms taken apart."""

from __future__ import annotations

import pytest
from AgentComLibrary.defects.catalog import parse
from AgentComLibrary.defects.judge import (
    KNOWN_TAG,
    contract_rules_in,
    failure_of,
    judge,
    original_message,
    split_message,
)

CATALOG = parse(
    """
[[defect]]
id = "RACE"
title = "Busy agent gets a second task"
rules = ["one-task-per-agent", "agent-states-agree"]
versions = ["64c38d0*"]

[[defect]]
id = "RETRY"
title = "A failed task is reclaimed, not retried"
pattern = "did not reach status 'dead_letter'"
tests = ["TEST-02g"]

[[defect]]
id = "SPREAD"
title = "Uneven spread"
pattern = "evenly distributed"
""",
    "kd.toml",
)
RACE = (
    "Contract rule 'one-task-per-agent' broken: task task-2 was assigned to agent 'w' while "
    "it still held task task-1 [task task-2, agent 'w']\nEvidence (seconds since the test "
    "started):\n  +0.1 s w <- task_assign task-1\n"
)
TIMEOUT = "Task task-9 did not reach status 'dead_letter' within 30 seconds (status is 'queued')"


def outcome(messages: list[str], rules: list[str], tags: list[str], version: str = ""):
    return judge(CATALOG, failure_of(messages, rules), tags, version)


def test_robot_messages_are_taken_apart() -> None:
    assert split_message("body") == ["body"]
    assert split_message("Teardown failed:\nteardown") == ["teardown"]
    assert split_message("Setup failed:\nsetup") == ["setup"]
    assert split_message("body\n\nAlso teardown failed:\nteardown") == ["body", "teardown"]
    several = "Several failures occurred:\n\n1) first\nline two\n\n2) second"
    assert split_message(several) == ["first\nline two", "second"]
    assert split_message(f"body\n\nAlso teardown failed:\n{several}") == [
        "body",
        "first\nline two",
        "second",
    ]
    skipped = "Failed test skipped using 'known-defect' tag.\n\nOriginal failure:\nbody"
    assert original_message(skipped) == "body"
    rewritten = (
        "Failed test skipped using 'known-defect' tag.\n\nKnown defect: X t (y).\n\n"
        "Original failure:\nbody"
    )
    assert original_message(rewritten) == "body"
    assert split_message("") == []


def test_a_contract_failure_counts_as_the_rules_it_names() -> None:
    more = (
        RACE
        + "2 more violation(s): 'one-task-per-agent' x1, 'priority-order' x1; "
        + "the first ones:\n- ..."
    )
    assert contract_rules_in(more) == ["one-task-per-agent", "priority-order"]
    assert contract_rules_in("Task x was not completed") == []
    failure = failure_of([f"{TIMEOUT}\n\nAlso teardown failed:\n{RACE}"], ["agent-states-agree"])
    assert failure.rules == ["agent-states-agree", "one-task-per-agent"]
    assert failure.messages == [TIMEOUT]


def test_a_failure_of_known_rules_only_is_known() -> None:
    result = outcome([], ["one-task-per-agent", "agent-states-agree"], ["TEST-01"], "64c38d0")
    assert result.verdict == "known"
    assert result.tags == [KNOWN_TAG, "defect:RACE"]
    assert result.note() == (
        "Known defect: RACE Busy agent gets a second task (contract rule 'one-task-per-agent'; "
        "contract rule 'agent-states-agree')."
    )


def test_a_rule_no_defect_names_is_new() -> None:
    result = outcome([], ["completed-once"], ["TEST-01"])
    assert result.verdict == "new" and result.tags == [] and result.note() == ""


def test_a_known_and_a_new_part_is_mixed_and_says_which_is_new() -> None:
    result = outcome(["Task x was lost"], ["one-task-per-agent"], ["TEST-01"])
    assert result.verdict == "mixed"
    assert result.tags == ["defect:RACE"]
    assert result.note().startswith(
        "NEW failure, not a known defect: Task x was lost. Known defect: RACE"
    )
    assert [p.summary() for p in result.new_parts()] == ["Task x was lost"]


def test_a_pattern_matches_other_messages_not_contract_rules() -> None:
    assert outcome([TIMEOUT], [], ["TEST-02g"]).verdict == "known"
    # 'priority-order' is not a rule of any defect: no pattern stands in for it
    assert outcome([], ["priority-order"], ["TEST-02g"]).verdict == "new"


def test_tests_narrow_a_defect() -> None:
    assert outcome([TIMEOUT], [], ["TEST-02f"]).verdict == "new"
    assert outcome([TIMEOUT], [], ["failure", "test-02G"]).verdict == "known"  # any case


@pytest.mark.parametrize(
    ("version", "verdict"),
    [("64c38d0", "known"), ("64c38d0+last-error-fix", "known"), ("", "known"), ("6112ca5", "new")],
)
def test_versions_narrow_a_defect_unless_the_version_is_unknown(version: str, verdict: str) -> None:
    assert outcome([], ["one-task-per-agent"], ["TEST-01"], version).verdict == verdict


def test_every_part_must_be_explained_by_some_defect() -> None:
    spread = "Tasks should be evenly distributed: 60 completed tasks over 6 agents"
    result = outcome([spread], ["one-task-per-agent"], ["TEST-03d"])
    assert result.verdict == "known"
    assert [d.id for d in result.matched] == ["RACE", "SPREAD"]
    assert result.tags == [KNOWN_TAG, "defect:RACE", "defect:SPREAD"]


def test_nothing_failed_is_no_verdict() -> None:
    result = outcome([], [], ["TEST-01"])
    assert result.verdict == "none" and result.tags == []


def test_the_log_block_shows_each_part_and_its_defect() -> None:
    from AgentComLibrary.report.defects_panel import render_judgement

    html = render_judgement(
        outcome(["<b>lost</b>"], ["one-task-per-agent"], ["TEST-01"]), "kd.toml"
    )
    assert "part of this failure is NEW: the test stays failed" in html
    assert "known</span>: RACE Busy agent gets a second task" in html
    assert "&lt;b&gt;lost&lt;/b&gt;" in html and "<b>lost</b>" not in html
    assert "file kd.toml; hub version not given (HUB_VERSION)" in html
