"""The end of a test (the listener): a tagged failure stays SKIP only when the whole final
message is known, its message names the defects and keeps the body's failure that Robot
drops; a new part turns it back into FAIL; a mixed failure says what is new."""

from __future__ import annotations

from dataclasses import dataclass, field

from AgentComLibrary.defects.catalog import parse
from AgentComLibrary.defects.judge import failure_of, judge
from AgentComLibrary.defects.outcome import finish_test
from AgentComLibrary.defects.run import DefectRun, Judged

CATALOG = parse(
    """
[[defect]]
id = "RACE"
title = "Busy agent gets a second task"
rules = ["one-task-per-agent"]
pattern = "was not completed"
""",
    "kd.toml",
)
RULE = "Contract rule 'one-task-per-agent' broken: task t2 to agent 'w' while it held t1"
SKIPPED = "Failed test skipped using 'known-defect' tag.\n\nOriginal failure:\n"
BROKEN = {"state": "broken", "broken_rules": ["one-task-per-agent"]}


class Tags(set):
    def add(self, tag: str) -> None:  # Robot's Tags.add takes one or many
        super().add(tag)


@dataclass
class Result:
    status: str
    message: str
    tags: Tags = field(default_factory=Tags)
    full_name: str = "Top.TEST-01 Ten"


def run_with(body: str = "") -> DefectRun:
    run = DefectRun(catalog=CATALOG)
    failure = failure_of([body] if body else [], ["one-task-per-agent"])
    run.judged["Top.TEST-01 Ten"] = Judged(judge(CATALOG, failure, ["TEST-01"]), body)
    return run


def test_a_known_failure_stays_skipped_and_names_the_defect() -> None:
    result = Result("SKIP", f"{SKIPPED}Teardown failed:\n{RULE}", Tags({"TEST-01", "known-defect"}))
    run = run_with()
    finish_test(run, result, BROKEN, "")
    assert result.status == "SKIP"
    assert result.message == (
        "Failed test skipped using 'known-defect' tag.\n\n"
        "Known defect: RACE Busy agent gets a second task (contract rule 'one-task-per-agent').\n\n"
        f"Original failure:\nTeardown failed:\n{RULE}"
    )
    assert "defect:RACE" in result.tags
    assert run.judged[result.full_name].judgement.verdict == "known"


def test_the_body_failure_robot_dropped_is_put_back() -> None:
    body = "Task t3 was not completed within 5 seconds"
    result = Result("SKIP", f"{SKIPPED}Teardown failed:\n{RULE}", Tags({"known-defect"}))
    finish_test(run_with(body), result, BROKEN, "")
    assert result.status == "SKIP"
    assert result.message.endswith(f"Original failure:\n{body}\n\nAlso teardown failed:\n{RULE}")
    assert "(contract rule 'one-task-per-agent'; Task t3 was not completed within 5 seconds)" in (
        result.message
    )


def test_a_part_after_the_tagging_makes_it_fail_again() -> None:
    several = f"Several failures occurred:\n\n1) {RULE}\n\n2) Agent w did not stop"
    late = f"{SKIPPED}Teardown failed:\n{several}"
    result = Result("SKIP", late, Tags({"known-defect", "defect:RACE"}))
    finish_test(run_with(), result, BROKEN, "")
    assert result.status == "FAIL"
    assert "known-defect" not in result.tags and "defect:RACE" in result.tags
    assert result.message.startswith(f"Teardown failed:\nSeveral failures occurred:\n\n1) {RULE}")
    assert result.message.endswith(
        "NEW failure, not a known defect: Agent w did not stop. Known defect: RACE Busy agent "
        "gets a second task (contract rule 'one-task-per-agent')."
    )


def test_a_mixed_failure_stays_failed_and_says_what_is_new() -> None:
    message = f"Task t1 was lost\n\nAlso teardown failed:\n{RULE}"
    result = Result("FAIL", message)
    run = DefectRun(catalog=CATALOG)
    finish_test(run, result, BROKEN, "")
    assert result.status == "FAIL" and result.tags == {"defect:RACE"}
    assert result.message == message + (
        "\n\nNEW failure, not a known defect: Task t1 was lost. Known defect: RACE Busy agent "
        "gets a second task (contract rule 'one-task-per-agent')."
    )
    assert run.judged[result.full_name].judgement.verdict == "mixed"


def test_passed_skipped_and_unknown_failures_are_left_alone() -> None:
    run = DefectRun(catalog=CATALOG)
    for status, message in [("PASS", ""), ("SKIP", "Needs the embedded hub")]:
        result = Result(status, message)
        finish_test(run, result, {"state": "held"}, "")
        assert (result.status, result.message, result.tags) == (status, message, set())
    new = Result("FAIL", "Task t1 was lost")
    finish_test(run, new, {"state": "held"}, "")
    assert (
        new.message == "Task t1 was lost" and run.judged[new.full_name].judgement.verdict == "new"
    )
    off = Result("FAIL", RULE)
    finish_test(DefectRun(), off, BROKEN, "")
    assert off.message == RULE
