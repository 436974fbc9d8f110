"""Run directories of the hubs the library starts (embedded or ``HUB_COMMAND``), and
clean-up of those a killed runner left.

A runner that is killed (SIGKILL, a CI timeout) cannot remove its hub's directory, whose
``ready.json`` or state holds the hub's bootstrap token; its watchdog (``util/watchdog.py``)
normally does, and this sweep is the second line. Each directory made here records its
owner's pid in ``owner.json``; making a new one first removes this user's directories whose
owner is dead, after ending any process still marked with the directory's name (a hub's
descendants carry ``AGENTCOM_HUB_MARK=<name>``). Directories without a readable
``owner.json`` (older versions, or one being made by a runner that runs beside this one) go
only when their hub's pid in ``ready.json`` is dead and the file is older than
``UNOWNED_AGE`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from agentcom_hub.pids import process_alive

from ..util.watchdog import end_all

LOG = logging.getLogger(__name__)

PREFIX = "agentcom-hub-"
OWNER_FILE = "owner.json"
UNOWNED_AGE = 600.0


def pid_alive(pid: object) -> bool:
    """Whether a process with this pid exists (the hub's own test: zombies are dead, a
    process of another user is alive)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    return process_alive(pid)


def _pid_in(path: Path) -> int | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def is_stale(directory: Path, now: float | None = None) -> bool:
    """Whether ``directory`` (an embedded hub's) was left by a runner that is gone."""
    owner = directory / OWNER_FILE
    ready = directory / "ready.json"
    try:
        age = (now or time.time()) - (ready if ready.exists() else directory).stat().st_mtime
    except OSError:
        return False
    owner_pid = _pid_in(owner)
    if owner_pid is not None:
        return not pid_alive(owner_pid)
    hub_pid = _pid_in(ready) if ready.exists() else None
    return age > UNOWNED_AGE and not pid_alive(hub_pid)


def remove_stale(root: Path | None = None) -> list[Path]:
    """Remove this user's stale hub directories under ``root`` (the temp dir); returns them."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    for directory in base.glob(PREFIX + "*"):
        with contextlib.suppress(OSError):
            if not directory.is_dir() or (uid is not None and directory.stat().st_uid != uid):
                continue
            if is_stale(directory):
                end_all(None, directory.name, grace=1.0)  # a hub its watchdog missed
                shutil.rmtree(directory, ignore_errors=True)
                removed.append(directory)
    if removed:
        LOG.info("removed %d hub directories left by killed runners", len(removed))
    return removed


def new_hub_dir(root: Path | None = None) -> Path:
    """A fresh hub directory owned by this process, after removing stale ones."""
    remove_stale(root)
    directory = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    # written whole or not at all: another runner's sweep may read it at any moment
    partial = directory / f".{OWNER_FILE}.partial"
    partial.write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
    os.replace(partial, directory / OWNER_FILE)
    return directory
