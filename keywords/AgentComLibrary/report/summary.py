"""The per-test summary: facts read from hub TASK objects, rendered as one HTML block.

``render_test_summary`` returns HTML that starts with ``SUMMARY_MARKER``; the library logs
it with ``html=True`` in the test teardown and ``SummaryFirst`` moves it to the top of the
test in log.html. Inline styles only, no scripts, nothing loaded from elsewhere.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..hubapi.task_record import TaskRecord
from ..util.formatting import status_word
from .charts import (
    QUEUED,
    RETRY,
    WARN,
    Bar,
    Column,
    LegendItem,
    Mark,
    Segment,
    TimelineRow,
    agent_colours,
    column_chart,
    esc,
    format_ms,
    horizontal_bars,
    natural_key,
    timeline,
)
from .ids import id_labels, split_id
from .styles import (
    ALERT_STYLE,
    CARD_STYLE,
    HEAD_STYLE,
    NOTE_STYLE,
    ROW_STYLE,
    STATUS_STYLES,
    TABLE_STYLE,
    TD_STYLE,
    TH_STYLE,
)

SUMMARY_MARKER = "<!-- agentcom-test-summary -->"
GENERATION_LEGEND = (
    "Generation: the hub counts it up at every assignment, reclaim and retry (1 after the "
    "first assignment), so a task that failed once and was assigned again shows 3."
)

NameOf = Callable[[str | None], str]

MAX_ROWS = 100
MAX_COLUMNS = 100
MAX_AGENT_BARS = 32
# Latency bars by priority: one blue, darker is more urgent (orange is kept for "over limit").
PRIORITY_COLOURS = {"urgent": "#08306b", "high": "#2171b5", "normal": "#4f9bd4", "low": "#9cc7e8"}
DESCRIPTION_CHARS = 40


Labels = dict[str, str]  # task id -> the short label that tells it apart (report/ids.py)


# --- summary ---------------------------------------------------------------------------------


def render_test_summary(
    tasks: Iterable[TaskRecord | Mapping[str, Any] | None],
    agent_names: dict[str, str],
    agent_completions: dict[str, list[str]],
    *,
    latency_limit_ms: int | None = 5000,
    title: str = "Task summary",
    until_ms: int | None = None,
    charts: bool = True,
) -> str:
    """HTML (starts with SUMMARY_MARKER) for one test: totals, task table and SVG charts.

    tasks: the test's tasks (:class:`TaskRecord`, or TASK objects as ``GET /api/tasks/:id``
    returns them); a None entry (hub answered 404) is counted in an alert line.
    agent_names: hub agent_id -> short display name used in the test (e.g. ``victim``).
    agent_completions: short agent name -> task ids whose completion that agent had
    acknowledged (``task_ack`` status ``complete``).
    latency_limit_ms: drawn as a threshold line on the latency chart when it fits the scale.
    until_ms: when the test (or its last wait) ended, epoch ms: the lifecycle chart runs
    to there and marks what was still open then.
    charts: False leaves the charts out (a contract test's tasks are incidental).
    """
    given = list(tasks)
    indexed = [(i, TaskRecord.parse(t)) for i, t in enumerate(given) if t is not None]
    indexed.sort(key=lambda it: (it[1].created_at or 0, it[0]))
    facts = [t for _, t in indexed]
    labels = id_labels(f.id for f in facts)

    def name_of(agent_id: str | None) -> str:
        return "" if agent_id is None else agent_names.get(agent_id, agent_id)

    agents = _agents_in_test(facts, agent_completions, name_of)
    colours = agent_colours(agents)
    parts = [SUMMARY_MARKER, f'<div style="{CARD_STYLE}">']
    parts.append(_totals(facts, agents, title))
    missing = len(given) - len(indexed)
    if missing:
        parts.append(
            f'<div style="{ALERT_STYLE}">&#9888; {missing} task record'
            f"{'s' if missing != 1 else ''} could not be read from the hub (not found); "
            "they are not in the table or the charts</div>"
        )
    parts.append(_alerts(facts, latency_limit_ms, labels))
    if until_ms is not None:
        parts.append(_open_alert(facts, name_of))
    if facts:
        parts.append(_task_table(facts, name_of, agent_completions, latency_limit_ms, labels))
    if facts and charts:
        # a chart of one bar, or of none, says nothing the table does not: left out
        blocks = [
            _agent_chart(facts, agents, colours, name_of, agent_completions)
            if len(facts) > 1 and any(f.completed for f in facts)
            else "",
            _latency_chart(facts, latency_limit_ms)
            if sum(f.first_latency_ms is not None for f in facts) > 1
            else "",
            _recovery_chart(facts),
        ]
        if any(blocks):
            parts.append('<div style="display:flex;flex-wrap:wrap;column-gap:28px">')
            parts.extend(blocks)
            parts.append("</div>")
        parts.append(_timeline(facts, colours, name_of, labels, until_ms))
    parts.append("</div>")
    return "".join(parts)


def _agents_in_test(
    facts: list[TaskRecord], agent_completions: dict[str, list[str]], name_of: NameOf
) -> list[str]:
    """Short names of the agents of this test: those that reported or appear in a history."""
    names = set(agent_completions)
    for fact in facts:
        names.update(name_of(e.agent_id) for e in fact.events if e.agent_id)
        if fact.last_assignee:
            names.add(name_of(fact.last_assignee))
    return sorted(names, key=natural_key)


def _totals(facts: list[TaskRecord], agents: list[str], title: str) -> str:
    statuses = Counter(f.status for f in facts)
    pieces = [f"<b>{len(facts)}</b> task{'s' if len(facts) != 1 else ''}"]
    pieces.append(f"<b>{statuses.pop('completed', 0)}</b> completed")
    for status, count in sorted(statuses.items()):
        pieces.append(f"<b>{count}</b> {esc(status_word(status))}")
    pieces.append(f"<b>{len(agents)}</b> agent{'s' if len(agents) != 1 else ''}")
    latencies = [f.first_latency_ms for f in facts if f.first_latency_ms is not None]
    if latencies:
        pieces.append(
            "first-assignment latency median "
            f"<b>{esc(format_ms(statistics.median(latencies)))}</b>, "
            f"max <b>{esc(format_ms(max(latencies)))}</b>"
        )
    reclaims = sum(f.count("reclaimed") for f in facts)
    if reclaims:
        pieces.append(f"<b>{reclaims}</b> reclaim{'s' if reclaims != 1 else ''}")
    recoveries = [ms for f in facts for ms in f.recoveries_ms]
    if recoveries:
        pieces.append(
            f"recovery (taken back to assigned again) median "
            f"<b>{esc(format_ms(statistics.median(recoveries)))}</b>, "
            f"max <b>{esc(format_ms(max(recoveries)))}</b>"
        )
    return (
        f'<div style="font-size:13px"><span style="font-weight:600;margin-right:8px">'
        f"{esc(title)}</span>{' &middot; '.join(pieces)}</div>"
    )


def _alerts(facts: list[TaskRecord], limit: int | None, labels: Labels) -> str:
    lines = []
    odd = [f for f in facts if f.status == "completed" and f.count("completed") != 1]
    if odd:
        ids = ", ".join(f"{esc(labels[f.id])} ({f.count('completed')}&times;)" for f in odd[:10])
        more = f" and {len(odd) - 10} more" if len(odd) > 10 else ""
        lines.append(
            f"{len(odd)} completed task{'s' if len(odd) != 1 else ''} with a completion count "
            f"other than 1: {ids}{more}"
        )
    if limit is not None:
        slow = [f for f in facts if f.first_latency_ms is not None and f.first_latency_ms > limit]
        if slow:
            ids = ", ".join(
                f"{esc(labels[f.id])} ({esc(format_ms(f.first_latency_ms or 0))})"
                for f in slow[:10]
            )
            more = f" and {len(slow) - 10} more" if len(slow) > 10 else ""
            lines.append(
                f"{len(slow)} task{'s' if len(slow) != 1 else ''} waited longer than "
                f"{esc(format_ms(limit))} for an agent: {ids}{more}"
            )
    return "".join(f'<div style="{ALERT_STYLE}">&#9888; {line}</div>' for line in lines)


def _open_alert(facts: list[TaskRecord], name_of: NameOf) -> str:
    """One line on the tasks that were not finished when the test ended, by holder."""
    held = Counter(
        f"assigned to {name_of(f.assigned_to) or 'an unknown agent'}"
        if f.status == "assigned"
        else status_word(f.status)
        for f in facts
        if not f.finished
    )
    if not held:
        return ""
    text = ", ".join(f"{count} {what}" for what, count in sorted(held.items()))
    total = sum(held.values())
    return (
        f'<div style="{ALERT_STYLE}">&#9888; {total} task{"s" if total != 1 else ""} still '
        f"open when the test ended: {esc(text)}</div>"
    )


def _status_pill(status: str) -> str:
    word, fg, bg = STATUS_STYLES.get(status, (status_word(status), "#57606a", "#eaeef2"))
    return (
        f'<span style="color:{fg};background:{bg};border-radius:9px;padding:0 7px;'
        f'white-space:nowrap">{esc(word)}</span>'
    )


def _td(content: str, *, right: bool = False, style: str = "", title: str = "") -> str:
    """One table cell; ``content`` must already be escaped."""
    css = TD_STYLE + (";text-align:right" if right else "") + (f";{style}" if style else "")
    tip = f' title="{esc(title)}"' if title else ""
    return f'<td style="{css}"{tip}>{content}</td>'


def _task_table(
    facts: list[TaskRecord],
    name_of: NameOf,
    agent_completions: dict[str, list[str]],
    limit: int | None,
    labels: Labels,
) -> str:
    acked_by: dict[str, list[str]] = {}
    for agent, ids in agent_completions.items():
        for task_id in ids:
            acked_by.setdefault(str(task_id), []).append(agent)
    heads = [
        ("#", True, ""),
        ("Task", False, "task id; the part in bold tells the tasks of this test apart"),
        ("Description", False, ""),
        ("Priority", False, ""),
        ("Agent", False, "agent of the last assignment"),
        ("1st assigned (ms)", True, "first assignment's latency: assigned - created"),
        ("Recovery (ms)", True, "taken back (reclaimed, retried) to assigned again"),
        ("Status", False, "status at the hub"),
        ("Generation", True, GENERATION_LEGEND),
        ("Completions", True, "'completed' events in the hub's history (1 expected)"),
        ("Reclaims", True, "times the hub took the task back from an agent"),
    ]
    head_html = "".join(
        f'<th style="{TH_STYLE}{";text-align:right" if right else ""}"'
        + (f' title="{esc(tip)}"' if tip else "")
        + f">{esc(h)}</th>"
        for h, right, tip in heads
    )
    rows = []
    for number, fact in enumerate(facts[:MAX_ROWS], start=1):
        desc = fact.description
        shown = desc if len(desc) <= DESCRIPTION_CHARS else desc[: DESCRIPTION_CHARS - 1] + "\u2026"
        holder = fact.last_assignee
        agent = name_of(holder)
        acks = acked_by.get(fact.id, [])
        comp_style = ""
        comp_title = ""
        if fact.status == "completed" and fact.count("completed") != 1:
            comp_style = "color:#82071e;background:#ffebe9;font-weight:600"
        if fact.history_truncated:
            comp_title = "the hub keeps only the newest 50 history events; "
        if acks != ([agent] if fact.status == "completed" else []):
            comp_title += "completion acknowledged to: " + (", ".join(acks) or "no agent")
        rows.append(
            f'<tr style="{ROW_STYLE}">'
            + _td(str(number), right=True, style="color:#57606a")
            + _id_cell(fact.id, labels[fact.id])
            + _td(esc(shown), title=desc if shown != desc else "")
            + _td(esc(fact.priority_name))
            + _td(
                esc(agent) if agent else "&ndash;",
                title=holder if holder and holder != agent else "",
            )
            + _latency_cell(fact, limit)
            + _recovery_cell(fact)
            + _td(_status_pill(fact.status))
            + _td(esc(_dash(fact.generation)), right=True)
            + _td(str(fact.count("completed")), right=True, style=comp_style, title=comp_title)
            + _td(str(fact.count("reclaimed") or ""), right=True)
            + "</tr>"
        )
    scroll = "max-height:460px;overflow-y:auto;" if len(rows) > 25 else ""
    table = (
        f'<div style="{scroll}margin-top:8px;border:1px solid #d0d7de;border-radius:4px">'
        f'<table style="{TABLE_STYLE}"><thead><tr>{head_html}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    table += f'<div style="{NOTE_STYLE}">{esc(GENERATION_LEGEND)}</div>'
    if len(facts) > MAX_ROWS:
        table += (
            f'<div style="{NOTE_STYLE}">Showing the first {MAX_ROWS} of {len(facts)} tasks; '
            f"{len(facts) - MAX_ROWS} more are left out of the table (they are counted in the "
            "totals and the charts).</div>"
        )
    return table


def _dash(value: object) -> str:
    return "\u2013" if value is None else str(value)


def _id_cell(task_id: str, label: str) -> str:
    """The whole id (select it to copy), its telling part in bold."""
    shared, telling = split_id(task_id, label)
    return _td(
        f'<span style="color:#8c959f">{esc(shared)}</span><b>{esc(telling)}</b>',
        style="font-family:monospace;font-size:11px;white-space:nowrap;user-select:all",
        title=task_id,
    )


def _latency_cell(fact: TaskRecord, limit: int | None) -> str:
    latency = fact.first_latency_ms
    if latency is None:
        never = fact.last_latency_ms is None
        title = "never assigned" if never else "first assignment not in the kept history"
        return _td("&ndash;", right=True, style="color:#8c959f", title=title)
    style = ""
    if limit is not None and latency > limit:
        style = "color:#82071e;font-weight:600"
    title = ""
    if fact.last_latency_ms is not None and fact.last_latency_ms != latency:
        title = f"last assignment {fact.last_latency_ms:,} ms after creation"
    return _td(f"{latency:,}", right=True, style=style, title=title)


def _recovery_cell(fact: TaskRecord) -> str:
    waits = fact.recoveries_ms
    if not waits:
        return _td("", right=True)
    title = "each time: " + ", ".join(f"{w:,} ms" for w in waits) if len(waits) > 1 else ""
    return _td(f"{sum(waits):,}", right=True, title=title)


def _chart_block(heading: str, note: str, svg: str, width: int) -> str:
    return (
        f'<div style="flex:0 1 {width}px;min-width:0">'
        f'<div style="{HEAD_STYLE}">{esc(heading)}</div>'
        f"{svg}" + (f'<div style="{NOTE_STYLE}">{note}</div>' if note else "") + "</div>"
    )


def _agent_chart(
    facts: list[TaskRecord],
    agents: list[str],
    colours: dict[str, str],
    name_of: NameOf,
    agent_completions: dict[str, list[str]],
) -> str:
    hub_counts = Counter(name_of(f.last_assignee) for f in facts if f.status == "completed")
    test_ids = {f.id for f in facts}
    bars = []
    for agent in agents:
        acked = sum(1 for t in agent_completions.get(agent, []) if str(t) in test_ids)
        tip = f"{agent}: {hub_counts.get(agent, 0)} completed at the hub"
        tip += f", {acked} completion(s) acknowledged to the agent"
        bars.append(Bar(agent, hub_counts.get(agent, 0), tip, colours.get(agent, QUEUED)))
    shown = bars
    note = "Completed tasks by the agent the hub recorded; hover a bar for the agent's view."
    if len(bars) > MAX_AGENT_BARS:
        ranked = sorted(bars, key=lambda b: (-b.value, natural_key(b.label)))
        keep = MAX_AGENT_BARS // 2 - 1
        middle = ranked[keep:-keep]
        values = [b.value for b in middle]
        mean = statistics.fmean(values)
        group = Bar(
            f"{len(middle)} others (mean)",
            mean,
            f"{len(middle)} agents between the busiest and the least busy: "
            f"{min(values):g} to {max(values):g} completed, mean {mean:.1f}",
            QUEUED,
        )
        shown = [*ranked[:keep], group, *ranked[-keep:]]
        note += (
            f" {len(bars)} agents: the {keep} busiest and the {keep} least busy are shown, "
            "the rest as one grey bar (their mean)."
        )
    svg = horizontal_bars(shown, label="Tasks completed per agent")
    return _chart_block("Tasks completed per agent", note, svg, 440)


def _latency_chart(facts: list[TaskRecord], limit: int | None) -> str:
    latencies = [f.first_latency_ms for f in facts if f.first_latency_ms is not None]
    data_max = max([*latencies, 0])
    show_limit = limit is not None and data_max >= 0.4 * limit
    y_max = max(data_max, limit * 1.1) if show_limit and limit is not None else data_max

    def colour(value: float | None, priority: str = "normal") -> str:
        if limit is not None and value is not None and value > limit:
            return WARN
        return PRIORITY_COLOURS.get(priority, PRIORITY_COLOURS["normal"])

    columns: list[Column] = []
    if len(facts) <= MAX_COLUMNS:
        for number, f in enumerate(facts, start=1):
            if f.first_latency_ms is None:
                tip = f"#{number} {f.id}: never assigned"
            else:
                tip = f"#{number} {f.id}: {f.first_latency_ms:,} ms ({f.priority_name}, {f.status})"
            latency = f.first_latency_ms
            columns.append(Column(str(number), latency, tip, colour(latency, f.priority_name)))
        keys = "".join(
            f'<span style="white-space:nowrap;margin-left:8px"><span style="display:inline-block;'
            f'width:9px;height:9px;background:{c};margin-right:3px"></span>{w}</span>'
            for w, c in [*PRIORITY_COLOURS.items(), ("over the limit", WARN)]
            if any(f.priority_name == w for f in facts)
            or (c == WARN and limit is not None and data_max > limit)
        )
        note = (
            "One bar per task, in submission order (the # column of the table)."
            f"<div>Colour: priority{keys}</div>"
        )
    else:
        size = -(-len(facts) // MAX_COLUMNS)
        for start in range(0, len(facts), size):
            group = facts[start : start + size]
            values = [f.first_latency_ms for f in group if f.first_latency_ms is not None]
            first, last = start + 1, start + len(group)
            if values:
                tip = (
                    f"tasks #{first}-#{last}: max {max(values):,} ms, "
                    f"median {statistics.median(values):,.0f} ms"
                )
                columns.append(Column(str(first), max(values), tip, colour(max(values), "")))
            else:
                columns.append(Column(str(first), None, f"tasks #{first}-#{last}: none assigned"))
        note = (
            f"{len(facts)} tasks: each bar is the slowest of {size} consecutive tasks "
            "(hover for the median)."
        )
    if limit is not None and not show_limit:
        note += f" All are far below the {esc(format_ms(limit))} limit, so it is not drawn."
    svg = column_chart(
        columns,
        label="Assignment latency per task",
        y_max=y_max,
        limit=limit if show_limit else None,
        limit_label=f"{format_ms(limit)} limit" if limit is not None else "",
    )
    return _chart_block("First-assignment latency per task", note, svg, 460)


def _recovery_chart(facts: list[TaskRecord]) -> str:
    """Recovery time per task that was taken back at least once; nothing when none was."""
    taken = [(n, f) for n, f in enumerate(facts, start=1) if f.recoveries_ms]
    if not taken:
        return ""
    columns = [
        Column(
            str(n),
            sum(f.recoveries_ms),
            f"#{n} {f.id}: {', '.join(format_ms(w) for w in f.recoveries_ms)} "
            f"from taken back to assigned again",
            RETRY,
        )
        for n, f in taken[:MAX_COLUMNS]
    ]
    note = (
        "Tasks the hub took back (reclaimed, failed and retried, dead-lettered): the time "
        "until the next assignment, summed per task. Kept out of the first-assignment "
        "latency."
    )
    svg = column_chart(columns, label="Recovery time per task")
    return _chart_block("Recovery time per task", note, svg, 460)


def _timeline(
    facts: list[TaskRecord],
    colours: dict[str, str],
    name_of: NameOf,
    labels: Labels,
    until_ms: int | None,
) -> str:
    origin = min((f.created_at for f in facts if f.created_at is not None), default=0)
    last_event = max(_times(facts), default=origin)
    end = max(last_event, until_ms or 0)
    span = max(end - origin, 1)
    shown = facts[:MAX_ROWS]
    rows = [
        _timeline_row(n, f, origin, end, colours, name_of, labels[f.id])
        for n, f in enumerate(shown, 1)
    ]
    used = sorted({name_of(s) for f in shown for s in _assigned_agents(f)}, key=natural_key)
    legend = [LegendItem(name, "swatch", colours.get(name, QUEUED)) for name in used[:12]]
    if len(used) > 12:
        legend.append(LegendItem(f"+{len(used) - 12} more agents", "note"))
    legend += [
        LegendItem("queued", "queued"),
        LegendItem("completed", "completed"),
        LegendItem("reclaimed", "reclaimed"),
        LegendItem("failed, retried", "retry"),
        LegendItem("dead letter", "dead_letter"),
    ]
    ended = until_ms is not None and until_ms > last_event
    svg = timeline(
        rows,
        span_ms=span,
        legend=legend,
        label="Task lifecycle timeline",
        end_ms=end - origin if ended else None,
        end_label=f"end of the test at {format_ms(end - origin)}",
    )
    note = (
        "Time from the first task's creation"
        + (
            f" to the end of the test ({esc(format_ms(end - origin))}, dashed line)"
            if ended
            else ""
        )
        + ". Grey: waiting in the queue; coloured: held by the agent of that colour; on the "
        "right: what was still open at the end. Hover any bar or mark for details."
    )
    if len(facts) > MAX_ROWS:
        note += f" Only the first {MAX_ROWS} of {len(facts)} tasks are drawn."
    return (
        f'<div style="{HEAD_STYLE}">Task lifecycle</div>{svg}<div style="{NOTE_STYLE}">{note}</div>'
    )


def _times(facts: Iterable[TaskRecord]) -> Iterable[int]:
    for f in facts:
        if f.created_at is not None:
            yield f.created_at
        for e in f.events:
            t = e.timestamp
            if t is not None:
                yield t


def _assigned_agents(fact: TaskRecord) -> list[str]:
    return [a for e in fact.events if e.event == "assigned" for a in [e.agent_id] if a]


def _timeline_row(
    number: int,
    fact: TaskRecord,
    origin: int,
    end: int,
    colours: dict[str, str],
    name_of: NameOf,
    sid: str,
) -> TimelineRow:
    """Segments and marks of one task, replayed from its history (oldest first); a task
    still queued or assigned at ``end`` gets a note saying so."""
    row = TimelineRow(
        label=sid,
        key=str(number),
        tooltip=f"#{number} {fact.id} ({fact.priority_name}): {fact.description[:80]}",
    )
    open_kind: str | None = None
    open_at = 0
    open_agent: str | None = None
    open_gen: object = None

    def close(at: int, still: bool = False) -> None:
        if open_kind is None:
            return
        length = format_ms(at - open_at)
        start, stop = open_at - origin, at - origin
        if open_kind == "queued":
            tip = f"{sid} queued for {length}" + (" (still queued)" if still else "")
            row.segments.append(Segment(start, stop, QUEUED, tip, queued=True))
            if still:
                row.note = f"still queued at {format_ms(stop)}"
        else:
            agent = name_of(open_agent) or "unknown agent"
            tip = f"{sid} held by {agent} (generation {_dash(open_gen)}) for {length}"
            tip += " (still assigned)" if still else ""
            row.segments.append(Segment(start, stop, colours.get(agent, QUEUED), tip))
            if still:
                row.note = f"still assigned to {agent} at {format_ms(stop)}"

    events = fact.events
    if not events:
        if fact.created_at is not None:
            open_kind, open_at = "queued", fact.created_at
    elif fact.history_truncated and fact.created_at is not None:
        first = events[0].timestamp or fact.created_at
        tip = f"{sid}: older history not kept by the hub (only the newest 50 events)"
        row.segments.append(
            Segment(fact.created_at - origin, first - origin, QUEUED, tip, unknown=True)
        )
    for event in events:
        kind = event.event
        at = event.timestamp
        if at is None:
            continue
        details = event.details
        if kind in ("queued", "assigned"):
            close(at)
            open_kind, open_at = kind, at
            open_agent = event.agent_id if kind == "assigned" else None
            open_gen = event.generation
        elif kind in ("completed", "reclaimed", "retry", "dead_letter"):
            agent = name_of(open_agent) if open_kind == "assigned" else ""
            close(at)
            row.marks.append(
                Mark(at - origin, kind, _mark_tip(sid, kind, at - origin, agent, details))
            )
            open_kind, open_at, open_agent = (
                ("queued", at, None) if kind in ("reclaimed", "retry") else (None, at, None)
            )
    close(end, still=True)
    return row


def _mark_tip(sid: str, kind: str, at: int, agent: str, details: object) -> str:
    words = {
        "completed": "completed",
        "reclaimed": "reclaimed",
        "retry": "failed and requeued",
        "dead_letter": "moved to the dead letter",
    }
    text = f"{sid} {words[kind]} at {format_ms(at)}"
    if agent:
        text += f" ({agent})"
    if isinstance(details, str) and details:
        text += f": {details[:120]}"
    elif isinstance(details, Mapping) and details.get("tokens_used") is not None:
        text += f", tokens used {details['tokens_used']}"
    return text
