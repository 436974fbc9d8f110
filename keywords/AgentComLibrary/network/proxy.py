"""A small delaying TCP proxy, for machines whose kernel has no ``netem`` qdisc.

Every chunk read from one side is written to the other ``delay`` ± ``jitter`` later
(uniform), per direction, never reordered (a chunk is never sent before the one read
before it), and the end of a stream (FIN) is passed on after the data before it. A reset
on one side closes the other at once. So an agent that connects through the proxy sees
each message arrive one delay later in each direction: a round trip of twice the delay.

Example (the lab runs it inside the hub's namespace)::

    python -m AgentComLibrary.network.proxy --listen 10.213.7.1:0 \\
        --upstream 10.213.7.1:4123 --delay 0.2 --jitter 0.05 --ready-file /tmp/p.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
from pathlib import Path

CHUNK = 65536


async def _pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: float,
    jitter: float,
    rng: random.Random,
) -> None:
    """Copy ``reader`` to ``writer`` with each chunk held back by delay ± jitter."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError, RuntimeError):
                    if writer.can_write_eof():
                        writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(send())
    last_due = 0.0
    try:
        while True:
            data = await reader.read(CHUNK)
            due = max(last_due, loop.time() + max(0.0, delay + rng.uniform(-jitter, jitter)))
            last_due = due
            queue.put_nowait((due, data))
            if not data:
                break
        await sender
    finally:
        sender.cancel()


async def _handle(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream: tuple[str, int],
    delay: float,
    jitter: float,
    rng: random.Random,
) -> None:
    try:
        up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(*upstream), 10)
    except (OSError, asyncio.TimeoutError):
        client_writer.close()
        return
    pumps = [
        asyncio.ensure_future(_pump(client_reader, up_writer, delay, jitter, rng)),
        asyncio.ensure_future(_pump(up_reader, client_writer, delay, jitter, rng)),
    ]
    try:
        done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:  # a reset: end both sides now
                break
        else:
            await asyncio.wait(pumps)
    finally:
        for task in pumps:
            task.cancel()
        for writer in (client_writer, up_writer):
            with contextlib.suppress(Exception):
                writer.close()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


async def serve(
    listen: tuple[str, int],
    upstream: tuple[str, int],
    delay: float,
    jitter: float,
    ready_file: str | None = None,
    seed: int | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; write ``{"host", "port", "pid"}`` to ``ready_file``."""
    rng = random.Random(seed)
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, upstream, delay, jitter, rng), *listen
    )
    port = server.sockets[0].getsockname()[1]
    if ready_file:
        tmp = Path(ready_file + ".tmp")
        tmp.write_text(json.dumps({"host": listen[0], "port": port, "pid": os.getpid()}))
        tmp.replace(ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delaying TCP proxy (netem stand-in).")
    parser.add_argument("--listen", required=True, help="host:port to listen on (port 0: any)")
    parser.add_argument("--upstream", required=True, help="host:port to forward to")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per direction")
    parser.add_argument("--jitter", type=float, default=0.0, help="± seconds, uniform")
    parser.add_argument("--ready-file")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    asyncio.run(
        serve(
            _address(args.listen),
            _address(args.upstream),
            args.delay,
            args.jitter,
            args.ready_file,
            args.seed,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
