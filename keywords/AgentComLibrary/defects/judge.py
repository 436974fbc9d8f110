"""Whether a test's failure is explained by known defects: split Robot's failure message
into its parts, match each part against the catalog, and phrase the outcome. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .catalog import Catalog, Defect

KNOWN_TAG = "known-defect"
SKIP_PREFIX = re.compile(r"^Failed test skipped using .*?\n\n(?:Known defects?: .*?\n\n)?", re.S)
ORIGINAL = "Original failure:\n"
SEVERAL = "Several failures occurred:\n\n"
ALSO_TEARDOWN = "\n\nAlso teardown failed:\n"
_NUMBERED = re.compile(r"\n\n(?=\d+\) )")
_CONTRACT = re.compile(r"^Contract rule '([^']+)' broken: ")
_MORE = re.compile(r"^\d+ more violation\(s\): (.*?); the first ones:$", re.M)
_MORE_RULE = re.compile(r"'([^']+)' x\d+")
SUMMARY_CHARS = 160

Verdict = str  # "known", "mixed", "new", "none"


@dataclass(frozen=True)
class Part:
    """One failure of a test: a broken contract rule, or another failure message."""

    kind: str  # "rule" or "message"
    text: str  # the rule name, or the message
    defects: tuple[str, ...] = ()  # ids of the defects that explain it

    @property
    def known(self) -> bool:
        return bool(self.defects)

    def summary(self) -> str:
        """``contract rule 'x'`` or the message's first line, cut."""
        if self.kind == "rule":
            return f"contract rule '{self.text}'"
        line = self.text.strip().splitlines()[0] if self.text.strip() else "(empty message)"
        return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 3] + "..."


@dataclass(frozen=True)
class Judgement:
    """The outcome for one test."""

    parts: tuple[Part, ...] = ()
    matched: tuple[Defect, ...] = ()  # the defects that explain a part, in catalog order
    version: str = ""

    @property
    def verdict(self) -> Verdict:
        if not self.parts:
            return "none"
        known = [p.known for p in self.parts]
        if all(known):
            return "known"
        return "mixed" if any(known) else "new"

    @property
    def tags(self) -> list[str]:
        """``known-defect`` when every part is known, and ``defect:<ID>`` per defect."""
        tags = [KNOWN_TAG] if self.verdict == "known" else []
        return tags + [d.tag for d in self.matched]

    def new_parts(self) -> list[Part]:
        return [p for p in self.parts if not p.known]

    def known_text(self) -> str:
        """``RH-1 Title (contract rule 'x'); RH-2 ...``: each matched defect and the parts
        it explains."""
        items = []
        for defect in self.matched:
            explained = [p.summary() for p in self.parts if defect.id in p.defects]
            items.append(f"{defect.id} {defect.title} ({'; '.join(explained)})")
        return "; ".join(items)

    def note(self) -> str:
        """The line added to the test's message (empty when no defect matched)."""
        if not self.matched:
            return ""
        known = f"Known defect{'s' if len(self.matched) > 1 else ''}: {self.known_text()}."
        if self.verdict == "known":
            return known
        new = "; ".join(p.summary() for p in self.new_parts())
        return f"NEW failure, not a known defect: {new}. {known}"


@dataclass
class Failure:
    """What a test's failure consists of: contract rules broken, other messages."""

    rules: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def original_message(message: str) -> str:
    """Robot's message without a skip-on-failure wrapper (``Failed test skipped using
    ... Original failure:``)."""
    match = SKIP_PREFIX.match(message)
    if match and message[match.end() :].startswith(ORIGINAL):
        return message[match.end() + len(ORIGINAL) :]
    return message


def split_message(message: str) -> list[str]:
    """The separate failures in one of Robot's test messages: the body's, the setup's and
    the teardown's, each of a ``Several failures occurred`` list on its own."""
    parts: list[str] = []
    for chunk in original_message(message).split(ALSO_TEARDOWN):
        for prefix in ("Setup failed:\n", "Teardown failed:\n"):
            if chunk.startswith(prefix):
                chunk = chunk[len(prefix) :]
        if chunk.startswith(SEVERAL):
            items = _NUMBERED.split(chunk[len(SEVERAL) :])
            parts += [re.sub(r"^\d+\) ", "", item, count=1) for item in items]
        elif chunk.strip():
            parts.append(chunk)
    return [p for p in parts if p.strip()]


def failure_of(messages: Iterable[str], broken_rules: Iterable[str] = ()) -> Failure:
    """The failure of a test from its message(s) and the contract checker's broken rules
    (a ``Contract rule ... broken`` message counts as the rules it names)."""
    failure = Failure(rules=list(dict.fromkeys(broken_rules)))
    for message in messages:
        for part in split_message(message):
            named = contract_rules_in(part)
            if named:
                failure.rules += [r for r in named if r not in failure.rules]
            else:
                failure.messages.append(part)
    return failure


def contract_rules_in(message: str) -> list[str]:
    """The rules a contract checker failure names (first and ``N more violation(s)``)."""
    first = _CONTRACT.match(message)
    if not first:
        return []
    rules = [first.group(1)]
    more = _MORE.search(message)
    if more:
        rules += [r for r in _MORE_RULE.findall(more.group(1)) if r not in rules]
    return rules


def judge(
    catalog: Catalog, failure: Failure, test_ids: Sequence[str], version: str = ""
) -> Judgement:
    """Match each part of ``failure`` against the defects that apply to this test and
    hub version: a rule part against ``rules``, a message part against ``pattern``."""
    applicable = [
        d for d in catalog.defects if d.applies_to_version(version) and d.applies_to_test(test_ids)
    ]
    parts: list[Part] = []
    for rule in failure.rules:
        ids = tuple(d.id for d in applicable if rule in d.rules)
        parts.append(Part("rule", rule, ids))
    for message in failure.messages:
        ids = tuple(d.id for d in applicable if d.pattern is not None and d.pattern.search(message))
        parts.append(Part("message", message, ids))
    used = {i for p in parts for i in p.defects}
    matched = tuple(d for d in catalog.defects if d.id in used)
    return Judgement(parts=tuple(parts), matched=matched, version=version)
