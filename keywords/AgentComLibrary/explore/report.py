"""The explorer's story in the log: seed, budgets, examples, shrinking steps, the finding
and the reproduction (Robot-free HTML and text)."""

from __future__ import annotations

import html
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


def determinism_note(restarted: bool) -> str:
    """Where a seed does not fix the run: the hub is live."""
    notes = [
        "The seed fixes which scenarios are drawn and in which order; a live hub decides "
        "timing (which agent gets a task first, whether an agent has received a task when "
        "it reports), so a scenario can pass once and fail once. Each scenario runs once "
        "and its verdict is kept, so shrinking never sees a flip; the replays below show "
        "how steady the reproduction is.",
        "A fault or defect counted across the hub's life (e.g. every 5th assignment) "
        "depends on the scenarios before, not on this one alone.",
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
