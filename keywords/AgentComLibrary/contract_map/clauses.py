"""The clause list of the wire contract (``docs/contract/clauses.toml``), read into
:class:`Clause` records. Pure data: no Robot, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

CLAUSES_FILE = Path("docs") / "contract" / "clauses.toml"
TAG_PREFIX = "contract:"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ClauseFileError(ValueError):
    """The clause file is missing, not TOML, or a clause in it is malformed."""


@dataclass(frozen=True)
class Clause:
    """One clause: its id (the tag ``contract:<id>`` names it), the protocol section it
    comes from, a one-line statement, and why it is not tested (``''``: it must be)."""

    id: str
    section: str
    statement: str
    untested: str = ""

    @property
    def tag(self) -> str:
        return TAG_PREFIX + self.id


def project_root(start: Path) -> Path | None:
    """The project directory at or above ``start`` that holds the clause file."""
    for folder in [start, *start.parents]:
        if (folder / CLAUSES_FILE).is_file():
            return folder
    return None


def load(path: Path) -> list[Clause]:
    """The clauses of ``path`` in file order; :class:`ClauseFileError` when the file or a
    clause is malformed (unknown keys, a bad or repeated id, an empty statement)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ClauseFileError(f"cannot read the clause file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ClauseFileError(f"{path} is not valid TOML: {error}") from None
    entries = data.get("clause")
    if not isinstance(entries, list) or not entries:
        raise ClauseFileError(f"{path} has no [[clause]] entries")
    clauses: list[Clause] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        clauses.append(_clause(path, number, entry, seen))
    return clauses


def _clause(path: Path, number: int, entry: object, seen: set[str]) -> Clause:
    where = f"{path}, clause {number}"
    if not isinstance(entry, dict):
        raise ClauseFileError(f"{where}: not a table")
    unknown = set(entry) - {"id", "section", "statement", "untested"}
    if unknown:
        raise ClauseFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    values = {key: entry.get(key, "") for key in ("id", "section", "statement", "untested")}
    if not all(isinstance(v, str) for v in values.values()):
        raise ClauseFileError(f"{where}: id, section, statement and untested must be strings")
    clause_id = values["id"]
    if not ID_PATTERN.match(clause_id):
        raise ClauseFileError(f"{where}: id {clause_id!r} is not kebab-case")
    if clause_id in seen:
        raise ClauseFileError(f"{where}: id {clause_id!r} appears twice")
    seen.add(clause_id)
    if not values["statement"].strip() or not values["section"].strip():
        raise ClauseFileError(f"{where} ({clause_id}): section and statement must not be empty")
    return Clause(
        clause_id,
        values["section"].strip(),
        values["statement"].strip(),
        values["untested"].strip(),
    )
