"""The committed libspec is the same wherever `make docs` runs (tools/libspec.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import libspec  # noqa: E402  (tools/ is not a package)

RAW = (
    '<keywordspec name="AgentComLibrary" generated="2026-12-07T13:05:48+00:00" specversion="7"'
    ' source="{root}/keywords/AgentComLibrary/__init__.py" lineno="35">\n'
    '<kw name="Start Agent" source="{root}/keywords/AgentComLibrary/keywords/agents.py">'
)


def test_two_checkouts_give_the_same_spec(tmp_path: Path) -> None:
    here = libspec.normalised(RAW.format(root=ROOT), ROOT)
    elsewhere = libspec.normalised(RAW.format(root=tmp_path), tmp_path)
    assert here == elsewhere
    assert "generated=" not in here
    assert 'source="keywords/AgentComLibrary/keywords/agents.py"' in here
    assert libspec.problems(here) == []


def test_a_raw_spec_is_named_as_not_normalised() -> None:
    found = libspec.problems(RAW.format(root="/work/main"))
    assert found[0] == "it has a 'generated' timestamp"
    assert found[1].startswith("it has absolute source paths (/work/main/keywords/")


def test_the_committed_spec_is_normalised() -> None:
    text = (ROOT / "docs" / "AgentComLibrary.libspec").read_text(encoding="utf-8")
    assert libspec.problems(text) == []
