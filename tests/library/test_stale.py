"""Hub directories left by killed runners are removed when the next hub starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from AgentComLibrary.hubapi.rundirs import OWNER_FILE, PREFIX, new_hub_dir, remove_stale


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def hub_dir(root: Path, name: str, owner: int | None, hub: int | None, age: float = 0) -> Path:
    directory = root / f"{PREFIX}{name}"
    directory.mkdir()
    if owner is not None:
        (directory / OWNER_FILE).write_text(json.dumps({"pid": owner}))
    if hub is not None:
        ready = directory / "ready.json"
        ready.write_text(json.dumps({"pid": hub, "token": "f" * 64}))
        old = ready.stat().st_mtime - age
        os.utime(ready, (old, old))
    return directory


def test_only_dirs_of_dead_owners_are_removed(tmp_path: Path) -> None:
    gone = dead_pid()
    killed = hub_dir(tmp_path, "killed", owner=gone, hub=gone)
    mine = hub_dir(tmp_path, "mine", owner=os.getpid(), hub=gone)
    old_unowned = hub_dir(tmp_path, "old", owner=None, hub=gone, age=3600)
    fresh_unowned = hub_dir(tmp_path, "fresh", owner=None, hub=gone)
    unowned_live_hub = hub_dir(tmp_path, "live", owner=None, hub=os.getpid(), age=3600)
    other = tmp_path / "not-a-hub-dir"
    other.mkdir()
    removed = remove_stale(tmp_path)
    assert sorted(removed) == sorted([killed, old_unowned])
    assert not killed.exists() and not old_unowned.exists()
    assert mine.exists() and fresh_unowned.exists() and unowned_live_hub.exists()
    assert other.exists()


def test_a_new_dir_records_its_owner_and_cleans_up_first(tmp_path: Path) -> None:
    killed = hub_dir(tmp_path, "killed", owner=dead_pid(), hub=None)
    made = new_hub_dir(tmp_path)
    assert not killed.exists()
    assert made.name.startswith(PREFIX)
    assert json.loads((made / OWNER_FILE).read_text()) == {"pid": os.getpid()}


def test_a_dir_whose_owner_file_is_being_written_is_kept(tmp_path: Path) -> None:
    # another runner's new_hub_dir between mkdtemp and its owner file (seen in parallel
    # pytest workers: the sweep took an empty owner.json for a dead owner)
    being_made = hub_dir(tmp_path, "being-made", owner=None, hub=None)
    (being_made / OWNER_FILE).write_text("", encoding="utf-8")
    old_broken = hub_dir(tmp_path, "old-broken", owner=None, hub=dead_pid(), age=3600)
    (old_broken / OWNER_FILE).write_text("{", encoding="utf-8")
    assert remove_stale(tmp_path) == [old_broken]
    assert being_made.exists()
    made = new_hub_dir(tmp_path)
    assert sorted(p.name for p in made.iterdir()) == [OWNER_FILE]
