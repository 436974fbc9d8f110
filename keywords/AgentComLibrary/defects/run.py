"""What one run saw of the known defects: the catalog it loaded, the hub version it
matched against, each test's judgement; and from the tests' metrics entries the counts,
the defects seen and those that did not reproduce where they could have. Robot-free."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ..util.formatting import plural
from .catalog import Catalog, Defect
from .judge import Judgement

NOT_GIVEN = "not given (set --variable HUB_VERSION:...): version-scoped defects were applied"
RAN = ("PASS", "FAIL")  # statuses of a test that ran; a SKIP that is a known defect ran too


@dataclass(frozen=True)
class Judged:
    """A test's judgement in its teardown, with the body's failure message it saw (Robot
    drops that message when a teardown failure meets a skip-on-failure tag)."""

    judgement: Judgement
    body: str = ""


@dataclass
class DefectRun:
    """The run's known defects; empty (``catalog`` None) when no file was given."""

    catalog: Catalog | None = None
    version: str = ""  # what defects' versions were matched against ('' = not given)
    version_source: str = ""  # "HUB_VERSION", "hub" (what the hub reports) or ""
    judged: dict[str, Judged] = field(default_factory=dict)  # by the test's full name

    @property
    def active(self) -> bool:
        return self.catalog is not None

    def version_for(self, reported: str) -> str:
        """The version defects are matched against: ``HUB_VERSION`` when the user gave it,
        else what the hub reports (``reported``; '' when it does not say)."""
        if self.version_source == "HUB_VERSION":
            return self.version
        self.version, self.version_source = reported, ("hub" if reported else "")
        return reported

    def about(self) -> dict[str, Any] | None:
        """The run-level part of metrics.json before the tests are counted (None: off)."""
        if self.catalog is None:
            return None
        return {
            "file": self.catalog.path,
            "hub_version": self.version,
            "version_source": self.version_source or "not given",
            "defects": [defect_json(d) for d in self.catalog.defects],
        }


def defect_json(defect: Defect) -> dict[str, Any]:
    return {
        "id": defect.id,
        "title": defect.title,
        "rules": list(defect.rules),
        "tests": list(defect.tests),
        "pattern": defect.pattern.pattern if defect.pattern is not None else None,
        "versions": list(defect.versions),
    }


def of_test(judgement: Judgement | None, active: bool) -> dict[str, Any]:
    """One test's ``known_defects`` entry in metrics.json."""
    if not active:
        return {"verdict": "off", "defects": [], "new": []}
    if judgement is None:
        return {"verdict": "none", "defects": [], "new": []}
    return {
        "verdict": judgement.verdict,
        "defects": [d.id for d in judgement.matched],
        "new": [p.summary() for p in judgement.new_parts()],
    }


def reported_version(sessions: Sequence[Any], url: str) -> str:
    """The version the hub at ``url`` reported when its session opened ('' if none):
    ``sessions`` are the listener's ``SessionInfo`` records."""
    for info in reversed(sessions):
        if info.url == url:
            return "" if info.hub_version.startswith("not reported") else info.hub_version
    return ""


def _defects_of(test: Mapping[str, Any]) -> list[str]:
    return list((test.get("known_defects") or {}).get("defects", []))


def _ran(test: Mapping[str, Any]) -> bool:
    verdict = (test.get("known_defects") or {}).get("verdict")
    return test.get("status") in RAN or (test.get("status") == "SKIP" and verdict == "known")


def _could_show(defect: Mapping[str, Any], test: Mapping[str, Any], version: str) -> bool:
    """Whether ``defect`` could have shown in ``test``: the test ran, is one of the
    defect's tests, the version matches, and for a rule the contract checker judged it."""
    if not _ran(test):
        return False
    wanted = {t.casefold() for t in defect["tests"]}
    if wanted and not wanted & {t.casefold() for t in test.get("tags", [])}:
        return False
    versions = defect["versions"]
    if versions and version and not any(fnmatchcase(version, v) for v in versions):
        return False
    if defect["rules"] and defect["pattern"] is None:
        return (test.get("contract") or {}).get("state") in ("held", "broken")
    return True


def summarize(about: Mapping[str, Any], tests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run-level ``known_defects`` of metrics.json: ``about`` with the counts, the
    defects seen (with their tests) and those not reproduced though they could have been."""
    version = str(about.get("hub_version") or "")
    known = [t for t in tests if (t.get("known_defects") or {}).get("verdict") == "known"]
    seen: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for defect in about.get("defects", []):
        showing = [t["name"] for t in tests if defect["id"] in _defects_of(t)]
        brief = {"id": defect["id"], "title": defect["title"]}
        if showing:
            seen.append({**brief, "tests": showing})
            continue
        could = [t["name"] for t in tests if _could_show(defect, t, version)]
        if could:
            missing.append({**brief, "tests": could})
    return {
        **about,
        "known_failures": sum(1 for t in known if t.get("status") == "SKIP"),
        "new_failures": sum(1 for t in tests if t.get("status") == "FAIL"),
        "mixed_failures": sum(
            1 for t in tests if (t.get("known_defects") or {}).get("verdict") == "mixed"
        ),
        "seen": seen,
        "not_reproduced": missing,
    }


def _named(items: Sequence[Mapping[str, Any]], limit: int = 3) -> str:
    def one(item: Mapping[str, Any]) -> str:
        tests = [str(t).split(" ", 1)[0] for t in item["tests"]]
        shown = ", ".join(dict.fromkeys(tests[:limit])) + (", ..." if len(tests) > limit else "")
        return f"{item['id']} ({shown})"

    return "; ".join(one(i) for i in items)


def summary_text(summary: Mapping[str, Any]) -> str:
    """The report's ``Known defects`` metadata and the console's last line (without the
    prefix): counts, defects seen, not reproduced, the version matched."""
    text = (
        f"{plural(summary['known_failures'], 'known failure')}, "
        f"{plural(summary['new_failures'], 'new failure')}"
    )
    if summary["mixed_failures"]:
        text += f" ({summary['mixed_failures']} with a known part)"
    if summary["seen"]:
        text += f"; seen: {_named(summary['seen'])}"
    if summary["not_reproduced"]:
        text += f"; not reproduced: {', '.join(i['id'] for i in summary['not_reproduced'])}"
    version = summary["hub_version"]
    if version:
        text += f"; hub version {version} ({summary['version_source']})"
    else:
        text += f"; hub version {NOT_GIVEN}"
    return text + f"; file {summary['file']} ({plural(len(summary['defects']), 'defect')})"
