"""The library's layers hold: no import cycle between its parts, ``util/`` at the ground,
``checker/`` pure judging, one module per base name. Each rule is shown to catch a planted
violation in a small fake tree."""

from __future__ import annotations

from pathlib import Path

import AgentComLibrary
import pytest
from layers import (
    cycle_problems,
    ground_problems,
    imports_in,
    judging_problems,
    part_graph,
    shared_names,
)

PACKAGE = "AgentComLibrary"
ROOT = Path(AgentComLibrary.__file__).parent


@pytest.fixture(scope="module")
def imports():
    return list(imports_in(ROOT, PACKAGE))


def test_no_import_cycle_between_the_librarys_parts(imports) -> None:
    assert cycle_problems(imports, PACKAGE) == []


def test_util_imports_no_other_part_of_the_library_nor_the_hub(imports) -> None:
    assert ground_problems(imports, PACKAGE) == []


def test_checker_does_no_io_and_does_not_import_observe(imports) -> None:
    assert judging_problems(imports, PACKAGE) == []


def test_no_two_library_modules_share_a_base_name() -> None:
    assert shared_names(ROOT) == []


def test_the_parts_read_are_the_librarys(imports) -> None:
    graph = part_graph(imports, PACKAGE)
    assert {"checker", "observe", "util", "keywords", "hubapi", "agents"} <= set(graph)
    assert "observe" in graph["agents"] and "checker" in graph["observe"]


# -- planted violations ----------------------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root


CLEAN = {
    "util/text.py": "import json\n",
    "checker/rules.py": "from ..util.text import json\nfrom .view import View\n",
    "checker/view.py": "from collections.abc import Mapping\n",
    "observe/history.py": "import threading\nfrom ..checker.view import View\n",
    "keywords/tasks.py": "from ..observe.history import History\nfrom ..util import text\n",
}


def _problems(root: Path) -> dict[str, list[str]]:
    imports = list(imports_in(root, "lib"))
    return {
        "cycles": cycle_problems(imports, "lib"),
        "ground": ground_problems(imports, "lib"),
        "judging": judging_problems(imports, "lib"),
        "names": shared_names(root),
    }


def test_a_clean_fake_tree_passes(tmp_path: Path) -> None:
    assert _problems(_tree(tmp_path, CLEAN)) == {
        "cycles": [],
        "ground": [],
        "judging": [],
        "names": [],
    }


def test_a_planted_cycle_is_named(tmp_path: Path) -> None:
    files = {**CLEAN, "checker/view.py": "from ..keywords.tasks import thing\n"}
    found = _problems(_tree(tmp_path, files))["cycles"]
    assert len(found) == 1
    assert "checker, keywords, observe" in found[0] and "view.py:1 checker -> keywords" in found[0]


@pytest.mark.parametrize(
    "line",
    [
        "from ..hubapi.model import Task\n",
        "from lib.report import html\n",
        "import agentcom_hub.pids\n",
        "def late():\n    from ..checker import rules\n",
    ],
)
def test_util_importing_upwards_is_named(tmp_path: Path, line: str) -> None:
    files = {**CLEAN, "util/text.py": line}
    found = _problems(_tree(tmp_path, files))["ground"]
    assert len(found) == 1 and "lib.util.text imports" in found[0]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("import requests\n", "(I/O)"),
        ("from websocket import create_connection\n", "(I/O)"),
        ("import subprocess\n", "(I/O)"),
        ("from urllib.request import urlopen\n", "(I/O)"),
        ("from http.client import HTTPConnection\n", "(I/O)"),
        ("from ..observe.history import History\n", "(observe/)"),
    ],
)
def test_checker_doing_io_or_reading_observe_is_named(tmp_path: Path, line: str, why: str) -> None:
    files = {**CLEAN, "checker/view.py": line}
    found = _problems(_tree(tmp_path, files))["judging"]
    assert len(found) == 1 and found[0].endswith(why), found


def test_urllib_parse_is_no_io(tmp_path: Path) -> None:
    files = {**CLEAN, "checker/view.py": "from urllib.parse import urlsplit\n"}
    assert _problems(_tree(tmp_path, files))["judging"] == []


def test_a_repeated_module_name_is_named(tmp_path: Path) -> None:
    files = {**CLEAN, "observe/rules.py": "import json\n"}
    assert _problems(_tree(tmp_path, files))["names"] == [
        "rules: checker/rules.py, observe/rules.py"
    ]
