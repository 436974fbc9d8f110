"""Short task labels that tell the tasks of one test apart.

Hub task ids are ``task-<16 hex>``: the millisecond clock first, then a sequence number
(see the wire contract), so the ids of one run share a long prefix. A label keeps what
follows the prefix that all the given ids share, at least ``MIN_SHOWN`` and at most
``MAX_SHOWN`` characters; the full id stays in the hover text and in the table.
"""

from __future__ import annotations

from collections.abc import Iterable

TASK_PREFIX = "task-"
MIN_SHOWN = 6
MAX_SHOWN = 12
ELLIPSIS = "\u2026"


def _hex(task_id: str) -> str:
    return task_id[len(TASK_PREFIX) :] if task_id.startswith(TASK_PREFIX) else task_id


def shared_prefix(ids: Iterable[str]) -> int:
    """How many leading characters (after ``task-``) every id shares."""
    bodies = [_hex(str(i)) for i in dict.fromkeys(ids)]
    if len(bodies) < 2:
        return max(0, len(bodies[0]) - MIN_SHOWN) if bodies else 0
    first, others = bodies[0], bodies[1:]
    length = 0
    while length < len(first) and all(
        len(b) > length and b[length] == first[length] for b in others
    ):
        length += 1
    return length


def id_labels(ids: Iterable[str]) -> dict[str, str]:
    """Task id -> label, distinct for distinct ids (``task-019a3f1c2d000012`` among ids
    of the same second -> ``…c2d000012``)."""
    given = [str(i) for i in ids]
    cut = shared_prefix(given)
    labels = {}
    for task_id in given:
        body = _hex(task_id)
        start = min(cut, max(0, len(body) - MIN_SHOWN))
        start = max(start, len(body) - MAX_SHOWN)
        labels[task_id] = body if start <= 0 else ELLIPSIS + body[start:]
    if len(set(labels.values())) < len(labels):  # ids of another shape: show them whole
        return {task_id: _hex(task_id) for task_id in labels}
    return labels


def split_id(task_id: str, label: str) -> tuple[str, str]:
    """(the shared part, the telling part) of ``task_id``, so a table can show the whole
    id (to copy it) with the part of ``label`` emphasised."""
    tail = label.removeprefix(ELLIPSIS)
    if task_id.endswith(tail):
        return task_id[: len(task_id) - len(tail)], tail
    return "", task_id
