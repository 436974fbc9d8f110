"""What a run reports of its known defects: counts, defects seen, defects that did not
reproduce where they could have, the metadata line, and metrics.json against its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from AgentComLibrary.defects.catalog import parse
from AgentComLibrary.defects.judge import failure_of, judge
from AgentComLibrary.defects.run import DefectRun, of_test, summarize, summary_text
from AgentComLibrary.report import metrics
from schemacheck import errors

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "metrics.schema.json").read_text(encoding="utf-8"))
CATALOG = parse(
    """
[[defect]]
id = "RACE"
title = "Busy agent gets a second task"
rules = ["one-task-per-agent"]

[[defect]]
id = "RETRY"
title = "A failed task is reclaimed"
pattern = "dead_letter"
tests = ["TEST-02g"]

[[defect]]
id = "OLD"
title = "Only on the old build"
rules = ["completed-once"]
versions = ["6112ca5"]

[[defect]]
id = "CAPS"
title = "Capabilities ignored"
rules = ["capabilities"]
tests = ["TEST-03f"]
""",
    "kd.toml",
)


def entry(name: str, status: str, tags: list[str], rules: list[str] = (), message: str = "",
          contract: str = "held") -> dict[str, Any]:  # fmt: skip
    """A metrics.json test entry as the listener writes it."""
    judged = None
    if status != "PASS" and (rules or message):
        judged = judge(CATALOG, failure_of([message] if message else [], rules), tags, "64c38d0")
    return {
        "name": name,
        "full_name": f"Top.{name}",
        "ids": [t for t in tags if t.startswith("TEST-")],
        "tags": tags,
        "status": status,
        "message": message,
        "wall_time_s": 1.0,
        "run_id": "abcd1234",
        "contract": {
            "state": contract,
            "rules": 12,
            "violations": len(rules),
            "broken_rules": list(rules),
        },
        "known_defects": of_test(judged, True),
        **metrics.task_metrics([], {}),
    }


TESTS = [
    entry(
        "TEST-01 Ten", "SKIP", ["TEST-01", "known-defect", "defect:RACE"], ["one-task-per-agent"]
    ),
    entry("TEST-02b Five", "FAIL", ["TEST-02b"], ["one-task-per-agent"], "Task x was lost"),
    entry("TEST-02g Retry", "PASS", ["TEST-02g"]),
    entry("TEST-03f Caps", "SKIP", ["TEST-03f"], message="Needs the embedded hub"),
    entry("TEST-03 Spread", "FAIL", ["TEST-03"], message="Tasks should be evenly distributed"),
]


def about() -> dict[str, Any]:
    run = DefectRun(catalog=CATALOG, version="64c38d0", version_source="HUB_VERSION")
    result = run.about()
    assert result is not None
    return result


def test_counts_seen_and_not_reproduced() -> None:
    summary = summarize(about(), TESTS)
    assert (summary["known_failures"], summary["new_failures"], summary["mixed_failures"]) == (
        1,
        2,
        1,
    )
    assert summary["seen"] == [
        {
            "id": "RACE",
            "title": "Busy agent gets a second task",
            "tests": ["TEST-01 Ten", "TEST-02b Five"],
        }
    ]
    # RETRY could have shown in TEST-02g, which ran and passed; OLD is for another version;
    # CAPS's only test was skipped for another reason
    assert summary["not_reproduced"] == [
        {"id": "RETRY", "title": "A failed task is reclaimed", "tests": ["TEST-02g Retry"]}
    ]


def test_a_rule_defect_cannot_show_where_the_checker_did_not_run() -> None:
    off = [entry("TEST-02g Retry", "PASS", ["TEST-02g"], contract="off")]
    document = about()
    document["defects"] = [d for d in document["defects"] if d["id"] == "RACE"]
    assert summarize(document, off)["not_reproduced"] == []
    assert summarize(document, [entry("TEST-09 x", "PASS", ["TEST-09"])])["not_reproduced"] == [
        {"id": "RACE", "title": "Busy agent gets a second task", "tests": ["TEST-09 x"]}
    ]


def test_the_line_for_the_report_and_console() -> None:
    text = summary_text(summarize(about(), TESTS))
    assert text == (
        "1 known failure, 2 new failures (1 with a known part); seen: RACE (TEST-01, TEST-02b); "
        "not reproduced: RETRY; hub version 64c38d0 (HUB_VERSION); file kd.toml (4 defects)"
    )
    unknown = {**about(), "hub_version": "", "version_source": "not given"}
    assert "hub version not given (set --variable HUB_VERSION:...)" in summary_text(
        summarize(unknown, TESTS)
    )


def test_metrics_json_counts_known_and_new_and_matches_the_schema(tmp_path: Path) -> None:
    run = {
        "started_at": "2026-01-01T00:00:00+00:00",
        "wall_time_s": 3.0,
        "library_version": "0.1.0",
        "library": "AgentComLibrary 0.1.0",
        "hub_url": "http://127.0.0.1:4601",
        "hub_kind": "external",
        "hub_faults": [],
        "known_defects": about(),
    }
    document = metrics.run_document(run, [], TESTS)
    assert errors(document, SCHEMA, SCHEMA) == []
    assert document["totals"]["known_failures"] == 1 and document["totals"]["new_failures"] == 2
    assert document["known_defects"]["seen"][0]["id"] == "RACE"
    # a merge of pabot's files counts the merged tests again
    half = metrics.run_document(run, [], TESTS[:1])
    merged = metrics.merge([half, metrics.run_document(run, [], TESTS[1:])])
    assert merged["known_defects"]["new_failures"] == 2
    assert merged["known_defects"]["seen"][0]["tests"] == ["TEST-01 Ten", "TEST-02b Five"]
    assert errors(merged, SCHEMA, SCHEMA) == []
    without = metrics.run_document({**run, "known_defects": None}, [], TESTS)
    assert without["known_defects"] is None and errors(without, SCHEMA, SCHEMA) == []
    assert of_test(None, False) == {"verdict": "off", "defects": [], "new": []}
