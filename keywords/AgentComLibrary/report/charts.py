"""Hand-written SVG charts for the test summary.

Pure functions: plain data in, one ``<svg>`` string out. Every string that reaches the
markup is escaped here. No scripts, no fonts or images from elsewhere, no namespace URL
(inline SVG in an HTML page does not need one), so the log stays self-contained.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

FONT = "Helvetica,Arial,sans-serif"
TEXT = "#1f2328"
MUTED = "#57606a"
GRID = "#e1e4e8"
AXIS = "#8c959f"
BAR = "#0072B2"
WARN = "#D55E00"
QUEUED = "#c4ccd5"
DONE = "#1f2328"
RETRY = "#9a6700"
DEAD = "#a40e26"

# Okabe-Ito and Paul Tol colours that stay apart for the common colour-vision deficiencies.
# Vermillion is left out: it marks reclaims and values above a limit.
AGENT_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#882255",
    "#44AA99",
    "#999933",
    "#332288",
    "#AA4499",
)

MARK_KINDS = ("completed", "reclaimed", "retry", "dead_letter")


def esc(value: object) -> str:
    """Escape any value for HTML/SVG text and attribute values."""
    return escape(str(value), quote=True)


def format_ms(ms: float) -> str:
    """Human-readable duration: ``340 ms``, ``1.25 s``, ``2.5 min``."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    if ms < 1000:
        return f"{sign}{ms:.0f} ms"
    if ms < 60_000:
        return f"{sign}{ms / 1000:.3g} s"
    if ms < 3_600_000:
        return f"{sign}{ms / 60_000:.3g} min"
    return f"{sign}{ms / 3_600_000:.3g} h"


def natural_key(text: str) -> list[object]:
    """Sort key that puts ``worker2`` before ``worker10``."""
    parts = re.split(r"([0-9]+)", text)
    return [int(part) if i % 2 else part.lower() for i, part in enumerate(parts)]


def agent_colours(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per agent name (natural name order, palette repeats after 10)."""
    ordered = sorted(set(names), key=natural_key)
    return {name: AGENT_PALETTE[i % len(AGENT_PALETTE)] for i, name in enumerate(ordered)}


def nice_scale(max_value: float, ticks: int = 5) -> tuple[float, float]:
    """Axis maximum and tick step: a 1/2/2.5/5 x 10^n step, at most ``ticks`` steps."""
    if max_value <= 0:
        return 1.0, 1.0
    raw = max_value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    best = (math.ceil(max_value / (10 * magnitude) - 1e-9) * 10 * magnitude, 10 * magnitude)
    for factor in (1, 2, 2.5, 5):
        step = factor * magnitude
        top = math.ceil(max_value / step - 1e-9) * step
        if step >= raw * (1 - 1e-9) and top < best[0] - 1e-9:
            best = (top, step)
    return best


def _num(value: float) -> str:
    """Compact coordinate text."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{esc(label)}" font-family="{FONT}" font-size="11" fill="{TEXT}"'
        ' style="max-width:100%;height:auto;display:block;overflow:visible">'
        f"<title>{esc(label)}</title>"
    )


def _svg_close(parts: list[str]) -> str:
    """The ``<svg>`` that ``parts`` (begun with `_svg_open`) make, closed."""
    return "".join(parts) + "</svg>"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# --- horizontal bars -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: a row of :func:`horizontal_bars` or a column of :func:`column_chart`.
    In a column chart a ``value`` of None draws a small grey stub (no value, e.g. never
    assigned)."""

    label: str
    value: float | None
    tooltip: str
    color: str = BAR


Column = Bar  # the columns of column_chart are the same records


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    label: str,
    width: int = 440,
    value_format: Callable[[float], str] = lambda v: f"{v:.3g}",
) -> str:
    """Bar per row, label on the left, value printed at the end of the bar."""
    row_h = 20 if len(bars) <= 12 else 15
    longest = max((len(_truncate(b.label, 22)) for b in bars), default=4)
    label_w = min(150, max(48, 7 * longest + 12))
    value_w = 44
    plot_w = width - label_w - value_w
    height = max(1, len(bars)) * row_h + 6
    top = max((b.value or 0 for b in bars), default=0)
    scale = nice_scale(top, 4)[0] if top > 0 else 1
    parts = [_svg_open(width, height, label)]
    if not bars:
        parts.append(f'<text x="0" y="14" fill="{MUTED}">No agents in this test</text></svg>')
        return "".join(parts)
    parts.append(f'<line x1="{label_w}" y1="0" x2="{label_w}" y2="{height - 4}" stroke="{AXIS}"/>')
    for i, bar in enumerate(bars):
        y = i * row_h + 3
        value = bar.value or 0
        w = 0.0 if value <= 0 else max(2.0, plot_w * value / scale)
        base = _num(y + (row_h - 6) / 2 + 4)
        parts.append(
            f"<g><title>{esc(bar.tooltip)}</title>"
            f'<text x="{label_w - 6}" y="{base}" text-anchor="end">'
            f"{esc(_truncate(bar.label, 22))}</text>"
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{row_h - 6}" rx="2"'
            f' fill="{bar.color}"/>'
            f'<text x="{_num(label_w + w + 5)}" y="{base}" fill="{MUTED}">'
            f"{esc(value_format(value))}</text></g>"
        )
    return _svg_close(parts)


# --- columns (one per task or group of tasks) --------------------------------------------------


def column_chart(
    columns: Sequence[Column],
    *,
    label: str,
    width: int = 460,
    height: int = 190,
    y_max: float | None = None,
    limit: float | None = None,
    limit_label: str = "",
    value_format: Callable[[float], str] = format_ms,
) -> str:
    """Vertical columns with a y axis, gridlines, and an optional dashed limit line."""
    left, right, top, bottom = 54, 12, 12, 22
    plot_w = width - left - right
    plot_h = height - top - bottom
    values = [c.value for c in columns if c.value is not None]
    data_max = max([*values, 0])
    scale, step = nice_scale(max(data_max, y_max or 0), 4)
    base = top + plot_h
    parts = [_svg_open(width, height, label)]
    tick = 0.0
    while tick <= scale + step / 1000:
        y = base - plot_h * tick / scale
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}"'
            f' stroke="{GRID}"/>'
            f'<text x="{left - 5}" y="{_num(y + 4)}" text-anchor="end" fill="{MUTED}"'
            f' font-size="10">{esc(value_format(tick) if tick else "0")}</text>'
        )
        tick += step
    n = max(1, len(columns))
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.72) if slot >= 3 else slot
    label_every = max(1, math.ceil(n / 12))
    for i, col in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2
        if col.value is None:
            parts.append(
                f'<rect x="{_num(x)}" y="{base - 2}" width="{_num(bar_w)}" height="2"'
                f' fill="{QUEUED}"><title>{esc(col.tooltip)}</title></rect>'
            )
        else:
            h = 0.0 if col.value <= 0 else max(1.0, plot_h * min(col.value, scale) / scale)
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(base - h)}" width="{_num(bar_w)}"'
                f' height="{_num(max(h, 0.5))}" fill="{col.color}">'
                f"<title>{esc(col.tooltip)}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{_num(left + i * slot + slot / 2)}" y="{height - 6}"'
                f' text-anchor="middle" fill="{MUTED}" font-size="10">{esc(col.label)}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{AXIS}"/>'
    )
    if limit is not None and 0 < limit <= scale:
        y = base - plot_h * limit / scale
        parts.append(
            f"<g><title>{esc(limit_label)}</title>"
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}"'
            f' stroke="{WARN}" stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{width - right}" y="{_num(y - 4)}" text-anchor="end" fill="{WARN}"'
            f' font-size="10">{esc(limit_label)}</text></g>'
        )
    return _svg_close(parts)


# --- timeline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of one task's life: queued (grey) or with an agent (agent colour)."""

    start: float
    end: float
    color: str
    tooltip: str
    queued: bool = False
    unknown: bool = False


@dataclass(frozen=True)
class Mark:
    """A point event on a task's row; ``kind`` is one of MARK_KINDS."""

    at: float
    kind: str
    tooltip: str


@dataclass
class TimelineRow:
    """One task: its label, hover text, segments and marks (times in ms from the origin)."""

    label: str
    tooltip: str
    segments: list[Segment] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    key: str = ""  # short row number, drawn right-aligned before the label
    note: str = ""  # what was still open at the end, drawn right of the plot


@dataclass(frozen=True)
class LegendItem:
    """A legend entry: ``swatch`` (colour), ``queued`` (the queue bar), ``note`` (text only),
    or one of MARK_KINDS."""

    label: str
    kind: str = "swatch"
    color: str = BAR


def _mark_svg(kind: str, x: float, cy: float, size: float, tooltip: str) -> str:
    title = f"<title>{esc(tooltip)}</title>" if tooltip else ""
    if kind == "completed":
        return (
            f'<circle cx="{_num(x)}" cy="{_num(cy)}" r="{_num(size)}" fill="{DONE}"'
            f' stroke="#fff" stroke-width="1">{title}</circle>'
        )
    if kind == "reclaimed":
        s = size
        return (
            f'<path d="M{_num(x - s)} {_num(cy - s)}L{_num(x + s)} {_num(cy + s)}'
            f'M{_num(x - s)} {_num(cy + s)}L{_num(x + s)} {_num(cy - s)}" stroke="{WARN}"'
            f' stroke-width="2.2" stroke-linecap="round">{title}</path>'
        )
    if kind == "retry":
        s = size * 1.15
        return (
            f'<path d="M{_num(x - s)} {_num(cy - s)}H{_num(x + s)}L{_num(x)} {_num(cy + s)}Z"'
            f' fill="{RETRY}" stroke="#fff" stroke-width="0.8">{title}</path>'
        )
    s = size * 0.95
    return (
        f'<rect x="{_num(x - s)}" y="{_num(cy - s)}" width="{_num(2 * s)}"'
        f' height="{_num(2 * s)}" fill="{DEAD}" stroke="#fff" stroke-width="0.8">{title}</rect>'
    )


def _legend(items: Sequence[LegendItem], width: int) -> tuple[str, int]:
    """Legend laid out in lines that fit ``width``; returns markup and its height."""
    parts: list[str] = []
    x, y, line_h = 0.0, 0.0, 16
    for item in items:
        text = _truncate(item.label, 24)
        item_w = (0 if item.kind == "note" else 18) + 6.2 * len(text) + 14
        if x > 0 and x + item_w > width:
            x, y = 0.0, y + line_h
        cy = y + 8
        if item.kind == "note":
            parts.append(
                f'<text x="{_num(x)}" y="{_num(cy + 4)}" fill="{MUTED}">{esc(text)}</text>'
            )
            x += 6.2 * len(text) + 14
            continue
        if item.kind == "swatch":
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(cy - 5)}" width="12" height="10" rx="2"'
                f' fill="{item.color}"/>'
            )
        elif item.kind == "queued":
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(cy - 2)}" width="12" height="4" fill="{QUEUED}"/>'
            )
        else:
            parts.append(_mark_svg(item.kind, x + 6, cy, 4, ""))
        parts.append(
            f'<text x="{_num(x + 17)}" y="{_num(cy + 4)}" fill="{MUTED}">{esc(text)}</text>'
        )
        x += item_w
    return "".join(parts), int(y + line_h + 6)


def timeline(
    rows: Sequence[TimelineRow],
    *,
    span_ms: float,
    legend: Sequence[LegendItem],
    label: str,
    width: int = 920,
    end_ms: float | None = None,
    end_label: str = "",
) -> str:
    """Gantt-like rows: time on x (ms from the origin), one row per task.

    Rows with a ``note`` get it printed right of the plot (in a column that is only there
    when some row has one); ``end_ms`` draws a dashed line labelled ``end_label`` there.
    """
    label_w = 112
    notes = max((len(row.note) for row in rows), default=0)
    right = 14 if not notes else min(240, 14 + int(5.6 * notes))
    plot_w = width - label_w - right
    n = max(1, len(rows))
    row_h = 16 if n <= 30 else 12 if n <= 60 else 9
    legend_svg, legend_h = _legend(legend, width)
    axis_h = 16
    top = legend_h + axis_h
    height = top + n * row_h + 6
    scale, step = nice_scale(max(span_ms, 1), 8)
    parts = [_svg_open(width, height, label), legend_svg]

    def px(t: float) -> float:
        return label_w + plot_w * max(0.0, min(t, scale)) / scale

    tick = 0.0
    while tick <= scale + step / 1000:
        x = px(tick)
        parts.append(
            f'<line x1="{_num(x)}" y1="{top - 3}" x2="{_num(x)}" y2="{height - 4}"'
            f' stroke="{GRID}"/>'
            f'<text x="{_num(x)}" y="{top - 6}" text-anchor="middle" fill="{MUTED}"'
            f' font-size="10">{esc(format_ms(tick) if tick else "0")}</text>'
        )
        tick += step
    label_size = "10" if row_h >= 12 else "8"
    for i, row in enumerate(rows):
        y = top + i * row_h
        cy = y + row_h / 2
        bar_h = row_h - 4
        key = (
            f'<text x="26" y="{_num(cy + 3.5)}" text-anchor="end" fill="{MUTED}">'
            f"{esc(row.key)}</text>"
            if row.key
            else ""
        )
        parts.append(
            f'<g font-size="{label_size}"><title>{esc(row.tooltip)}</title>{key}'
            f'<text x="{32 if row.key else 0}" y="{_num(cy + 3.5)}" font-family="monospace">'
            f"{esc(row.label)}</text></g>"
        )
        for seg in row.segments:
            x1, x2 = px(seg.start), px(seg.end)
            w = max(x2 - x1, 1.5)
            if seg.unknown:
                parts.append(
                    f'<line x1="{_num(x1)}" y1="{_num(cy)}" x2="{_num(x1 + w)}" y2="{_num(cy)}"'
                    f' stroke="{QUEUED}" stroke-dasharray="2 2"><title>{esc(seg.tooltip)}'
                    "</title></line>"
                )
            elif seg.queued:
                parts.append(
                    f'<rect x="{_num(x1)}" y="{_num(cy - 2)}" width="{_num(w)}" height="4"'
                    f' fill="{QUEUED}"><title>{esc(seg.tooltip)}</title></rect>'
                )
            else:
                parts.append(
                    f'<rect x="{_num(x1)}" y="{_num(y + 2)}" width="{_num(w)}"'
                    f' height="{_num(bar_h)}" rx="1.5" fill="{seg.color}">'
                    f"<title>{esc(seg.tooltip)}</title></rect>"
                )
        size = max(2.5, min(4.5, row_h * 0.3))
        for mark in row.marks:
            parts.append(_mark_svg(mark.kind, px(mark.at), cy, size, mark.tooltip))
        if row.note:
            parts.append(
                f'<text x="{_num(label_w + plot_w + 6)}" y="{_num(cy + 3.5)}" fill="{WARN}"'
                f' font-size="{label_size}">{esc(_truncate(row.note, 44))}'
                f"<title>{esc(row.note)}</title></text>"
            )
    if end_ms is not None:
        x = px(end_ms)
        parts.append(
            f"<g><title>{esc(end_label)}</title>"
            f'<line x1="{_num(x)}" y1="{top - 3}" x2="{_num(x)}" y2="{height - 4}"'
            f' stroke="{WARN}" stroke-dasharray="4 3"/></g>'
        )
    return _svg_close(parts)
