"""The task ledger as an HTML block: a table of counts (as Jepsen prints them) and the ids
of every problem category. The reconciliation itself is :mod:`..checker.ledger`."""

from __future__ import annotations

from ..checker.ledger import PROBLEM_CATEGORIES, Ledger, describe_ledger_problems
from .charts import esc
from .styles import CARD_STYLE, HEAD_STYLE, NUM_STYLE, ROW_STYLE, TD_STYLE, TH_STYLE

_ROWS = (
    ("attempted", "submissions tried"),
    ("acknowledged", "hub answered 201"),
    ("completed", "hub status completed"),
    ("dead_lettered", "dead letter (explained by last_error)"),
    ("recovered", "completed after a reclaim"),
    ("ack_lost", "completed as its agent reported; the ack never reached it"),
    ("unfinished", "still queued or assigned"),
    ("lost", "acknowledged, then 404 at the hub"),
    ("duplicated", "completed more than once"),
    ("unexpected", "completed, never submitted by the test"),
    ("mismatched", "hub and agents disagree"),
)


def _count(ledger: Ledger, name: str) -> int:
    value = getattr(ledger, name)
    return value if isinstance(value, int) else len(value)


def render_ledger_html(ledger: Ledger) -> str:
    """Small table of counts (as Jepsen prints them) and the ids of every problem category."""
    verdict = (
        '<span style="color:#1a7f37;font-weight:600">valid</span>'
        if ledger.valid
        else '<span style="color:#82071e;font-weight:600">NOT valid</span>'
    )
    rows = []
    for name, meaning in _ROWS:
        count = _count(ledger, name)
        bad = name in PROBLEM_CATEGORIES and count
        style = NUM_STYLE + (";color:#82071e;font-weight:600" if bad else "")
        rows.append(
            f'<tr style="{ROW_STYLE}"><td style="{TD_STYLE};font-family:monospace">{esc(name)}</td>'
            f'<td style="{style}">{count}</td>'
            f'<td style="{TD_STYLE};color:#57606a">{esc(meaning)}</td></tr>'
        )
    table = (
        '<table style="border-collapse:collapse;font-size:12px;table-layout:auto">'
        f'<thead><tr><th style="{TH_STYLE}">ledger</th><th style="{TH_STYLE}">count</th>'
        f'<th style="{TH_STYLE}"></th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    details = []
    for name in (*PROBLEM_CATEGORIES, "dead_lettered", "recovered", "ack_lost"):
        ids = getattr(ledger, name)
        if ids:
            shown = ", ".join(esc(i) for i in ids[:50])
            more = f" and {len(ids) - 50} more" if len(ids) > 50 else ""
            details.append(
                f'<div style="margin:3px 0"><b>{esc(name)}</b>: '
                f'<span style="font-family:monospace">{shown}</span>{more}</div>'
            )
    problems = describe_ledger_problems(ledger)
    problem_html = (
        '<pre style="white-space:pre-wrap;font-size:11px;background:#ffebe9;color:#82071e;'
        f'padding:6px 8px;border-radius:4px;margin:6px 0 0 0">{esc(problems)}</pre>'
        if problems
        else ""
    )
    return (
        f'<div style="{CARD_STYLE}"><div style="{HEAD_STYLE};margin-top:0">Task ledger: '
        f"{verdict}</div>{table}{''.join(details)}{problem_html}</div>"
    )
