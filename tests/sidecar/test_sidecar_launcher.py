"""The launcher: instance copy, config.json, start/connected, and its clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from AgentComLibrary.sidecars import process as sc
from AgentComLibrary.sidecars.process import SidecarProcess
from sidecar_helpers import STANDIN, HubUnderTest, wait_until


class FakeHub:
    """Hub access with a chosen token and WebSocket URL (for the failure paths)."""

    def __init__(self, ws_url: str, token: str = "0" * 64) -> None:
        self.ws_url = ws_url
        self.token = token

    def create_token(self, agent_id: str) -> str:
        return self.token

    def agent_states(self) -> list[dict]:
        return []


def fake_checkout(tmp_path: Path, index_js: str, deps: dict | None = None) -> Path:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "index.js").write_text(index_js)
    (checkout / "package.json").write_text(json.dumps({"dependencies": deps or {}}))
    return checkout


# -- instance directory and config.json ----------------------------------------------------


def test_instance_is_a_copy_without_instance_files(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path, "// sidecar\n", {"ws": "^8"})
    (checkout / "node_modules" / "ws").mkdir(parents=True)
    (checkout / "lib").mkdir()
    (checkout / "lib" / "x.js").write_text("//")
    for name in ("config.json", "queue.json", "sidecar.log"):
        (checkout / name).write_text("{}")
    (checkout / "results").mkdir()
    dest = tmp_path / "instances" / "a"
    sc.prepare_instance(checkout, dest)
    assert sorted(p.name for p in dest.iterdir()) == [
        "index.js",
        "lib",
        "node_modules",
        "package.json",
    ]
    assert (dest / "node_modules").is_symlink()
    assert (dest / "node_modules").resolve() == (checkout / "node_modules").resolve()
    assert (dest / "lib" / "x.js").exists()


def test_instances_inside_the_checkout_are_not_copied_into_themselves(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path, "//")
    dest = checkout / "output" / "sidecars" / "a"
    sc.prepare_instance(checkout, dest)
    sc.prepare_instance(checkout, checkout / "output" / "sidecars" / "b")
    assert not (checkout / "output" / "sidecars" / "b" / "output").exists()


def test_start_writes_config_and_connects(
    make_sidecar: Callable[..., SidecarProcess], hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("alpha", capabilities=[f"smoke-{run_id}", "python"])
    config = json.loads(sidecar.config_path.read_text())
    assert config["agent_id"] == f"smoke-{run_id}-alpha"
    assert len(config["token"]) == 64
    prefixes = [
        t["token_prefix"] for t in hub.client.list_tokens() if t["agent_id"] == config["agent_id"]
    ]
    assert prefixes and prefixes[0].startswith(config["token"][:8])
    assert config["hub_url"] == hub.ws_url
    assert config["capabilities"] == [f"smoke-{run_id}", "python"]
    assert config["wake_command"].endswith("--task-id ${TASK_ID}")
    assert "AgentComLibrary.sidecars.wake" in config["wake_command"]
    assert config["results_dir"] == str(sidecar.dir / "results")
    assert config["log_file"] == str(sidecar.dir / "sidecar.log")
    assert config["confirmation_timeout_ms"] == 30000
    assert oct(sidecar.config_path.stat().st_mode & 0o777) == "0o600"
    states = {a["agent_id"]: a for a in hub.client.agent_states()}
    assert config["agent_id"] in states
    assert sorted(c["name"] for c in states[config["agent_id"]]["capabilities"]) == sorted(
        config["capabilities"]
    )
    assert sidecar.connected and sidecar.state == "identified"
    assert os.getpgid(sidecar.pid) == sidecar.pid, "node must lead its own process group"
    assert config["token"] not in repr(sidecar)


def test_stop_ends_the_process_and_the_hub_sees_it(
    make_sidecar: Callable[..., SidecarProcess], hub: HubUnderTest
) -> None:
    sidecar = make_sidecar("beta")
    token = sidecar.token
    assert sidecar.stop() == 0
    assert json.loads(sidecar.config_path.read_text())["token"] == token[:8] + "..."
    with pytest.raises(sc.SidecarError, match="was stopped"):
        sidecar.restart(5)
    wait_until(
        lambda: sidecar.agent_id not in {a["agent_id"] for a in hub.client.agent_states()},
        what="the hub drops the stopped sidecar",
    )
    assert sidecar.state == "stopped"


# -- clear errors ------------------------------------------------------------------------------


def test_node_missing(tmp_path: Path, hub: HubUnderTest) -> None:
    sidecar = SidecarProcess(
        "n", "smoke-x-n", STANDIN, tmp_path / "n", hub.client, node=str(tmp_path / "no-node")
    )
    with pytest.raises(sc.NodeNotFound, match=r"Node\.js is needed.*was not found"):
        sidecar.start(5)


def test_sidecar_dir_empty_or_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(sc.SidecarDirInvalid, match="set SIDECAR_DIR"):
        sc.check_sidecar_dir("")
    with pytest.raises(sc.SidecarDirInvalid, match=r"missing index\.js, package\.json"):
        sc.check_sidecar_dir(tmp_path)


def test_npm_install_not_done(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path, "//", {"ws": "^8", "chokidar": "^3"})
    with pytest.raises(sc.DependenciesMissing, match=r"node_modules/ does not exist.*npm install"):
        sc.check_sidecar_dir(checkout)
    (checkout / "node_modules" / "ws").mkdir(parents=True)
    with pytest.raises(sc.DependenciesMissing, match="node_modules/ lacks chokidar"):
        sc.check_sidecar_dir(checkout)


def test_standin_needs_no_install() -> None:
    assert sc.check_sidecar_dir(STANDIN) == STANDIN.resolve()


def test_exits_at_start_shows_its_last_lines(node: str, tmp_path: Path, hub: HubUnderTest) -> None:
    checkout = fake_checkout(
        tmp_path, "console.error('cannot load config: boom'); process.exit(3);\n"
    )
    sidecar = SidecarProcess("e", "smoke-x-e", checkout, tmp_path / "e", hub.client)
    with pytest.raises(sc.SidecarExited, match=r"exited with code 3 at start(.|\n)*boom"):
        sidecar.start(30)
    assert not sidecar.running


def test_never_connects_shows_reconnect_backoff(node: str, tmp_path: Path) -> None:
    closed_port = _closed_port()
    fake = FakeHub(f"ws://127.0.0.1:{closed_port}/ws")
    sidecar = SidecarProcess(
        "nc", "smoke-x-nc", STANDIN, tmp_path / "nc", fake,
        extra_config={"reconnect_base_ms": 50, "reconnect_max_ms": 200},
    )  # fmt: skip
    with pytest.raises(sc.SidecarNotConnected, match="did not connect within 3 s") as error:
        sidecar.start(3)
    assert "reconnect_scheduled" in str(error.value)
    delays = [e["delay_ms"] for e in sidecar.events() if e["message"] == "reconnect_scheduled"]
    assert delays[:4] == [50, 100, 200, 200], "backoff doubles up to reconnect_max_ms"
    assert not sidecar.running


def test_refused_token_fails_fast(node: str, tmp_path: Path, hub: HubUnderTest) -> None:
    fake = FakeHub(hub.ws_url, token="f" * 64)
    sidecar = SidecarProcess("rt", "smoke-x-rt", STANDIN, tmp_path / "rt", fake)
    with pytest.raises(sc.SidecarNotConnected, match=r"refused.*invalid_token") as error:
        sidecar.start(60)
    assert "f" * 64 not in str(error.value), "the token must be masked"


def test_watchdog_ends_the_sidecar_when_the_runner_is_gone(node: str, tmp_path: Path) -> None:
    watchdog = tmp_path / "watchdog.js"
    watchdog.write_text(sc.WATCHDOG_JS)
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    env = dict(os.environ, AGENTCOM_PARENT_PID=str(parent.pid))
    child = subprocess.Popen(
        [node, "--require", str(watchdog), "-e", "setInterval(() => {}, 1000)"],
        env=env,
        start_new_session=True,
    )
    try:
        parent.kill()
        parent.wait()
        child.wait(30)
        assert child.returncode is not None
    finally:
        for proc in (parent, child):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
