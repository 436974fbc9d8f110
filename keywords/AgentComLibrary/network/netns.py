"""Two network namespaces joined by a veth pair, built with ``ip`` and removed afterwards.

Layout (``n`` is picked per lab so that two labs never collide)::

    acn-<id>-hub   veth acn<id>h  10.213.<n>.1/24   robot, embedded hub, "near" pool
    acn-<id>-pool  veth acn<id>p  10.213.<n>.2/24   "far" pool (the agent host)

Every command runs with a timeout; nothing leaves the two namespaces (the 10.213/16
addresses exist only inside them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass, field

from ..util.errors import AgentComError

COMMAND_TIMEOUT = 10.0
SUBNET = "10.213"


class NetnsError(AgentComError):
    """A namespace command failed."""


def run(command: list[str], *, check: bool = True, stdin: str | None = None) -> str:
    """Run one short command with a timeout; :class:`NetnsError` with its stderr on failure."""
    try:
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NetnsError(f"{' '.join(command)}: {error}") from None
    if check and done.returncode != 0:
        raise NetnsError(
            f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[:500]}"
        )
    return done.stdout


def unavailable() -> str | None:
    """Why namespace tests cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "network namespace tests need root (ip netns, nft); run as root"
    for tool, package in (("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed (Debian package {package}; `make network-deps`)"
    try:
        run(["ip", "netns", "list"])
    except NetnsError as error:
        return f"'ip netns' does not work here: {error}"
    return None


def namespaces() -> list[str]:
    """Names of the network namespaces that exist now."""
    return [line.split()[0] for line in run(["ip", "netns", "list"]).splitlines() if line.strip()]


def links() -> list[str]:
    """Names of the interfaces in the current namespace."""
    names = []
    for line in run(["ip", "-o", "link", "show"]).splitlines():
        parts = line.split(": ")
        if len(parts) > 1:
            names.append(parts[1].split("@")[0])
    return names


@dataclass
class NetworkLab:
    """The namespaces, interfaces and addresses of one lab (see the module doc), all
    named from ``lab_id`` and numbered from ``octet``."""

    lab_id: str
    octet: int
    hub_ns: str = field(init=False)
    pool_ns: str = field(init=False)
    hub_veth: str = field(init=False)
    pool_veth: str = field(init=False)
    hub_addr: str = field(init=False)
    pool_addr: str = field(init=False)

    def __post_init__(self) -> None:
        self.hub_ns, self.pool_ns = f"acn-{self.lab_id}-hub", f"acn-{self.lab_id}-pool"
        self.hub_veth, self.pool_veth = f"acn{self.lab_id}h", f"acn{self.lab_id}p"
        self.hub_addr, self.pool_addr = f"{SUBNET}.{self.octet}.1", f"{SUBNET}.{self.octet}.2"

    @classmethod
    def new(cls) -> NetworkLab:
        taken = {n for n in namespaces() if n.startswith("acn-")}
        while True:
            lab_id = secrets.token_hex(3)
            if f"acn-{lab_id}-hub" not in taken:
                return cls(lab_id, 1 + secrets.randbelow(250))

    def exec(self, ns: str, command: list[str]) -> list[str]:
        """``command`` run inside namespace ``ns``."""
        return ["ip", "netns", "exec", ns, *command]

    def up(self) -> None:
        """Create both namespaces and the veth pair; on any failure remove what was made."""
        try:
            run(["ip", "netns", "add", self.hub_ns])
            run(["ip", "netns", "add", self.pool_ns])
            veths = [self.hub_veth, "type", "veth", "peer", "name", self.pool_veth]
            run(["ip", "link", "add", *veths])
            for ns, veth, addr in (
                (self.hub_ns, self.hub_veth, self.hub_addr),
                (self.pool_ns, self.pool_veth, self.pool_addr),
            ):
                run(["ip", "link", "set", veth, "netns", ns])
                run(self.exec(ns, ["ip", "addr", "add", f"{addr}/24", "dev", veth]))
                run(self.exec(ns, ["ip", "link", "set", veth, "up"]))
                run(self.exec(ns, ["ip", "link", "set", "lo", "up"]))
        except BaseException:
            self.down()
            raise

    def down(self) -> list[str]:
        """Remove both namespaces (their interfaces go with them) and a veth left in the
        current namespace; returns what is still there afterwards (should be empty)."""
        for ns in (self.hub_ns, self.pool_ns):
            if ns in namespaces():
                run(["ip", "netns", "del", ns], check=False)
        if self.hub_veth in links():
            run(["ip", "link", "del", self.hub_veth], check=False)
        return self.leftovers()

    def leftovers(self) -> list[str]:
        """Namespaces and interfaces of this lab that exist now."""
        found = [f"namespace {n}" for n in namespaces() if n in (self.hub_ns, self.pool_ns)]
        found += [f"interface {i}" for i in links() if i in (self.hub_veth, self.pool_veth)]
        return found

    def as_dict(self) -> dict:
        return asdict(self)
