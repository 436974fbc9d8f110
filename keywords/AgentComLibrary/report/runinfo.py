"""What system a run tested: hub URL, embedded or external, its /health answer and
version, fault switches, run id, library version. Shown as the top suite's metadata (the
report's summary and the log), on the first console lines, and in metrics.json.

Pure data and text; the library's listener (``listener.py``) sets it in Robot.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import robot

from ..util.formatting import plural
from ..util.masking import mask_text

EMBEDDED_NAME = "agentcom_hub"


def embedded_version() -> str:
    """The version of the embedded reference hub's package."""
    try:
        from agentcom_hub import __version__
    except ImportError:  # the package is part of this project; only a broken install lacks it
        return "unknown"
    return str(__version__)


@dataclass
class SessionInfo:
    """One open hub session, as a stakeholder reads it (no token in it)."""

    suite: str
    url: str
    embedded: bool
    run_id: str
    faults: list[str] = field(default_factory=list)
    health: Any = None  # the decoded GET /health answer, or an error text
    hub_version: str = ""

    @property
    def kind(self) -> str:
        return "embedded" if self.embedded else "external"

    def hub_text(self) -> str:
        """``embedded reference hub agentcom_hub 0.1.0`` / ``external hub (version ...)``."""
        if self.embedded:
            return f"embedded reference hub {EMBEDDED_NAME} {self.hub_version}"
        return f"external hub, version {self.hub_version}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        return data


def hub_version(health: Any, embedded: bool) -> str:
    """The hub's version: what /health says (``version`` or ``vsn``), for the embedded hub
    its package version, else a note that the hub does not say."""
    if isinstance(health, dict):
        for key in ("version", "vsn", "app_version"):
            if health.get(key):
                return str(health[key])
    return embedded_version() if embedded else "not reported by GET /health"


def health_text(health: Any) -> str:
    """The /health answer as compact JSON (tokens masked)."""
    text = health if isinstance(health, str) else json.dumps(health, sort_keys=True)
    return mask_text(text)


def library_text(version: str) -> str:
    return (
        f"AgentComLibrary {version} (Robot Framework {robot.__version__}, "
        f"Python {platform.python_version()})"
    )


def faults_text(faults: list[str]) -> str:
    return ", ".join(faults) if faults else "none"


def planned_metadata(hub_url: str, faults: list[str], version: str) -> dict[str, str]:
    """Metadata before any session opened: what the run was told to test."""
    hub = f"external hub at {hub_url}" if hub_url else "embedded reference hub (one per run)"
    return {
        "Hub": hub,
        "Hub URL": hub_url or "(chosen when the embedded hub starts)",
        "Hub session": "not opened (yet): nothing of the hub was tested so far",
        "Hub faults": faults_text(faults),
        "AgentComLibrary": library_text(version),
    }


def session_metadata(sessions: list[SessionInfo], version: str) -> dict[str, str]:
    """The top suite's metadata once sessions opened: the first hub's values, how many
    hubs there were (the run's, and private ones of suites that restart or break theirs)
    and how many run ids (each suite file gets its own on the run's hub)."""
    first = sessions[0]
    kinds = sorted({s.kind for s in sessions})
    urls = list(dict.fromkeys(s.url for s in sessions))
    see = "see each suite's metadata"
    more_hubs = f" (+{len(urls) - 1} private: {see})" if len(urls) > 1 else ""
    runs = [s.run_id for s in sessions if s.suite != first.suite] or [first.run_id]
    more_runs = f" (+{len(runs) - 1} more, one per suite: {see})" if len(runs) > 1 else ""
    return {
        "Hub": first.hub_text() + ("" if kinds == [first.kind] else f" ({'/'.join(kinds)})"),
        "Hub URL": url_text(first) + more_hubs,
        "Hub session": f"{plural(len(urls), 'hub')} opened, {plural(len(sessions), 'run id')}",
        "Hub health": f"GET /health answered {health_text(first.health)}",
        "Hub faults": faults_text(sorted({f for s in sessions for f in s.faults})),
        "Run id": runs[0] + more_runs,
        "AgentComLibrary": library_text(version),
    }


def suite_metadata(info: SessionInfo) -> dict[str, str]:
    """The metadata of the suite that opened ``info``."""
    return {"Hub URL": url_text(info), "Run id": info.run_id, "Hub": info.hub_text()}


def url_text(info: SessionInfo) -> str:
    """The hub URL for the report: an embedded hub's as code, not a link (its port is gone
    once the run ends); an external hub's as it is (Robot links it)."""
    if info.embedded:
        return f"``{info.url}`` (embedded, stopped at the end of the run)"
    return info.url


def console_plan(hub_url: str, faults: list[str], version: str) -> str:
    """The first console line: what the run was told to test."""
    hub = f"the hub at {hub_url}" if hub_url else "the embedded reference hub"
    return f"AgentCom: testing {hub}; faults: {faults_text(faults)}; {library_text(version)}"


def console_session(info: SessionInfo) -> str:
    """The console line when a session opened."""
    return (
        f"AgentCom: {info.hub_text()} at {info.url} ({info.kind}); "
        f"GET /health: {health_text(info.health)}; faults: {faults_text(info.faults)}; "
        f"run id {info.run_id}"
    )
