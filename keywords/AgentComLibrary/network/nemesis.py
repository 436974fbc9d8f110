"""Jepsen-style network faults between an agent host and the hub, at the IP level.

- partition: nftables drops every packet both ways between the agent host and the hub's
  ports; nothing is answered, so no FIN and no RST reach either side;
- packet loss: nftables ``numgen random mod 100 < N drop`` on the same path, both ways;
- delay and jitter: ``tc netem`` on both veth ends when the kernel has it; otherwise
  (this project's CI kernel has no netem) :mod:`.proxy`, a delaying TCP proxy in the
  hub's namespace that agents connect through.

The nftables faults live in one table, ``inet agentcom_nemesis``, in the hub's namespace,
rewritten whole (atomically, ``nft -f``) on every change; healing removes the table.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..util.child_process import ManagedProcess
from .netns import NetnsError, run

TABLE = "agentcom_nemesis"


def ns_command(ns: str | None, command: list[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *command] if ns else command


@dataclass
class PathFaults:
    """The faults on the path between one agent host address and the hub."""

    partitioned: bool = False
    loss_percent: int = 0


@dataclass
class FirewallNemesis:
    """nftables partitions and packet loss in namespace ``ns`` (None: the current one),
    on TCP traffic between the hub's ``ports`` and agent host addresses."""

    ns: str | None
    ports: set[int]
    paths: dict[str, PathFaults] = field(default_factory=dict)

    def partition(self, peer: str) -> None:
        self.paths.setdefault(peer, PathFaults()).partitioned = True
        self.apply()

    def heal_partition(self, peer: str) -> None:
        self.paths.setdefault(peer, PathFaults()).partitioned = False
        self.apply()

    def set_loss(self, peer: str, percent: int) -> None:
        if not 0 <= percent <= 100:
            raise ValueError(f"Packet loss must be 0..100 percent, got {percent}.")
        self.paths.setdefault(peer, PathFaults()).loss_percent = percent
        self.apply()

    def heal(self) -> None:
        self.paths.clear()
        self.apply()

    def dropped(self) -> int:
        """Packets the active rules have dropped so far (0 when none are active)."""
        return sum(int(n) for n in re.findall(r"counter packets (\d+)", self.listing()))

    def ruleset(self) -> str:
        """The nft script for the current faults (an empty table when there are none)."""
        ports = ", ".join(str(p) for p in sorted(self.ports))
        inbound, outbound = [], []
        for peer, faults in sorted(self.paths.items()):
            match_in = f"ip saddr {peer} tcp dport {{ {ports} }}"
            match_out = f"ip daddr {peer} tcp sport {{ {ports} }}"
            if faults.partitioned:
                inbound.append(f"{match_in} counter drop")
                outbound.append(f"{match_out} counter drop")
            elif faults.loss_percent:
                n = faults.loss_percent
                inbound.append(f"{match_in} numgen random mod 100 < {n} counter drop")
                outbound.append(f"{match_out} numgen random mod 100 < {n} counter drop")

        def chain(name: str, hook: str, rules: list[str]) -> str:
            body = "".join(f"\n    {r}" for r in rules)
            return (
                f"  chain {name} {{\n    type filter hook {hook} priority -10; "
                f"policy accept;{body}\n  }}\n"
            )

        return (
            f"table inet {TABLE} {{\n{chain('inbound', 'input', inbound)}"
            f"{chain('outbound', 'output', outbound)}}}\n"
        )

    def apply(self) -> None:
        """Replace the table with :meth:`ruleset` in one transaction (or drop it)."""
        active = any(f.partitioned or f.loss_percent for f in self.paths.values())
        script = f"table inet {TABLE}\ndelete table inet {TABLE}\n"
        if active:
            script += self.ruleset()
        run(ns_command(self.ns, ["nft", "-f", "-"]), stdin=script)

    def listing(self) -> str:
        """``nft list table`` output ('' when no fault is active)."""
        return run(ns_command(self.ns, ["nft", "list", "table", "inet", TABLE]), check=False)


def netem_available(ns: str | None, dev: str) -> bool:
    """Can ``tc netem`` be attached to ``dev`` here? (tried and removed at once)"""
    try:
        run(ns_command(ns, ["tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", "1ms"]))
    except NetnsError:
        return False
    run(ns_command(ns, ["tc", "qdisc", "del", "dev", dev, "root"]), check=False)
    return True


@dataclass
class NetemDelay:
    """``tc netem delay`` on each (namespace, device) end of the path."""

    ends: list[tuple[str | None, str]]

    def add(self, delay_ms: int, jitter_ms: int) -> None:
        for ns, dev in self.ends:
            command = ["tc", "qdisc", "replace", "dev", dev, "root", "netem", "delay"]
            command += [f"{delay_ms}ms"] + ([f"{jitter_ms}ms"] if jitter_ms else [])
            run(ns_command(ns, command))

    def remove(self) -> None:
        for ns, dev in self.ends:
            run(ns_command(ns, ["tc", "qdisc", "del", "dev", dev, "root"]), check=False)


class DelayProxy:
    """The delaying TCP proxy (:mod:`.proxy`) as a managed child process."""

    def __init__(self, listen_host: str, upstream: tuple[str, int], delay: float, jitter: float):
        self.tmp = Path(tempfile.mkdtemp(prefix="agentcom-proxy-"))
        self.process = ManagedProcess(
            "delay proxy",
            [
                sys.executable,
                "-m",
                "AgentComLibrary.network.proxy",
                "--listen",
                f"{listen_host}:0",
                "--upstream",
                f"{upstream[0]}:{upstream[1]}",
                "--delay",
                str(delay),
                "--jitter",
                str(jitter),
                "--ready-file",
                str(self.tmp / "ready.json"),
            ],
            log_path=self.tmp / "proxy.log",
            ready_file=self.tmp / "ready.json",
        )
        self.host = listen_host
        self.port = 0

    def start(self, timeout: float = 10.0) -> int:
        ready = self.process.start(timeout) or {}
        self.port = int(ready["port"])
        return self.port

    def stop(self) -> None:
        self.process.close(grace=2.0)
        shutil.rmtree(self.tmp, ignore_errors=True)
