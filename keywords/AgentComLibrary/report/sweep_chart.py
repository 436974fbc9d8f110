"""The capacity sweep in the log: a table of its steps and an SVG chart of throughput and
p99 assignment latency against the number of agents, with the bars drawn as dashed lines.

Pure functions: the steps in, HTML out (inline styles, no scripts), every text escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..load.sweep import SweepStep
from .charts import AXIS, BAR, GRID, MUTED, WARN, esc, format_ms, nice_scale
from .styles import CARD_STYLE, HEAD_STYLE, TABLE_STYLE, TD_STYLE, TH_STYLE

WIDTH, HEIGHT = 560, 260
LEFT, RIGHT, TOP, BOTTOM = 58, 58, 26, 40
LATENCY = "#009E73"


def render_sweep(
    steps: Sequence[SweepStep], min_throughput: float | None, max_p99_ms: float | None
) -> str:
    """The sweep's card: headline (where a bar broke, if one did), table and chart."""
    broken = next((s for s in steps if s.problems(min_throughput, max_p99_ms)), None)
    bars = _bars_text(min_throughput, max_p99_ms)
    if broken is None:
        headline = f"Capacity sweep: every step within the bars ({bars})"
    else:
        problems = "; ".join(broken.problems(min_throughput, max_p99_ms))
        headline = f"Capacity sweep: the bars ({bars}) break at {broken.agents} agents: {problems}"
    rows = "".join(
        f"<tr><td style='{TD_STYLE}'>{s.agents}</td><td style='{TD_STYLE}'>{s.tasks}</td>"
        f"<td style='{TD_STYLE}'>{s.throughput:.0f}</td>"
        f"<td style='{TD_STYLE}'>{esc(_ms(s.p50_ms))}</td>"
        f"<td style='{TD_STYLE}'>{esc(_ms(s.p95_ms))}</td>"
        f"<td style='{TD_STYLE}'>{esc(_ms(s.p99_ms))}</td>"
        f"<td style='{TD_STYLE}'>{s.seconds:.1f} s</td>"
        f"<td style='{TD_STYLE}'>{esc('; '.join(s.problems(min_throughput, max_p99_ms)) or 'ok')}"
        "</td></tr>"
        for s in steps
    )
    head = "".join(
        f"<th style='{TH_STYLE}'>{h}</th>"
        for h in ("agents", "tasks", "tasks/s", "p50", "p95", "p99", "step took", "bars")
    )
    return (
        f'<div style="{CARD_STYLE}"><div style="{HEAD_STYLE}">{esc(headline)}</div>'
        f'<table style="{TABLE_STYLE}"><tr>{head}</tr>{rows}</table>'
        f"{sweep_chart(steps, min_throughput, max_p99_ms)}</div>"
    )


def sweep_chart(
    steps: Sequence[SweepStep], min_throughput: float | None, max_p99_ms: float | None
) -> str:
    """An SVG line chart: throughput (left axis) and p99 latency (right axis) per step."""
    if not steps:
        return ""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    t_top, t_step = nice_scale(max([s.throughput for s in steps] + [min_throughput or 0]))
    p99s = [s.p99_ms or 0 for s in steps]
    l_top, l_step = nice_scale(max([*p99s, max_p99_ms or 0, 1]))

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / len(steps))

    def y(value: float, top: float) -> float:
        return TOP + plot_h * (1 - value / top)

    label = "Capacity sweep: throughput and p99 assignment latency against agents"
    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{esc(label)}" font-family="Helvetica,Arial,sans-serif" font-size="11">'
        f"<title>{esc(label)}</title>"
    ]
    for n in range(round(t_top / t_step) + 1):
        yy = y(n * t_step, t_top)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>'
            + _tick(LEFT - 6, yy, "end", BAR, f"{n * t_step:g}")
        )
    parts.extend(
        _tick(LEFT + plot_w + 6, y(n * l_step, l_top), "start", LATENCY, format_ms(n * l_step))
        for n in range(round(l_top / l_step) + 1)
    )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="{AXIS}"/>'
        f'<text x="{LEFT}" y="{TOP - 10}" fill="{BAR}">tasks/s</text>'
        f'<text x="{LEFT + plot_w}" y="{TOP - 10}" text-anchor="end" fill="{LATENCY}">'
        "p99 assignment latency</text>"
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'fill="{MUTED}">agents</text>'
    )
    if min_throughput is not None:
        parts.append(_bar_line(y(min_throughput, t_top), plot_w, BAR))
    if max_p99_ms is not None:
        parts.append(_bar_line(y(max_p99_ms, l_top), plot_w, LATENCY))
    parts.append(_polyline([(x(i), y(s.throughput, t_top)) for i, s in enumerate(steps)], BAR))
    parts.append(_polyline([(x(i), y(v, l_top)) for i, v in enumerate(p99s)], LATENCY))
    for i, s in enumerate(steps):
        slow = s.throughput < (min_throughput or 0)
        late = max_p99_ms is not None and (s.p99_ms or 0) >= max_p99_ms
        parts.append(
            _dot(x(i), y(s.throughput, t_top), WARN if slow else BAR, f"{s.throughput:.0f}/s")
            + _dot(x(i), y(s.p99_ms or 0, l_top), WARN if late else LATENCY, _ms(s.p99_ms))
            + f'<text x="{x(i):.1f}" y="{TOP + plot_h + 15}" text-anchor="middle" '
            f'fill="{MUTED}">{s.agents}</text>'
        )
    return "".join(parts) + "</svg>"


def _tick(tx: float, yy: float, anchor: str, colour: str, text: str) -> str:
    return (
        f'<text x="{tx:.1f}" y="{yy + 4:.1f}" text-anchor="{anchor}" fill="{colour}">'
        f"{esc(text)}</text>"
    )


def _polyline(points: list[tuple[float, float]], colour: str) -> str:
    text = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polyline points="{text}" fill="none" stroke="{colour}" stroke-width="2"/>'


def _dot(cx: float, cy: float, colour: str, tip: str) -> str:
    return (
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}">'
        f"<title>{esc(tip)}</title></circle>"
    )


def _bar_line(yy: float, plot_w: int, colour: str) -> str:
    return (
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
        f'stroke="{colour}" stroke-dasharray="5 4"/>'
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else format_ms(value)


def _bars_text(min_throughput: float | None, max_p99_ms: float | None) -> str:
    bars = []
    if min_throughput is not None:
        bars.append(f"at least {min_throughput:,.10g} tasks/s")
    if max_p99_ms is not None:
        bars.append(f"p99 below {format_ms(max_p99_ms)}")
    return ", ".join(bars) or "no bars"
