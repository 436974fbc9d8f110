"""The explorer's story in the log: seed, budgets, examples, shrinking steps, the finding
and the reproduction (Robot-free HTML and text)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .search import SearchResult


def summary(result: SearchResult, hub: str) -> str:
    """One paragraph: what was searched, for how long, and what came of it."""
    budget = result.budget
    text = (
        f"Explored {result.examples} generated scenario(s) against {hub} in "
        f"{result.seconds:.1f} s (seed {result.seed}; budget: {budget.duration:g} s to find, "
        f"{budget.shrink_time:g} s to shrink, up to {budget.max_operations} operations per "
        f"scenario, {budget.max_examples} scenarios); {result.stopped}."
    )
    passing = result.examples - result.failing
    if passing:
        text += f" A passing scenario took {result.seconds_passing / passing:.2f} s on average"
        if result.failing:
            text += f", a failing one {result.seconds_failing / result.failing:.2f} s"
        text += "."
    if result.finding is not None:
        text += (
            f" First failure after {result.found_at:.1f} s, in a scenario of "
            f"{result.first_operations} operation(s): {result.finding}; shrunk to "
            f"{len(result.best_plan)} operation(s) in {len(result.steps)} step(s)."
        )
    return text


def shrink_table(result: SearchResult) -> str:
    """The shrinking steps, one row each (HTML)."""
    rows = [
        f"<tr><td>{n}</td><td>{step.operations}</td><td>{step.lines}</td>"
        f"<td>{step.at:.1f} s</td></tr>"
        for n, step in enumerate(result.steps, start=1)
    ]
    if not rows:
        return "<p>No smaller scenario failed the same way: the first failure is minimal.</p>"
    return (
        '<table class="agentcom"><tr><th>step</th><th>operations</th><th>lines</th>'
        "<th>found at</th></tr>" + "".join(rows) + "</table>"
    )


def replay_note(failed: int, replays: int) -> str:
    if replays == 0:
        return "The reproduction was not replayed (replays=0)."
    how = "every time" if failed == replays else f"{failed} of {replays} times"
    return f"Replayed {replays} time(s) in this run, the shrunk scenario failed the same way {how}."


def fresh_note(fresh: bool, examples: int, seconds: float, hub: str) -> str:
    """Whether each scenario had a hub of its own state, and what that cost."""
    if fresh:
        each = seconds / examples if examples else 0.0
        return (
            "Each scenario ran on the hub restarted with fresh state (the library starts "
            f"this hub): {each:.2f} s per scenario on average, {seconds:.1f} s in all. A "
            "fault or defect counted over the hub's life (e.g. every 5th assignment) "
            "depends on that scenario alone, as in the reproduction, which opens a hub of "
            "its own."
        )
    return (
        f"The hub at {hub} is not started by the library, so it cannot be given a fresh "
        "state: the scenarios ran one after another on its state, and a fault or defect "
        "counted over the hub's life (e.g. every 5th assignment) depends on the scenarios "
        "before. A reproduction run alone joins that hub too and may then pass."
    )


def determinism_note(restarted: bool) -> str:
    """Where a seed does not fix the run: the hub is live."""
    notes = [
        "The seed fixes which scenarios are drawn and in which order; a live hub decides "
        "timing (which agent gets a task first, whether an agent has received a task when "
        "it reports), so a scenario can pass once and fail once. Each scenario runs once "
        "and its verdict is kept, so shrinking never sees a flip; the replays below show "
        "how steady the reproduction is."
    ]
    if restarted:
        notes.append("Hub restarts take as long as the hub takes to start.")
    return " ".join(notes)


def pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def others(result: SearchResult) -> str:
    if not result.others:
        return ""
    items: Sequence[str] = [f"{name} (x{count})" for name, count in result.others.items()]
    return (
        "While shrinking, some scenarios failed another way (not shrunk; rerun with "
        f"another seed to chase them): {'; '.join(items)}."
    )


SEVERAL = "Several failures occurred:\n\n"  # Robot's own wording (see defects/judge.py)
HEAD_LINES = 12
_MORE = re.compile(r"^\d+ more violation\(s\): .*; the first ones:$")


def failure_message(result: SearchResult, path: object) -> str:
    """The keyword's failure: the shrunk scenario's failure first, as an ordinary test's
    (``Contract rule 'x' broken: ...`` names the rules, so known defects are matched the
    same way), then what the explorer found and where the reproduction is; each other kind
    of failure seen while shrinking is a failure of its own (Robot's ``Several failures
    occurred`` list), so a known defect never hides a new one."""
    best = result.best
    assert result.finding is not None and best is not None and best.finding is not None
    found = (
        f"Explore Scenarios found: {result.finding} (seed {result.seed}; scenario shrunk "
        f"from {result.first_operations} to {len(result.best_plan)} operation(s)). "
        f"Reproduction: {path}"
    )
    first = f"{head(best.finding.message)}\n\n{found}"
    if not result.others:
        return first
    parts = [first]
    for name, count in result.others.items():
        parts.append(
            f"{_first_line(result.other_findings.get(name), name)}\n(seen in {count} other "
            "scenario(s) while shrinking; not shrunk: rerun with another seed to chase it)"
        )
    return SEVERAL + "\n\n".join(f"{n}) {part}" for n, part in enumerate(parts, start=1))


def head(message: str, lines: int = HEAD_LINES) -> str:
    """The first ``lines`` lines of a failure; a contract failure's ``N more
    violation(s)`` line is kept when it falls beyond them (it names the other rules)."""
    parts = message.strip().splitlines() or [message]
    if len(parts) <= lines:
        return "\n".join(parts)
    kept = [*parts[:lines], "..."]
    kept += [line for line in parts[lines:] if _MORE.match(line)]
    return "\n".join(kept)


def _first_line(finding: object, name: str) -> str:
    message = str(getattr(finding, "message", "") or "").strip()
    return message.splitlines()[0] if message else name
