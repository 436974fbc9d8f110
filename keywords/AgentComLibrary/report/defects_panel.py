"""The "Known defects" block of a test's log: each part of the failure and the known
defect that explains it (id, title, what identifies it, the evidence comment), or NEW."""

from __future__ import annotations

from html import escape

from ..defects.judge import Judgement
from .styles import CARD_STYLE, HEAD_STYLE, NOTE_STYLE, ROW_STYLE, TABLE_STYLE, TD_STYLE, TH_STYLE

KNOWN_STYLE = "color:#9a6700;font-weight:600"
NEW_STYLE = "color:#82071e;font-weight:600"
WRAP = ";white-space:pre-wrap"
PRE = "white-space:pre-wrap"
VERDICTS = {
    "known": "every part of this failure is a known defect: the test is skipped (known-defect)",
    "mixed": "part of this failure is NEW: the test stays failed",
    "new": "no known defect explains this failure: the test stays failed",
    "none": "nothing failed",
}


def render_judgement(judgement: Judgement, path: str) -> str:
    """HTML: the verdict, one row per part of the failure, then each matched defect."""
    by_id = {d.id: d for d in judgement.matched}
    rows = []
    for part in judgement.parts:
        if part.known:
            who = "; ".join(f"{i} {by_id[i].title}" for i in part.defects)
            cell = f'<span style="{KNOWN_STYLE}">known</span>: {escape(who)}'
        else:
            cell = f'<span style="{NEW_STYLE}">NEW</span>'
        rows.append(
            f'<tr style="{ROW_STYLE}"><td style="{TD_STYLE}{WRAP}">{escape(part.summary())}'
            f'</td><td style="{TD_STYLE}{WRAP}">{cell}</td></tr>'
        )
    defects = "".join(
        f'<div style="{NOTE_STYLE}"><b>{escape(d.id)}</b> {escape(d.title)}: '
        f"{escape(d.criteria())}"
        + (f'<br><span style="{PRE}">{escape(d.comment)}</span>' if d.comment else "")
        + "</div>"
        for d in judgement.matched
    )
    version = judgement.version or "not given (HUB_VERSION): version-scoped defects applied"
    return (
        f'<div style="{CARD_STYLE}"><div style="{HEAD_STYLE}">Known defects: '
        f"{escape(VERDICTS[judgement.verdict])}</div>"
        f'<table style="{TABLE_STYLE}"><tr><th style="{TH_STYLE}">failure</th>'
        f'<th style="{TH_STYLE}">explained by</th></tr>{"".join(rows)}</table>{defects}'
        f'<div style="{NOTE_STYLE}">file {escape(path)}; hub version {escape(version)}</div>'
        "</div>"
    )
