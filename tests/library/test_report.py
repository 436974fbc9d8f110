"""Unit tests of the per-test HTML summary and its SVG charts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.report.charts import format_ms, nice_scale
from AgentComLibrary.report.ids import id_labels, split_id
from AgentComLibrary.report.summary import SUMMARY_MARKER, render_test_summary
from hypothesis import given, settings
from hypothesis import strategies as st
from taskfactory import RUN, T0, agent, make_task

NAMES = {f"{RUN}-{n}": n for n in ("worker1", "worker2", "victim", "rescuer")}


def done(n: int, who: str, at: int = 0, latency: int = 5, work: int = 20, **extra: Any) -> dict:
    steps = [("queued", at), ("assigned", at + latency, agent(who)), ("completed", at + work)]
    return make_task(n, steps, **extra)


def mixed_tasks() -> list[dict[str, Any]]:
    return [
        done(1, "worker1", priority=0),
        done(2, "worker2", at=3, latency=12, priority=3),
        make_task(3, "queued@5 assigned@9:victim reclaimed@400 assigned@410:rescuer completed@450"),
        make_task(
            4,
            "queued@6 assigned@8:worker1 retry@20 assigned@22:worker1 retry@30"
            " assigned@32:worker1 dead_letter@40",
        ),
        make_task(5, "queued@7"),
        make_task(6, "queued@8 assigned@10:worker2 completed@15 completed@18"),
        done(7, "stranger", at=9, latency=6000, work=6100),
    ]


COMPLETIONS = {
    "worker1": ["task-0000000000000001"],
    "worker2": ["task-0000000000000002", "task-0000000000000006"],
    "victim": [],
    "rescuer": ["task-0000000000000003"],
}


@pytest.fixture(scope="module")
def html() -> str:
    return render_test_summary(mixed_tasks(), NAMES, COMPLETIONS)


def test_starts_with_marker_and_has_four_charts(html: str) -> None:
    assert html.startswith(SUMMARY_MARKER)
    assert html.count("<svg") == 4
    assert html.count("<svg") == html.count("</svg>")
    for label in (
        "Tasks completed per agent",
        "First-assignment latency per task",
        "Recovery time per task",
        "Task lifecycle",
    ):
        assert label in html


def test_self_contained(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "http" not in lowered
    assert "url(" not in lowered
    assert " on" + "load=" not in lowered
    assert "\n" not in html  # log.html shows message text with white-space: pre-wrap


def test_totals_line(html: str) -> None:
    for count in ("7</b> tasks", "5</b> completed", "1</b> dead letter", "1</b> queued"):
        assert f"<b>{count}" in html
    assert "<b>1</b> reclaim " in html
    # reclaimed -> assigned 10 ms; two retries -> assigned 2 ms each; the dead letter is open
    assert "recovery (taken back to assigned again) median <b>2 ms</b>, max <b>10 ms</b>" in html
    # worker1, worker2, victim, rescuer and the unknown smoke-ab12-stranger
    assert "<b>5</b> agents" in html
    assert "max <b>6 s</b>" in html


def test_table_rows(html: str) -> None:
    assert html.count("<tr") == 1 + 7
    # the whole id to copy, the part that tells the tasks apart in bold
    assert '<span style="color:#8c959f">task-0000000000</span><b>000001</b>' in html
    assert 'title="task-0000000000000001"' in html
    assert ">urgent</td>" in html and ">low</td>" in html
    assert ">rescuer</td>" in html  # last assignment wins
    assert f">{agent('stranger')}</td>" in html  # unknown agent ids shown as they are
    assert ">6,000</td>" in html  # latency of the slow task, ms
    assert ">dead letter</span>" in html


def test_latency_is_first_assignment_and_recovery_apart(html: str) -> None:
    facts = TaskRecord.parse(mixed_tasks()[2])
    assert facts.last_latency_ms == 405
    assert facts.first_latency_ms == 4
    assert facts.count("reclaimed") == 1
    assert facts.generation == 3
    assert facts.last_assignee == agent("rescuer")
    assert facts.recoveries_ms == [10]
    assert 'title="last assignment 405 ms after creation">4</td>' in html
    assert ">10</td>" in html  # its recovery column


def test_duplicate_completion_is_highlighted(html: str) -> None:
    assert "completion count other than 1: \u2026000006 (2&times;)" in html
    cells = re.findall(r'<td style="([^"]*)"[^>]*>2</td><td[^>]*></td></tr>', html)
    assert len(cells) == 1 and "background:#ffebe9" in cells[0]


def test_timeline_marks_and_legend(html: str) -> None:
    marks = ("reclaimed at", "moved to the dead letter", "failed and requeued", "(still queued)")
    assert all(mark in html for mark in marks), [m for m in marks if m not in html]
    assert "held by rescuer (generation 3)" in html
    for legend in ("queued", "completed", "reclaimed", "dead letter"):
        assert f">{legend}</text>" in html


def test_latency_limit_line_only_when_it_fits() -> None:
    slow = render_test_summary(
        [done(1, "worker1", latency=6000, work=6100), done(2, "worker1", latency=10)], NAMES, {}
    )
    assert "5 s limit" in slow and "stroke-dasharray" in slow
    assert "waited longer than 5 s" in slow
    fast = render_test_summary(
        [done(1, "worker1", latency=8), done(2, "worker1", latency=9)], NAMES, {}
    )
    assert "so it is not drawn" in fast
    assert "5 s limit</text>" not in fast


def test_a_one_task_test_has_no_empty_charts_and_a_generation_legend() -> None:
    html = render_test_summary([done(1, "worker1", latency=8)], NAMES, {})
    assert "Tasks completed per agent" not in html
    assert "First-assignment latency per task" not in html
    assert "Task lifecycle" in html  # the one chart that still tells something
    assert "Generation: the hub counts it up at every assignment, reclaim and retry" in html


def test_everything_user_supplied_is_escaped() -> None:
    evil = "<img src=x onerror=alert(1)> & \"quotes\" 'apos'"
    task = done(1, "worker1", description=evil)
    names = {agent("worker1"): "<b>w1</b>"}
    html = render_test_summary([task], names, {"<b>w1</b>": [task["id"]]})
    assert "<img" not in html
    assert "<b>w1</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#x27;apos&#x27;" in html
    assert "&lt;b&gt;w1&lt;/b&gt;" in html


def test_long_description_is_truncated_with_full_text_on_hover() -> None:
    text = "word " * 40
    html = render_test_summary([done(1, "worker1", description=text)], NAMES, {})
    assert f'title="{text}"' in html
    assert "\u2026</td>" in html


def test_many_tasks_are_capped_and_aggregated() -> None:
    tasks = [done(n, f"worker{n % 2 + 1}", at=n * 3, latency=n % 50) for n in range(1, 131)]
    html = render_test_summary(tasks, NAMES, {})
    assert "Showing the first 100 of 130 tasks; 30 more are left out" in html
    assert "Only the first 100 of 130 tasks are drawn" in html
    assert "each bar is the slowest of 2 consecutive tasks" in html
    assert html.count("<tr") == 101
    assert len(html) < 250_000


def test_size_of_a_100_task_summary_stays_small() -> None:
    tasks = [done(n, f"worker{n % 2 + 1}", at=n * 3, latency=n % 50) for n in range(1, 101)]
    assert len(render_test_summary(tasks, NAMES, {})) < 200_000


def test_empty_and_sparse_input() -> None:
    empty = render_test_summary([], {}, {})
    assert empty.startswith(SUMMARY_MARKER) and "<b>0</b> tasks" in empty
    sparse = render_test_summary([{"id": "task-x", "status": "queued"}], {}, {})
    assert "task-x" in sparse
    no_history = done(1, "worker1")
    no_history["history"] = []
    assert "<svg" in render_test_summary([no_history], NAMES, {})


def test_capped_history_is_flagged() -> None:
    steps: list[tuple] = [("queued", 0)]
    for i in range(30):
        steps += [("assigned", 10 * i + 1, agent("victim")), ("reclaimed", 10 * i + 5)]
    steps += [("assigned", 400, agent("rescuer")), ("completed", 410)]
    task = make_task(1, steps)
    task["history"] = task["history"][:50]
    facts = TaskRecord.parse(task)
    assert facts.history_truncated and facts.first_latency_ms is None
    html = render_test_summary([task], NAMES, {})
    assert "older history not kept by the hub" in html


def test_helpers() -> None:
    same_second = ["task-019a3f1c2d000012", "task-019a3f1c2d000013", "task-019a3f1c2e100014"]
    labels = id_labels(same_second)
    assert labels == {
        "task-019a3f1c2d000012": "\u2026d000012",
        "task-019a3f1c2d000013": "\u2026d000013",
        "task-019a3f1c2e100014": "\u2026e100014",
    }
    assert split_id("task-019a3f1c2d000012", labels["task-019a3f1c2d000012"]) == (
        "task-019a3f1c2",
        "d000012",
    )
    assert id_labels(["task-0123456789abcdef"]) == {"task-0123456789abcdef": "\u2026abcdef"}
    assert id_labels(["other", "other2"]) == {"other": "other", "other2": "other2"}
    assert format_ms(340) == "340 ms"
    assert format_ms(1250) == "1.25 s"
    assert format_ms(5000) == "5 s"
    assert format_ms(150_000) == "2.5 min"
    assert nice_scale(0) == (1.0, 1.0)
    assert nice_scale(6000, 4) == (6000, 2000)
    assert nice_scale(42, 4) == (50, 25)
    top, step = nice_scale(5500, 4)
    assert top >= 5500 and top / step <= 4


def test_unreadable_task_records_are_reported() -> None:
    html = render_test_summary([done(1, "worker1"), None], NAMES, {})  # type: ignore[list-item]
    assert "1 task record could not be read from the hub" in html
    assert "<b>1</b> task " in html


ALLOWED_TAGS = {
    *("div", "span", "b", "table", "thead", "tbody", "tr", "th", "td"),
    *("svg", "title", "g", "text", "rect", "line", "circle", "path"),
}


class _Balance(HTMLParser):
    """Checks that every opened element is closed in order; keeps text and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()
        self.data: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.stack.append(tag)
        self.tags.add(tag)
        self.attrs.extend(value or "" for _, value in attrs)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def parse(html: str) -> _Balance:
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert parser.tags <= ALLOWED_TAGS
    return parser


def test_markup_is_well_formed(html: str) -> None:
    parse(html)
    big = [done(n, f"worker{n % 3}", at=n, latency=n * 70) for n in range(1, 140)]
    parse(render_test_summary(big, NAMES, {}))


PRINTABLE = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=80)


@settings(max_examples=80, deadline=None)
@given(description=PRINTABLE, name=PRINTABLE)
def test_any_text_is_escaped_and_shown_faithfully(description: str, name: str) -> None:
    task = done(1, "worker1", description=description)
    html = render_test_summary([task], {agent("worker1"): name}, {name: [task["id"]]})
    parsed = parse(html)  # no element of the user's making, markup still balanced
    text = "".join(parsed.data)
    if len(description) <= 48:
        assert description in text
    else:
        assert description in parsed.attrs
    if len(name) <= 22:
        assert name in text


def test_timeline_runs_to_the_end_of_the_test_and_marks_open_work() -> None:
    held = make_task(1, "queued@0 assigned@5:worker1")
    waiting = make_task(2, "queued@1")
    finished = done(3, "worker2", at=2)
    html = render_test_summary(
        [held, waiting, finished], NAMES, {"worker2": [finished["id"]]}, until_ms=T0 + 30_000
    )
    assert "still assigned to worker1 at 30 s" in html
    assert "still queued at 30 s" in html
    assert "2 tasks still open when the test ended: 1 assigned to worker1, 1 queued" in html
    assert "to the end of the test (30 s, dashed line)" in html
    assert "end of the test at 30 s" in html
    # without the end time the axis stops at the last event, and no end line is drawn
    plain = render_test_summary([held, waiting, finished], NAMES, {})
    assert "end of the test at" not in plain
    assert "still assigned to worker1 at 22 ms" in plain
