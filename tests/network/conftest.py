"""Shared by the network tests: an agent pool process over loopback, with a secret."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from AgentComLibrary.util.child_process import ManagedProcess
from poolsupport import SECRET


@pytest.fixture(scope="module")
def pool_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an ``agentcom-agent-pool`` on 127.0.0.1 that needs ``SECRET``."""
    tmp = tmp_path_factory.mktemp("pool")
    (tmp / "secret").write_text(SECRET)
    process = ManagedProcess(
        "pool",
        [
            sys.executable,
            "-m",
            "AgentComLibrary.pool.server",
            "--port",
            "0",
            "--ready-file",
            str(tmp / "ready.json"),
            "--secret-file",
            str(tmp / "secret"),
        ],
        log_path=tmp / "pool.log",
        ready_file=tmp / "ready.json",
    )
    ready = process.start(30) or {}
    yield ready["url"]
    assert process.close() == 0, process.log_tail()
