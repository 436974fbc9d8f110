"""One sidecar instance's directory: a copy of the checkout, its config.json, and the token
kept out of it whenever the sidecar does not need to read it.

The sidecar keeps ``config.json`` and ``queue.json`` beside ``index.js``, so every instance
is its own copy of the checkout (``node_modules`` a symlink to the checkout's). The token
is written whole into config.json only while the node process starts (it reads the file
once, at start) and is masked as soon as the hub lists the agent, so a results folder
holds no live token even when a run is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ..sidecars.wake import BEHAVIOUR_FILE, FOREIGN_FILE, JOURNAL_FILE
from ..util.masking import mask

CONFIG_FILE = "config.json"
QUEUE_FILE = "queue.json"
SIDECAR_LOG = "sidecar.log"
PROCESS_LOG = "process.log"
RESULTS_DIR = "results"
HOME_DIR = "home"
WATCHDOG = "watchdog.js"
# Files of a checkout that belong to one instance and are never copied.
INSTANCE_FILES = {
    "node_modules", ".git", CONFIG_FILE, QUEUE_FILE, RESULTS_DIR, SIDECAR_LOG, PROCESS_LOG,
    HOME_DIR, BEHAVIOUR_FILE, JOURNAL_FILE, FOREIGN_FILE,
}  # fmt: skip
SCRUB_LIMIT = 8 * 1024 * 1024  # text files larger than this are left alone


class InstancePaths:
    """Where one instance keeps its files."""

    def __init__(self, dir: Path) -> None:
        self.dir = dir
        self.config = dir / CONFIG_FILE
        self.queue = dir / QUEUE_FILE
        self.log = dir / SIDECAR_LOG  # the sidecar's own event log (config.json log_file)
        self.process_log = dir / PROCESS_LOG  # stdout and stderr of the node process
        self.results = dir / RESULTS_DIR
        self.home = dir / HOME_DIR  # HOME of node (later sidecars make ~/.agentcom/<agent>)
        self.foreign = dir / FOREIGN_FILE

    def __repr__(self) -> str:
        return f"InstancePaths({str(self.dir)!r})"


def watchdog_path() -> Path:
    """The watchdog script shipped in this package (preloaded with ``node --require``)."""
    path = Path(str(resources.files(__package__) / WATCHDOG))
    if not path.is_file():
        raise FileNotFoundError(f"the package file {path} is missing: reinstall the library")
    return path


def prepare_instance(source: Path, dest: Path) -> None:
    """A fresh copy of the checkout in ``dest``; node_modules is a symlink to the source's.

    Instance files (config.json, queue.json, results, logs) are never copied, so an
    instance never inherits another one's queue.
    """
    source, dest = Path(source).resolve(), Path(dest).resolve()
    if dest.exists():
        shutil.rmtree(dest)

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory).resolve() == source
        skipped = set()
        for name in names:
            if top and (name in INSTANCE_FILES or name.endswith(".log")):
                skipped.add(name)
            elif dest.is_relative_to((Path(directory) / name).resolve()):
                skipped.add(name)  # the instances live inside the checkout: no recursion
        return skipped

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    if (source / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)


def write_config(path: Path, config: dict) -> None:
    """Write config.json atomically, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(config, indent=2))
    os.replace(tmp, path)


def mask_config_token(path: Path) -> None:
    """Replace the token in config.json with its first 8 characters."""
    with contextlib.suppress(OSError, ValueError):
        config = json.loads(path.read_text(encoding="utf-8"))
        token = config.get("token")
        if isinstance(token, str) and token and not token.endswith("..."):
            config["token"] = mask(token)
            write_config(path, config)


def scrub_tokens(directory: Path, tokens: Iterable[str]) -> list[Path]:
    """Replace every whole occurrence of ``tokens`` in the text files under ``directory``
    (config, queue, logs...) with the masked token. Returns the files changed. Symlinks
    (node_modules) are not followed."""
    secrets = [t for t in tokens if t and len(t) > 8]
    changed: list[Path] = []
    if not secrets or not Path(directory).is_dir():
        return changed
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not Path(root, d).is_symlink()]
        for name in files:
            path = Path(root, name)
            if path.is_symlink() or path.stat().st_size > SCRUB_LIMIT:
                continue
            with contextlib.suppress(OSError):
                data = path.read_bytes()
                new = data
                for secret in secrets:
                    new = new.replace(secret.encode(), mask(secret).encode())
                if new != data:
                    path.write_bytes(new)
                    changed.append(path)
    return changed
