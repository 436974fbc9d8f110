"""The probes panel: a wire-probe test's own checks, each request or frame sent, what the
contract expects back, and what the hub answered; failed checks stand out.

HTML in the style of :mod:`.summary`; starts with ``SUMMARY_MARKER`` so that
``SummaryFirst`` moves it to the top of the test.
"""

from __future__ import annotations

from dataclasses import dataclass

from .charts import esc
from .styles import CARD_STYLE, HEAD_STYLE, NOTE_STYLE, ROW_STYLE, TABLE_STYLE, TD_STYLE, TH_STYLE
from .summary import SUMMARY_MARKER

FAILED_ROW = "background:#ffebe9"
CELL_CHARS = 300
MAX_ROWS = 60
COLUMNS = (
    ("#", "24px"),
    ("Check", "150px"),
    ("Sent", "34%"),
    ("Expected", "22%"),
    ("Got", "auto"),
    ("", "20px"),
)


@dataclass(frozen=True)
class ProbeCheck:
    """One check of a contract keyword: what was sent, expected and got."""

    keyword: str
    request: str
    expected: str
    got: str
    ok: bool


def _cell(text: str, style: str = "") -> str:
    shown = text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "\u2026"
    css = f"{TD_STYLE};font-family:monospace;font-size:11px;word-break:break-word{style}"
    tip = f' title="{esc(text)}"' if shown != text else ""
    return f'<td style="{css}"{tip}>{esc(shown)}</td>'


def render_probes_panel(checks: list[ProbeCheck]) -> str:
    """The panel: one row per check, in order."""
    failed = sum(1 for c in checks if not c.ok)
    state = (
        f'<span style="color:#82071e;font-weight:600">{failed} failed</span>'
        if failed
        else '<span style="color:#1a7f37;font-weight:600">all as the contract says</span>'
    )
    head = "".join(f'<th style="{TH_STYLE};width:{width}">{h}</th>' for h, width in COLUMNS)
    rows = []
    for number, check in enumerate(checks[:MAX_ROWS], start=1):
        mark = "&#10003;" if check.ok else "&#10007;"
        colour = "#1a7f37" if check.ok else "#82071e;font-weight:600"
        rows.append(
            f'<tr style="{ROW_STYLE}{"" if check.ok else ";" + FAILED_ROW}">'
            f'<td style="{TD_STYLE};color:#57606a;text-align:right">{number}</td>'
            f'<td style="{TD_STYLE};white-space:nowrap">{esc(check.keyword)}</td>'
            + _cell(check.request)
            + _cell(check.expected)
            + _cell(check.got)
            + f'<td style="{TD_STYLE};color:{colour}">{mark}</td></tr>'
        )
    more = (
        f'<div style="{NOTE_STYLE}">... and {len(checks) - MAX_ROWS} more checks</div>'
        if len(checks) > MAX_ROWS
        else ""
    )
    return (
        f'{SUMMARY_MARKER}<div style="{CARD_STYLE}">'
        f'<div style="{HEAD_STYLE}">Wire contract checks of this test: {len(checks)} '
        f"checked, {state}</div>"
        f'<table style="{TABLE_STYLE};white-space:normal;table-layout:fixed">'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
        f'<div style="{NOTE_STYLE}">Each row: a request or frame the test sent, the answer '
        "the contract prescribes and the hub's answer.</div></div>"
    )
