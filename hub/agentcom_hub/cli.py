"""Command line: ``agentcom-hub`` / ``python -m agentcom_hub``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import HubConfig
from .durations import parse_duration
from .faults import Fault, describe_all


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the hub."""
    p = argparse.ArgumentParser(
        prog="agentcom-hub",
        description="Embedded AgentCom reference hub (HTTP + WebSocket).",
        epilog="DURATION is a number with an optional unit: 250ms, 2s, 1.5s, 5m, 1h "
        "(a bare number means seconds). The whole bootstrap token is written to "
        "<data-dir>/bootstrap-token.json (mode 0600) and to --ready-file; the log shows "
        "its first 8 characters only.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4000, help="port; 0 picks a free one")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./agentcom-data"),
        help="where tasks, tokens and the bootstrap token file live (default ./agentcom-data)",
    )
    p.add_argument(
        "--bootstrap-agent",
        default="smoke-admin",
        help="agent_id of the bootstrap token (reused across restarts)",
    )
    p.add_argument("--ready-file", type=Path, help="write url/ws_url/token/pid JSON here")
    p.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a named defect (repeatable; see --list-faults)",
    )
    p.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    p.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        type=str.upper,
    )
    timers = {
        "--acceptance-timeout": ("60s", "reclaim a task not accepted within this long"),
        "--stuck-sweep-interval": ("30s", "how often to look for stuck tasks"),
        "--stuck-threshold": ("5m", "reclaim an assigned task not updated for this long"),
        "--overdue-sweep-interval": ("30s", "how often to reclaim tasks past complete_by"),
        "--idle-timeout": ("60s", "close a WebSocket that received no frame for this long"),
        "--ping-timeout": ("60s", "evict an agent that sent no ping for this long"),
    }
    for flag, (default, meaning) in timers.items():
        p.add_argument(
            flag,
            type=_duration,
            default=parse_duration(default),
            metavar="DURATION",
            help=f"{meaning} (default {default})",
        )
    p.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    p.add_argument("--version", action="version", version=f"agentcom-hub {__version__}")
    return p


def config_from(args: argparse.Namespace) -> HubConfig:
    """HubConfig from parsed arguments."""
    return HubConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        bootstrap_agent=args.bootstrap_agent,
        ready_file=args.ready_file,
        faults=frozenset(args.fault),
        log_level=args.log_level,
        acceptance_timeout=args.acceptance_timeout,
        stuck_sweep_interval=args.stuck_sweep_interval,
        stuck_threshold=args.stuck_threshold,
        overdue_sweep_interval=args.overdue_sweep_interval,
        idle_timeout=args.idle_timeout,
        ping_timeout=args.ping_timeout,
        parent_pid=args.parent_pid,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.list_faults:
        print(describe_all())
        return 0
    config = config_from(args)
    logging.basicConfig(
        stream=sys.stderr,
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from .server import serve  # aiohttp is only needed to serve

    try:
        return asyncio.run(serve(config))
    except KeyboardInterrupt:
        return 0
    except (OSError, sqlite3.Error) as err:
        logging.getLogger("agentcom_hub").error("cannot start: %s", err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
