"""The launcher: instance copy, config.json, start/connected, and its clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from AgentComLibrary.sidecars import checkout as co
from AgentComLibrary.sidecars import instance, sidecar_errors
from AgentComLibrary.sidecars.process import SidecarProcess
from sidecar_helpers import STANDIN, FakeWsHub, HubUnderTest, wait_until

sc = sidecar_errors


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
    instance.prepare_instance(checkout, dest)
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
    instance.prepare_instance(checkout, dest)
    instance.prepare_instance(checkout, checkout / "output" / "sidecars" / "b")
    assert not (checkout / "output" / "sidecars" / "b" / "output").exists()


def test_start_writes_config_and_connects(
    make_sidecar: Callable[..., SidecarProcess], hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("alpha", capabilities=[f"smoke-{run_id}", "python"])
    config = json.loads(sidecar.paths.config.read_text())
    assert config["agent_id"] == f"smoke-{run_id}-alpha"
    # node read the whole token at start; once connected, config.json keeps 8 characters
    assert config["token"] == sidecar.token[:8] + "..." and len(sidecar.token) == 64
    prefixes = [
        t["token_prefix"] for t in hub.client.list_tokens() if t["agent_id"] == config["agent_id"]
    ]
    assert prefixes and prefixes[0].startswith(sidecar.token[:8])
    assert config["hub_url"] == hub.ws_url
    assert config["capabilities"] == [f"smoke-{run_id}", "python"]
    assert config["wake_command"].endswith("--task-id ${TASK_ID}")
    assert " -S " in config["wake_command"]
    assert config["wake_command"].split()[2].endswith("AgentComLibrary/sidecars/wake.py")
    assert config["results_dir"] == str(sidecar.dir / "results")
    assert config["log_file"] == str(sidecar.dir / "sidecar.log")
    assert config["confirmation_timeout_ms"] == 30000
    assert oct(sidecar.paths.config.stat().st_mode & 0o777) == "0o600"
    states = {a["agent_id"]: a for a in hub.client.agent_states()}
    assert config["agent_id"] in states
    assert sorted(c["name"] for c in states[config["agent_id"]]["capabilities"]) == sorted(
        config["capabilities"]
    )
    # start() returns once the hub lists the agent; the sidecar logs `identified` after it
    wait_until(lambda: sidecar.connected, what=f"{sidecar.name} logged its identification")
    assert sidecar.state == "identified"
    assert os.getpgid(sidecar.pid) == sidecar.pid, "node must lead its own process group"
    assert sidecar.token not in repr(sidecar)


def test_stop_ends_the_process_and_the_hub_sees_it(
    make_sidecar: Callable[..., SidecarProcess], hub: HubUnderTest
) -> None:
    sidecar = make_sidecar("beta")
    token = sidecar.token
    assert sidecar.stop() == 0
    assert json.loads(sidecar.paths.config.read_text())["token"] == token[:8] + "..."
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
        co.check_sidecar_dir("")
    with pytest.raises(sc.SidecarDirInvalid, match=r"missing index\.js, package\.json"):
        co.check_sidecar_dir(tmp_path)


def test_npm_install_not_done(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path, "//", {"ws": "^8", "chokidar": "^3"})
    with pytest.raises(sc.DependenciesMissing, match=r"node_modules/ does not exist.*npm install"):
        co.check_sidecar_dir(checkout)
    (checkout / "node_modules" / "ws").mkdir(parents=True)
    with pytest.raises(sc.DependenciesMissing, match="node_modules/ lacks chokidar"):
        co.check_sidecar_dir(checkout)


def test_standin_checkout_is_usable(standin: Path) -> None:
    assert co.check_sidecar_dir(standin) == standin.resolve()


def test_npm_install_not_run_fails_start_with_the_fix(tmp_path: Path, hub: HubUnderTest) -> None:
    bare = fake_checkout(tmp_path, "//", {"ws": "8.19.0"})
    sidecar = SidecarProcess("ni", "smoke-x-ni", bare, tmp_path / "ni", hub.client)
    with pytest.raises(sc.DependenciesMissing, match=rf"Run `npm install` in {bare}"):
        sidecar.start(5)
    assert sidecar.pid is None and not (tmp_path / "ni").exists()


def fake_node(tmp_path: Path, version: str) -> str:
    script = tmp_path / "old-node"
    script.write_text(f"#!/bin/sh\necho {version}\n")
    script.chmod(0o755)
    return str(script)


def test_node_older_than_the_engines_field(tmp_path: Path, hub: HubUnderTest) -> None:
    checkout_dir = fake_checkout(tmp_path, "//")
    (checkout_dir / "package.json").write_text(json.dumps({"engines": {"node": ">=20.5"}}))
    sidecar = SidecarProcess(
        "old", "smoke-x-old", checkout_dir, tmp_path / "old", hub.client,
        node=fake_node(tmp_path, "v18.19.0"),
    )  # fmt: skip
    with pytest.raises(sc.NodeTooOld, match=r'needs Node\.js 20 or newer \(package.json "engines"'):
        sidecar.start(5)
    assert sidecar.pid is None


def test_node_older_than_the_documented_minimum(tmp_path: Path) -> None:
    checkout_dir = fake_checkout(tmp_path, "//")  # no engines, like the real sidecar
    assert co.required_node(checkout_dir)[0] == co.DOCUMENTED_MIN_NODE
    with pytest.raises(
        sc.NodeTooOld, match=r"Node\.js 18 or newer \(the launcher.s documented minimum.*v16"
    ):
        co.check_node_version(co.NodeInfo("/usr/bin/node", "v16.20.2"), checkout_dir)
    co.check_node_version(co.NodeInfo("/usr/bin/node", "v18.0.0"), checkout_dir)


@pytest.mark.parametrize(
    ("engines", "major"), [(">=18.0.0", 18), ("^20.11", 20), ("14.x || >=16", 14), ("v22", 22)]
)
def test_engines_ranges(tmp_path: Path, engines: str, major: int) -> None:
    checkout_dir = fake_checkout(tmp_path, "//")
    (checkout_dir / "package.json").write_text(json.dumps({"engines": {"node": engines}}))
    assert co.required_node(checkout_dir)[0] == major


def test_connects_but_is_never_identified_shows_its_hub_errors(
    node: str, standin: Path, tmp_path: Path
) -> None:
    server = FakeWsHub(identify_reply={"type": "error", "error": "hub_in_maintenance"})
    sidecar = SidecarProcess("ni", "smoke-x-ni", standin, tmp_path / "ni", server)
    try:
        with pytest.raises(sc.SidecarNotIdentified) as error:
            sidecar.start(3)
    finally:
        server.close()
    message = str(error.value)
    assert "opened its WebSocket" in message and "not identified within 3 s" in message
    assert "its hub_error lines: hub_in_maintenance" in message
    assert "e" * 64 not in message
    assert not sidecar.running


def test_exits_at_start_shows_its_last_lines(node: str, tmp_path: Path, hub: HubUnderTest) -> None:
    script = (
        "const fs = require('fs');"
        "fs.appendFileSync('sidecar.log', JSON.stringify({ts: 'now', event: 'startup'}) + '\\n');"
        "console.error('cannot load config: boom'); process.exit(3);\n"
    )
    checkout_dir = fake_checkout(tmp_path, script)
    sidecar = SidecarProcess("e", "smoke-x-e", checkout_dir, tmp_path / "e", hub.client)
    with pytest.raises(sc.SidecarExited, match=r"exited with code 3 at start") as error:
        sidecar.start(30)
    message = str(error.value)
    assert "process.log (node stdout/stderr):\ncannot load config: boom" in message
    assert 'sidecar.log (sidecar log):\n{"ts":"now","event":"startup"}' in message
    assert not sidecar.running and sidecar.token not in message


def test_never_connects_shows_reconnect_backoff(node: str, standin: Path, tmp_path: Path) -> None:
    closed_port = _closed_port()
    fake = FakeHub(f"ws://127.0.0.1:{closed_port}/ws")
    sidecar = SidecarProcess(
        "nc", "smoke-x-nc", standin, tmp_path / "nc", fake,
        extra_config={"reconnect_base_ms": 50, "reconnect_max_ms": 200},
    )  # fmt: skip
    with pytest.raises(sc.SidecarNotConnected, match="did not connect within 3 s") as error:
        sidecar.start(3)
    assert "reconnect_scheduled" in str(error.value)
    delays = [e.get("delay_ms") for e in sidecar.events() if e.name == "reconnect_scheduled"]
    assert delays[:4] == [50, 100, 200, 200], "backoff doubles up to reconnect_max_ms"
    assert not sidecar.running


def test_refused_token_fails_fast(
    node: str, standin: Path, tmp_path: Path, hub: HubUnderTest
) -> None:
    fake = FakeHub(hub.ws_url, token="f" * 64)
    sidecar = SidecarProcess("rt", "smoke-x-rt", standin, tmp_path / "rt", fake)
    with pytest.raises(sc.SidecarNotConnected, match=r"refused.*invalid_token") as error:
        sidecar.start(60)
    assert "f" * 64 not in str(error.value), "the token must be masked"


def test_watchdog_ends_the_sidecar_when_the_runner_is_gone(node: str, tmp_path: Path) -> None:
    watchdog = instance.watchdog_path()
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


def test_watchdog_is_shipped_in_the_wheel(tmp_path: Path) -> None:
    """The watchdog is package data: a built wheel carries it where watchdog_path() looks."""
    import zipfile

    repo = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(repo)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("robotframework_agentcom-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("AgentComLibrary/sidecars/watchdog.js").decode()
    assert shipped == instance.watchdog_path().read_text()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
