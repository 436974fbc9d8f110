"""The "Contract checks" panel of a test's log: rules checked, events read, violations.

HTML in the style of :mod:`.summary` (inline styles, no scripts). It starts with
``SUMMARY_MARKER`` so that ``SummaryFirst`` moves it to the top of the test, under the
task summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ..checker.rules import RULES
from ..checker.verdict import Verdict, headline
from ..hubapi.task_record import TaskRecord
from ..util.evidence import time_ordered
from ..util.formatting import short_agent, status_word
from .ids import id_labels, split_id
from .styles import (
    ALERT_STYLE,
    CARD_STYLE,
    HEAD_STYLE,
    NOTE_STYLE,
    NUM_STYLE,
    ROW_STYLE,
    TABLE_STYLE,
    TD_STYLE,
    TH_STYLE,
)
from .summary import SUMMARY_MARKER

OK_STYLE = "color:#1a7f37;font-weight:600"
BAD_STYLE = "color:#82071e;font-weight:600"
PRE_STYLE = "margin:2px 0 6px 12px;font-size:11px;white-space:pre-wrap;color:#1f2328"
MAX_SHOWN = 20


def named_tasks(verdict: Verdict, tasks: Iterable[TaskRecord], names: dict[str, str]) -> str:
    """A table of the tasks the violations name, highlighted, with the rules each broke."""
    rules: dict[str, list[str]] = {}
    for violation in verdict.violations:
        if violation.task_id:
            rules.setdefault(violation.task_id, [])
            if violation.rule not in rules[violation.task_id]:
                rules[violation.task_id].append(violation.rule)
    if not rules:
        return ""
    known = {t.id: t for t in tasks}
    labels = id_labels([*known, *rules])
    rows = []
    for task_id, broken in rules.items():
        shared, telling = split_id(task_id, labels[task_id])
        task = known.get(task_id)
        state = (
            f"{status_word(task.status)}, {short_agent(task.assigned_to, names)}: "
            + ", ".join(task.describe_history(names)[-6:])
            if task
            else "not among the test's task records"
        )
        rows.append(
            f'<tr style="{ROW_STYLE};background:#ffebe9">'
            f'<td style="{TD_STYLE};font-family:monospace;font-size:11px;user-select:all">'
            f'<span style="color:#8c959f">{escape(shared)}</span><b>{escape(telling)}</b></td>'
            f'<td style="{TD_STYLE};white-space:normal">{escape(state)}</td>'
            f'<td style="{TD_STYLE};{BAD_STYLE}">{escape(", ".join(broken))}</td></tr>'
        )
    return (
        f'<div style="{HEAD_STYLE}">Tasks the violations name</div>'
        f'<table style="{TABLE_STYLE}"><tr><th style="{TH_STYLE}">task</th>'
        f'<th style="{TH_STYLE}">status, agent: last events</th>'
        f'<th style="{TH_STYLE}">broken rules</th></tr>{"".join(rows)}</table>'
    )


def render_contract_panel(
    verdict: Verdict, names: dict[str, str] | None = None, tasks: Iterable[TaskRecord] = ()
) -> str:
    """The panel for one test's verdict; ``tasks`` (the test's records) fill in the table of
    the tasks the violations name."""
    summaries = {r.name: r.summary for r in RULES}
    by_rule = verdict.by_rule()
    broken = sum(1 for found in by_rule.values() if found)
    state = (
        f'<span style="{OK_STYLE}">all {len(verdict.rules)} rules hold</span>'
        if verdict.ok
        else f'<span style="{BAD_STYLE}">{len(verdict.violations)} violation(s) of '
        f"{broken} rule(s)</span>"
    )
    parts = [
        SUMMARY_MARKER,
        f'<div style="{CARD_STYLE}">',
        f'<div style="{HEAD_STYLE}">Contract checks: {state}</div>',
        f'<div style="{NOTE_STYLE}">{len(verdict.rules)} rules checked over '
        f"{verdict.events} events ({verdict.connections} identified connections, "
        f"{verdict.tasks} task records) in {verdict.seconds * 1000:.0f} ms"
        + (f"; {escape(verdict.note)}" if verdict.note else "")
        + "</div>",
    ]
    for rule, error in verdict.errors.items():
        parts.append(
            f'<div style="{ALERT_STYLE}">checker error in {escape(rule)}: {escape(error)}</div>'
        )
    parts.append(
        f'<table style="{TABLE_STYLE}"><tr><th style="{TH_STYLE}">rule</th>'
        f'<th style="{TH_STYLE}">checks that</th>'
        f'<th style="{TH_STYLE};text-align:right">violations</th></tr>'
    )
    for name in verdict.rules:
        found = by_rule.get(name, [])
        count = (
            f'<span style="{BAD_STYLE}">{len(found)}</span>'
            if found
            else f'<span style="{OK_STYLE}">0</span>'
        )
        parts.append(
            f'<tr style="{ROW_STYLE}"><td style="{TD_STYLE}"><code>{escape(name)}</code></td>'
            f'<td style="{TD_STYLE}">{escape(summaries.get(name, ""))}</td>'
            f'<td style="{NUM_STYLE}">{count}</td></tr>'
        )
    parts.append("</table>")
    parts.append(named_tasks(verdict, tasks, names or {}))
    for violation in verdict.violations[:MAX_SHOWN]:
        evidence = "\n".join(time_ordered(violation.evidence))
        parts.append(
            f'<div style="{ALERT_STYLE}">{escape(headline(violation, names))}</div>'
            f'<pre style="{PRE_STYLE}">{escape(evidence)}</pre>'
        )
    if len(verdict.violations) > MAX_SHOWN:
        parts.append(
            f'<div style="{NOTE_STYLE}">... and {len(verdict.violations) - MAX_SHOWN} more</div>'
        )
    parts.append("</div>")
    return "".join(parts)


def render_checks_off() -> str:
    """A one-line panel saying the checks were switched off."""
    return (
        f'{SUMMARY_MARKER}<div style="{CARD_STYLE}"><div style="{NOTE_STYLE}">Contract '
        "checks: off (<code>CONTRACT_CHECKS</code> is <code>off</code>)</div></div>"
    )
