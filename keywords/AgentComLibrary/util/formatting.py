"""Plain-text pieces of failure messages and logs: tables, id lists, plurals, agent names
(no knowledge of the hub's records: ``report/task_text.py`` renders those)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def short_agent(agent_id: str | None, names: Mapping[str, str]) -> str:
    """The short name a test uses for an agent, else the hub's agent id, ``-`` for none."""
    if not agent_id:
        return "-"
    return names.get(agent_id, agent_id)


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """An aligned plain-text table."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in col) for col in zip(header, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, body)])


def id_list(ids: Iterable[str], limit: int = 10) -> str:
    """``a, b, c`` capped at ``limit`` items, with the count of the rest."""
    items = list(ids)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text or "none"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def verb(count: int, singular: str) -> str:
    """``is``/``was`` agreeing with ``count`` (``are``/``were`` unless it is 1)."""
    return singular if count == 1 else {"is": "are", "was": "were"}[singular]


def status_word(status: object) -> str:
    """``dead_letter`` -> ``dead letter``."""
    return str(status).replace("_", " ")


def known_names(names: Iterable[str]) -> str:
    """``a, b`` sorted, or ``none``: what exists, for a "no such name" failure."""
    return ", ".join(sorted(names)) or "none"
