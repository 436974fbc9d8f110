"""The agent pools a library session uses, by alias, and where new agents go."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..util.formatting import known_names
from .remote_agent import PoolClient, PoolError
from .server import SECRET_ENV


@dataclass
class PoolEntry:
    """One connected pool: its client, how its agents ping, and (when set) the hub
    WebSocket URL its agents use instead of the session's (a delay proxy, a NAT)."""

    client: PoolClient
    ping_interval: float
    ws_url: str = ""

    @property
    def alias(self) -> str:
        return self.client.alias


def parse_pools(text: str) -> list[tuple[str, str]]:
    """``far=http://10.0.0.2:8270,http://m2:8270`` -> [(alias, url), ...]; an entry
    without ``alias=`` is named ``pool-<n>``."""
    pools = []
    for n, item in enumerate((i.strip() for i in text.split(",") if i.strip()), start=1):
        alias, sep, url = item.partition("=")
        if not sep or "://" in alias:
            alias, url = f"pool-{n}", item
        pools.append((alias.strip(), url.strip()))
    return pools


class PoolRegistry:
    """Pools by alias. With ``spread`` on, an agent started without ``pool=`` goes to the
    next pool in turn; ``pool=local`` always runs it in the robot process."""

    def __init__(self) -> None:
        self.pools: dict[str, PoolEntry] = {}
        self.spread = False
        self._turn = 0

    def connect(
        self,
        url: str,
        *,
        alias: str = "",
        secret: str | None = None,
        timeout: float = 30.0,
        ping_interval: float = 20.0,
    ) -> PoolEntry:
        """Connect (the pool must answer ``pool_info``) and register under ``alias``."""
        client = PoolClient(
            url, alias or url, os.environ.get(SECRET_ENV, "") if secret is None else secret, timeout
        )
        client.info()
        entry = PoolEntry(client, ping_interval)
        self.pools[client.alias] = entry
        return entry

    def get(self, alias: str) -> PoolEntry:
        entry = self.pools.get(alias)
        if entry is None:
            connected = known_names(self.pools)
            raise PoolError(f"No agent pool '{alias}' is connected (connected: {connected}).")
        return entry

    def choose(self, pool: str) -> PoolEntry | None:
        """The pool for a new agent: the named one, the next in turn (``''`` with spread
        on), or None for the robot process (``''`` with spread off, or ``local``)."""
        if pool == "local" or (not pool and not (self.spread and self.pools)):
            return None
        if pool:
            return self.get(pool)
        entries = list(self.pools.values())
        entry = entries[self._turn % len(entries)]
        self._turn += 1
        return entry

    def disconnect_all(self) -> None:
        self.pools.clear()
        self.spread = False
        self._turn = 0
