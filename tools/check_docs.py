"""Check the keyword documentation: complete, with examples, and the committed copy current.

Usage: python tools/check_docs.py docs/AgentComLibrary.libspec

Regenerates the libdoc spec of AgentComLibrary in memory and fails (exit 1) when
- a keyword has no documentation or no example in it,
- a keyword argument has no type hint (Robot converts typed arguments and libdoc shows them),
- a keyword has none of the keyword tags (Check, Wait, Agent, Sidecar, Contract, Session,
  Task, Report),
- a keyword tagged Wait does not take ``timeout`` (default None: the library's timeout) and
  ``message`` (a failure text of the caller's),
- a ``Wait Until ...`` or ``... Should ...`` keyword is not used in atest/ (where the
  library's acceptance tests pin each one's failure text),
- the committed spec differs from the library (run `make docs` and commit the result),
- the committed spec has a timestamp or absolute source paths (``tools/libspec.py``
  removes them, so the spec is the same wherever `make docs` runs).
"""

from __future__ import annotations

import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from libspec import normalised
from libspec import problems as spec_problems
from robot.libdoc import libdoc

UNTYPED_KINDS_ALLOWED = {"VAR_POSITIONAL", "VAR_NAMED"}
KEYWORD_TAGS = {
    "Check", "Wait", "Agent", "Sidecar", "Contract", "Session", "Task", "Report", "Network",
}  # fmt: skip
ATEST = Path(__file__).resolve().parents[1] / "atest"


def generate_spec(target: Path) -> None:
    """Write the current library's spec (raw docs) to `target`."""
    libdoc("AgentComLibrary", str(target), name="AgentComLibrary", specdocformat="RAW", quiet=True)
    target.write_text(normalised(target.read_text(encoding="utf-8")), encoding="utf-8")


def keywords_of(spec: Path) -> dict[str, ET.Element]:
    """Map keyword name -> <kw> element of a libspec file."""
    root = ET.parse(spec).getroot()
    return {kw.get("name"): kw for kw in root.iter("kw")}


def signature(kw: ET.Element) -> tuple[str, tuple[str, ...]]:
    """What must match between the committed and the generated spec (line numbers may
    differ: they move with every edit above a keyword)."""
    args = tuple(ET.tostring(arg, encoding="unicode").strip() for arg in kw.iter("arg"))
    doc = (kw.findtext("doc") or "").strip()
    return doc, (*args, kw.get("source") or "")


def problems_in(keywords: dict[str, ET.Element]) -> list[str]:
    """Keywords without docs, without an example, or with untyped arguments."""
    problems = []
    for name, kw in sorted(keywords.items()):
        doc = kw.findtext("doc") or ""
        if not doc.strip():
            problems.append(f"{name}: no documentation")
        elif "example" not in doc.lower():
            problems.append(f"{name}: documentation has no example")
        for arg in kw.iter("arg"):
            if arg.get("kind") in UNTYPED_KINDS_ALLOWED:
                continue
            if arg.find("type") is None:
                problems.append(f"{name}: argument '{arg.findtext('name')}' has no type")
        tags = {tag.text for tag in kw.iter("tag")}
        if not tags & KEYWORD_TAGS:
            problems.append(f"{name}: no keyword tag (one of {', '.join(sorted(KEYWORD_TAGS))})")
        if "Wait" in tags:
            args = {arg.findtext("name"): arg for arg in kw.iter("arg")}
            timeout = args.get("timeout")
            if timeout is None or timeout.findtext("default") != "None":
                problems.append(f"{name}: a wait needs timeout=None (the library's timeout)")
            if "message" not in args:
                problems.append(f"{name}: a wait needs a message argument")
    return problems


def unpinned(keywords: dict[str, ET.Element], atest: Path = ATEST) -> list[str]:
    """``Wait Until`` and ``Should`` keywords that no atest file uses."""
    text = " ".join(
        " ".join(p.read_text(encoding="utf-8").split()).lower() for p in atest.glob("*.robot")
    )
    return [
        f"{name}: not used in {atest.name}/ (pin its failure text there)"
        for name in sorted(keywords)
        if (name.startswith("Wait Until") or " Should " in f" {name} ") and name.lower() not in text
    ]


def main(argv: list[str]) -> int:
    committed = Path(argv[1] if len(argv) > 1 else "docs/AgentComLibrary.libspec")
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "fresh.libspec"
        generate_spec(fresh_path)
        fresh = keywords_of(fresh_path)
    problems = problems_in(fresh) + unpinned(fresh)
    if not committed.exists():
        problems.append(f"{committed} is missing: run `make docs` and commit it")
    else:
        problems += [
            f"{committed}: {why}; run `make docs`"
            for why in spec_problems(committed.read_text(encoding="utf-8"))
        ]
        old = keywords_of(committed)
        for name in sorted(set(fresh) ^ set(old)):
            where = "library" if name in fresh else "committed docs"
            problems.append(f"{name}: only in the {where}; run `make docs`")
        for name in sorted(set(fresh) & set(old)):
            if signature(fresh[name]) != signature(old[name]):
                problems.append(f"{name}: committed docs are out of date; run `make docs`")
    if problems:
        print("Keyword documentation check failed:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"Keyword documentation OK: {len(fresh)} keywords, all documented with examples.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
