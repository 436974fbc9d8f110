"""Make a libdoc spec the same wherever it is generated.

Usage: python tools/libspec.py docs/AgentComLibrary.libspec   (rewrites the file)

libdoc writes the absolute path of every source file and the time it ran; the committed
spec keeps paths relative to the repository root and no ``generated`` timestamp, so
`make docs` on any machine rewrites it with no diff unless the keywords changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = re.compile(r' generated="[^"]*"')
SOURCE = re.compile(r' source="([^"]*)"')


def normalised(text: str, root: Path = ROOT) -> str:
    """``text`` (a libspec) without its timestamp and with sources relative to ``root``."""

    def relative(match: re.Match[str]) -> str:
        path = Path(match.group(1))
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(root.resolve())
            except ValueError:
                # outside the repository (an installed copy): from the package on
                parts = path.parts
                start = parts.index("AgentComLibrary") if "AgentComLibrary" in parts else -1
                path = Path("keywords", *parts[start:])
        return f' source="{path.as_posix()}"'

    return SOURCE.sub(relative, GENERATED.sub("", text, count=1))


def problems(text: str) -> list[str]:
    """Why ``text`` (a committed libspec) is not normalised, if it is not."""
    found = []
    if GENERATED.search(text):
        found.append("it has a 'generated' timestamp")
    absolute = sorted({m for m in SOURCE.findall(text) if Path(m).is_absolute()})
    if absolute:
        found.append(f"it has absolute source paths ({absolute[0]}, ...)")
    return found


def main(argv: list[str]) -> int:
    for name in argv[1:] or ["docs/AgentComLibrary.libspec"]:
        path = Path(name)
        path.write_text(normalised(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
