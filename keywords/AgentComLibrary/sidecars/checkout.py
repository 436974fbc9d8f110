"""Checks of what a sidecar needs before it can start: Node.js, new enough, and a checkout
with ``index.js``, ``package.json`` and its dependencies installed (``npm install``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .sidecar_errors import DependenciesMissing, NodeNotFound, NodeTooOld, SidecarDirInvalid

# Used when package.json has no "engines": write-file-atomic 5 (a dependency of both known
# sidecar versions) needs Node.js 14.17+, and 18 is the oldest Node.js still maintained when
# the sidecar was written, so the launcher asks for 18.
DOCUMENTED_MIN_NODE = 18
_VERSION = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_BOUND = re.compile(r"^(>=|>|\^|~|=)?v?(\d+)")


@dataclass(frozen=True)
class NodeInfo:
    """A Node.js executable that runs."""

    path: str
    version: str  # as ``node --version`` prints it, e.g. v20.11.1

    @property
    def major(self) -> int:
        match = _VERSION.match(self.version.strip())
        return int(match.group(1)) if match else 0


def check_node(node: str = "node") -> NodeInfo:
    """The resolved path and version of the Node.js executable, or :class:`NodeNotFound`."""
    path = shutil.which(node)
    if path is None:
        raise NodeNotFound(
            f"Node.js is needed to run real sidecars, but the executable {node!r} was not "
            f"found (expected `node` on PATH, Node.js {DOCUMENTED_MIN_NODE} or newer). "
            "Install Node.js, or run without SIDECAR_DIR to skip the real-sidecar tests."
        )
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise NodeNotFound(
            f"The Node.js executable {path} does not run (`{path} --version`: {error})."
        ) from None
    return NodeInfo(path, out.stdout.strip())


def required_node(checkout: Path) -> tuple[int, str]:
    """The oldest Node.js major version the checkout needs, and where that comes from.

    ``engines.node`` of its package.json when present (the lowest major of the range, e.g.
    ``>=18.0.0`` or ``^20``), else :data:`DOCUMENTED_MIN_NODE`.
    """
    package = _package(Path(checkout))
    engines = package.get("engines") if isinstance(package.get("engines"), dict) else {}
    wanted = engines.get("node") if isinstance(engines.get("node"), str) else ""
    majors = _lowest_major(wanted)
    if majors is not None:
        return majors, f'package.json "engines": {{"node": "{wanted}"}}'
    return (
        DOCUMENTED_MIN_NODE,
        "the launcher's documented minimum: package.json has no engines.node",
    )


def _lowest_major(wanted: str) -> int | None:
    """The lowest major version a semver range admits (``14.x || >=16`` -> 14); upper
    bounds (``<20``) are ignored. None when the range has no number."""
    lowest = None
    for alternative in wanted.split("||"):
        bounds = [
            int(m.group(2))
            for token in alternative.replace(">= ", ">=").split()
            if (m := _BOUND.match(token)) and not token.startswith("<")
        ]
        if bounds:
            lowest = max(bounds) if lowest is None else min(lowest, max(bounds))
    return lowest


def check_node_version(node: NodeInfo, checkout: Path) -> None:
    """Fail with :class:`NodeTooOld` when ``node`` is older than the checkout needs."""
    needed, source = required_node(checkout)
    if node.major < needed:
        raise NodeTooOld(
            f"The sidecar in {checkout} needs Node.js {needed} or newer ({source}), but "
            f"{node.path} is {node.version}. Install a newer Node.js or put it first on PATH."
        )


def _package(checkout: Path) -> dict:
    try:
        package = json.loads((checkout / "package.json").read_text(encoding="utf-8"))
    except OSError:
        return {}
    except ValueError as error:
        raise SidecarDirInvalid(f"{checkout / 'package.json'} is not valid JSON: {error}") from None
    return package if isinstance(package, dict) else {}


def check_sidecar_dir(sidecar_dir: str | os.PathLike) -> Path:
    """The checkout as an absolute path, after checking index.js, package.json and that
    every dependency in package.json is installed in node_modules."""
    if not str(sidecar_dir).strip():
        raise SidecarDirInvalid(
            "No sidecar checkout given: set SIDECAR_DIR "
            "(`--variable SIDECAR_DIR:/path/to/sidecar`) or pass sidecar_dir=."
        )
    path = Path(sidecar_dir).expanduser().resolve()
    if not path.is_dir():
        raise SidecarDirInvalid(f"SIDECAR_DIR {path} is not a directory.")
    missing = [name for name in ("index.js", "package.json") if not (path / name).is_file()]
    if missing:
        raise SidecarDirInvalid(
            f"SIDECAR_DIR {path} is not a sidecar checkout: expected index.js and "
            f"package.json, missing {', '.join(missing)}."
        )
    package = _package(path)
    deps = sorted((package.get("dependencies") or {}).keys())
    absent = [dep for dep in deps if not (path / "node_modules" / dep / "package.json").exists()]
    if absent:
        where = "node_modules/ does not exist" if not (path / "node_modules").is_dir() else (
            f"node_modules/ lacks {', '.join(absent)}"
        )  # fmt: skip
        raise DependenciesMissing(
            f"The sidecar's dependencies are not installed in {path}: package.json needs "
            f"{', '.join(deps)} but {where}. Run `npm install` in {path} first."
        )
    return path
