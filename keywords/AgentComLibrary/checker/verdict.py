"""Run every rule over a view and phrase the outcome (pure, Robot-free)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..util.evidence import time_ordered
from .rules import RULES, Rule, Violation
from .view import View

PREFIX = "Contract rule '{rule}' broken: "
MAX_DETAILED = 3
MAX_EVIDENCE = 8
MAX_HUB_LOGGED = 10  # violations that get the hub's log lines of their moment
WELL_FORMED = "history-well-formed"


@dataclass
class Verdict:
    """What the checker found in one test's history."""

    rules: tuple[str, ...]
    events: int
    tasks: int
    connections: int
    violations: list[Violation] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # rule -> checker error
    seconds: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.violations and not self.errors

    def by_rule(self) -> dict[str, list[Violation]]:
        counts: dict[str, list[Violation]] = {name: [] for name in self.rules}
        for violation in self.violations:
            counts.setdefault(violation.rule, []).append(violation)
        return counts


def with_hub_log(verdict: Verdict, lines_for: Callable[[Violation], list[str]]) -> Verdict:
    """The verdict with the hub's log lines added to its first violations' evidence."""
    verdict.violations = [
        dataclasses.replace(v, hub_log=tuple(lines_for(v))) if index < MAX_HUB_LOGGED else v
        for index, v in enumerate(verdict.violations)
    ]
    return verdict


def check(view: View, rules: Sequence[Rule] = RULES) -> Verdict:
    """Every rule over the view; a rule that raises is reported, the others still run."""
    started = time.perf_counter()
    verdict = Verdict(
        rules=tuple(r.name for r in rules),
        events=len(view.events),
        tasks=len(view.tasks),
        connections=sum(1 for c in view.connections.values() if c.identified),
    )
    judged = view
    for rule in rules:
        try:
            found = rule.check(view if rule.reads_malformed else judged)
        except Exception as error:  # a checker bug must show, not hide the other rules
            verdict.errors[rule.name] = f"{type(error).__name__}: {error}"
            continue
        verdict.violations.extend(found)
        if rule.name == WELL_FORMED and found:  # a malformed record proves nothing more
            bad = {v.task_id for v in found}
            judged = dataclasses.replace(
                view, tasks={k: t for k, t in view.tasks.items() if k not in bad}
            )
    verdict.seconds = time.perf_counter() - started
    return verdict


def headline(violation: Violation, names: dict[str, str] | None = None) -> str:
    """``Contract rule 'x' broken: <text> [task …, agent '…']``."""
    where = []
    if violation.task_id:
        where.append(f"task {violation.task_id}")
    if violation.agent_id:
        name = (names or {}).get(violation.agent_id, violation.agent_id)
        where.append(f"agent '{name}'")
    suffix = f" [{', '.join(where)}]" if where else ""
    return PREFIX.format(rule=violation.rule) + violation.text + suffix


def failure_message(verdict: Verdict, names: dict[str, str] | None = None) -> str:
    """The test's failure text: starts with the first broken rule's name; then the
    evidence (times relative to the test start), then the other violations."""
    if not verdict.violations:
        rule, error = next(iter(verdict.errors.items()))
        return f"Contract checker failed in rule '{rule}': {error}"
    first, rest = verdict.violations[0], verdict.violations[1:]
    lines = [headline(first, names), "Evidence (seconds since the test started):"]
    lines += [f"  {line}" for line in time_ordered(first.evidence)[:MAX_EVIDENCE]]
    if first.hub_log:
        lines.append("The hub's log around it:")
        lines += [f"  {line}" for line in first.hub_log]
    if rest:
        counts: dict[str, int] = {}
        for violation in rest:
            counts[violation.rule] = counts.get(violation.rule, 0) + 1
        shown = ", ".join(f"'{rule}' x{n}" for rule, n in counts.items())
        lines.append(f"{len(rest)} more violation(s): {shown}; the first ones:")
        lines += [f"- {headline(v, names)}" for v in rest[:MAX_DETAILED]]
        if len(rest) > MAX_DETAILED:
            lines.append("- ... (all of them in the test's Contract checks panel)")
    for rule, error in verdict.errors.items():
        lines.append(f"Checker error in rule '{rule}': {error}")
    return "\n".join(lines)
