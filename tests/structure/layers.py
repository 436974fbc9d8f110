"""The library's layering, read from its source with ``ast`` (no import of it): which of its
packages imports which, and the rules ``test_layers.py`` holds it to.

A *part* of the library is one of its sub-packages (``checker``, ``observe``, ``util``, ...)
or one of its top-level modules (``context``, ``listener``); the package's own
``__init__`` (the library class, which composes every part) is no part.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# modules that talk to the network or to other processes: none of them in checker/
IO_MODULES = frozenset(
    {
        "aiohttp",
        "asyncio",
        "http",
        "requests",
        "socket",
        "ssl",
        "subprocess",
        "urllib3",
        "urllib.request",
        "websocket",
        "websockets",
        "xmlrpc",
    }
)
HUB_PACKAGE = "agentcom_hub"


@dataclass(frozen=True)
class Import:
    """One import statement's target, absolute, in the file that has it."""

    source: Path  # the importing file
    module: str  # the module the file is in, dotted
    target: str  # what it imports, dotted (``a.b`` for ``from a import b``, too)
    line: int


def module_name(root: Path, path: Path, package: str) -> str:
    """``package.sub.mod`` for ``root/sub/mod.py`` (``package.sub`` for its ``__init__``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def imports_in(root: Path, package: str) -> Iterator[Import]:
    """Every import of every module below ``root`` (the package ``package``), relative ones
    made absolute; imports inside functions count too."""
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path, package)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(path, module, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, is_package, node.level, node.module)
                for alias in node.names:
                    target = base if alias.name == "*" else f"{base}.{alias.name}"
                    yield Import(path, module, target, node.lineno)


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]  # a module's relative imports start at its package
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([name] if name else []))


def part_of(dotted: str, package: str) -> str | None:
    """The part of the library a dotted name lies in (None: outside it, or the package's
    own ``__init__``)."""
    parts = dotted.split(".")
    if parts[0] != package or len(parts) < 2:
        return None
    return parts[1]


def part_graph(imports: Iterable[Import], package: str) -> dict[str, set[str]]:
    """Part -> the other parts it imports."""
    graph: dict[str, set[str]] = {}
    for item in imports:
        source, target = part_of(item.module, package), part_of(item.target, package)
        if source is None:
            continue
        graph.setdefault(source, set())
        if target is not None and target != source:
            graph[source].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one part (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycle_problems(imports: list[Import], package: str) -> list[str]:
    graph = part_graph(imports, package)
    problems = []
    for group in cycles(graph):
        arrows = [
            f"{i.source.name}:{i.line} {part_of(i.module, package)} -> {part_of(i.target, package)}"
            for i in imports
            if part_of(i.module, package) in group
            and part_of(i.target, package) in group
            and part_of(i.module, package) != part_of(i.target, package)
        ]
        problems.append(f"import cycle between {', '.join(group)}: {'; '.join(arrows)}")
    return problems


def ground_problems(imports: Iterable[Import], package: str, ground: str = "util") -> list[str]:
    """Imports from ``ground`` of another part of the library, or of the hub."""
    return [
        f"{i.source}:{i.line}: {i.module} imports {i.target}"
        for i in imports
        if part_of(i.module, package) == ground
        and (
            (part_of(i.target, package) not in (None, ground))
            or i.target.split(".")[0] == HUB_PACKAGE
        )
    ]


def judging_problems(
    imports: Iterable[Import], package: str, judge: str = "checker", recorder: str = "observe"
) -> list[str]:
    """Imports from ``judge`` of an I/O module or of ``recorder``."""
    problems = []
    for i in imports:
        if part_of(i.module, package) != judge:
            continue
        io = next((m for m in IO_MODULES if i.target == m or i.target.startswith(m + ".")), None)
        if io is not None:
            problems.append(f"{i.source}:{i.line}: {i.module} imports {i.target} (I/O)")
        elif part_of(i.target, package) == recorder:
            problems.append(f"{i.source}:{i.line}: {i.module} imports {i.target} ({recorder}/)")
    return problems


def shared_names(root: Path) -> list[str]:
    """Module base names (``__init__`` aside) that stand more than once below ``root``."""
    seen: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if path.name != "__init__.py":
            seen.setdefault(path.stem, []).append(str(path.relative_to(root)))
    return [f"{name}: {', '.join(paths)}" for name, paths in seen.items() if len(paths) > 1]
