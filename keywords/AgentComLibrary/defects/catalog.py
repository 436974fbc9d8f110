"""The known-defects file (TOML): what each defect is and what identifies its failures.

A file holds ``[[defect]]`` tables; each needs ``id`` and ``title`` and at least one of
``rules`` (contract rule names) or ``pattern`` (a regular expression for other failure
messages); ``tests`` (scenario ids) and ``versions`` (hub versions, ``*`` wildcards)
narrow it; ``comment`` holds the evidence. Any mistake raises :class:`DefectFileError`
naming the file, the entry (number, line, id) and the problem. Pure and Robot-free.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ..checker.rules import RULES
from ..util.errors import AgentComError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TABLE = "defect"
KEYS = ("id", "title", "rules", "tests", "pattern", "versions", "comment")
RULE_NAMES = tuple(rule.name for rule in RULES)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*defect[ \t]*\]\]", re.MULTILINE)


class DefectFileError(AgentComError):
    """The known-defects file cannot be used: unreadable, bad TOML or a bad entry."""


@dataclass(frozen=True)
class Defect:
    """One known defect and what identifies its failures."""

    id: str
    title: str
    rules: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    versions: tuple[str, ...] = ()
    comment: str = ""

    @property
    def tag(self) -> str:
        """The tag a test gets when its failure shows this defect: ``defect:<ID>``."""
        return f"defect:{self.id}"

    def applies_to_version(self, version: str) -> bool:
        """Whether the defect applies to a hub of ``version`` (empty: not given, so a
        version-scoped defect still applies)."""
        if not self.versions or not version:
            return True
        return any(fnmatchcase(version, wanted) for wanted in self.versions)

    def applies_to_test(self, test_ids: Iterable[str]) -> bool:
        wanted = {t.casefold() for t in self.tests}
        return not wanted or bool(wanted & {t.casefold() for t in test_ids})

    def criteria(self) -> str:
        """What identifies it, in words (for logs)."""
        parts = []
        if self.rules:
            parts.append("contract rule " + ", ".join(f"'{r}'" for r in self.rules))
        if self.pattern is not None:
            parts.append(f"message /{self.pattern.pattern}/")
        if self.tests:
            parts.append("in " + ", ".join(self.tests))
        if self.versions:
            parts.append("on hub " + ", ".join(self.versions))
        return "; ".join(parts)


@dataclass(frozen=True)
class Catalog:
    """The defects of one file."""

    path: str
    defects: tuple[Defect, ...]

    def by_id(self) -> dict[str, Defect]:
        return {d.id: d for d in self.defects}


def load(path: str | Path) -> Catalog:
    """Read and check the file at ``path``."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        raise DefectFileError(f"Known-defects file {source}: cannot be read: {reason}.") from None
    return parse(text, str(source))


def parse(text: str, path: str = "<text>") -> Catalog:
    """The catalog of a file's ``text`` (``path`` names it in errors)."""
    where = f"Known-defects file {path}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DefectFileError(f"{where}: not valid TOML: {error}.") from None
    unknown = sorted(set(data) - {TABLE})
    if unknown:
        raise DefectFileError(
            f"{where}: unknown top-level key(s) {', '.join(repr(k) for k in unknown)}; "
            f"each defect is a [[{TABLE}]] table."
        )
    entries = data.get(TABLE, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise DefectFileError(f"{where}: '{TABLE}' must be [[{TABLE}]] tables.")
    lines = [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]
    defects: list[Defect] = []
    for number, entry in enumerate(entries, start=1):
        line = lines[number - 1] if number <= len(lines) else None
        label = _label(where, number, line, entry)
        defect = _defect(entry, label)
        if any(d.id == defect.id for d in defects):
            raise DefectFileError(f"{label}: the id '{defect.id}' is used twice.")
        defects.append(defect)
    return Catalog(path=path, defects=tuple(defects))


def _label(where: str, number: int, line: int | None, entry: Mapping[str, Any]) -> str:
    at = f", line {line}" if line is not None else ""
    ident = entry.get("id")
    named = f", id '{ident}'" if isinstance(ident, str) and ident else ""
    return f"{where}, entry {number} ([[{TABLE}]]{at}{named})"


def _defect(entry: Mapping[str, Any], label: str) -> Defect:
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        raise DefectFileError(
            f"{label}: unknown key(s) {', '.join(repr(k) for k in unknown)} "
            f"(known: {', '.join(KEYS)})."
        )
    for key in ("id", "title"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DefectFileError(f"{label}: '{key}' is missing or empty; every defect needs one.")
    ident = entry["id"].strip()
    if not _ID.match(ident):
        raise DefectFileError(
            f"{label}: id '{ident}' may hold only letters, digits, '.', '_' and '-' "
            "(it becomes the tag defect:<id>)."
        )
    rules = _strings(entry, "rules", label)
    bad = [r for r in rules if r not in RULE_NAMES]
    if bad:
        raise DefectFileError(
            f"{label}: unknown contract rule(s) {', '.join(repr(r) for r in bad)} "
            f"(the checker's rules: {', '.join(RULE_NAMES)})."
        )
    pattern = _pattern(entry.get("pattern"), label)
    if not rules and pattern is None:
        raise DefectFileError(
            f"{label}: give 'rules' (contract rule names) or 'pattern' (a regular expression "
            "for failure messages), or both: without them no failure can be matched."
        )
    comment = entry.get("comment", "")
    if not isinstance(comment, str):
        raise DefectFileError(f"{label}: 'comment' must be a string.")
    return Defect(
        id=ident,
        title=entry["title"].strip(),
        rules=rules,
        tests=_strings(entry, "tests", label),
        pattern=pattern,
        versions=_strings(entry, "versions", label),
        comment=comment.strip(),
    )


def _strings(entry: Mapping[str, Any], key: str, label: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DefectFileError(
            f'{label}: \'{key}\' must be a list of non-empty strings, e.g. {key} = ["a", "b"].'
        )
    return tuple(v.strip() for v in value)


def _pattern(value: Any, label: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise DefectFileError(f"{label}: 'pattern' must be a non-empty string.")
    try:
        return re.compile(value)
    except re.error as error:
        raise DefectFileError(
            f"{label}: 'pattern' is not a valid regular expression: {error}."
        ) from None
