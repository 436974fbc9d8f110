"""Run the hub: aiohttp app, ready file, signals, parent watch, clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from pathlib import Path

from aiohttp import web

from .config import HubConfig
from .http_api import add_routes, errors
from .hub import Hub
from .pids import process_alive
from .tokens import mask
from .ws_api import MAX_FRAME

log = logging.getLogger("agentcom_hub")


def write_ready_file(path: Path, info: dict) -> None:
    """Write ``info`` as JSON atomically (temp file + rename), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(info, out)
    os.replace(tmp, path)


def build_app(hub: Hub) -> web.Application:
    """The aiohttp application over ``hub``."""
    app = web.Application(middlewares=[errors], client_max_size=MAX_FRAME)
    app["hub"] = hub
    add_routes(app)
    return app


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(1.0)
        if not process_alive(pid):
            log.info("parent process %d is gone: shutting down", pid)
            stop.set()


async def serve(config: HubConfig) -> int:
    """Serve until SIGTERM/SIGINT (or the parent dies); returns the exit code."""
    hub = Hub(config)
    app = build_app(hub)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
    await site.start()
    port = runner.addresses[0][1]
    host = "127.0.0.1" if config.host in ("", "0.0.0.0", "::") else config.host
    url = f"http://{host}:{port}"
    hub.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = None
    if config.parent_pid:
        watcher = asyncio.ensure_future(_watch_parent(config.parent_pid, stop))
    if config.ready_file is not None:
        write_ready_file(
            config.ready_file,
            {
                "url": url,
                "ws_url": f"ws://{host}:{port}/ws",
                "token": hub.bootstrap_token,
                "pid": os.getpid(),
            },
        )
    faults = ",".join(sorted(f.value for f in config.faults)) or "none"
    log.info(
        "hub listening on %s (data dir %s, bootstrap agent %s token %s, faults: %s)",
        url,
        config.data_dir,
        config.bootstrap_agent,
        mask(hub.bootstrap_token),
        faults,
    )
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        if watcher is not None:
            watcher.cancel()
        hub.stop()
        hub.shutdown_connections()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(_drain(hub), timeout=5)
        await runner.cleanup()
        hub.close()
        log.info("stopped")
    return 0


async def _drain(hub: Hub) -> None:
    """Wait until every WebSocket handler has finished."""
    while hub.sockets:
        await asyncio.sleep(0.02)
