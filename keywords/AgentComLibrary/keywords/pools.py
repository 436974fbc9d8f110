"""Agent-pool keywords: agents that run on other hosts (``agentcom-agent-pool``), placed
there by `Start Agent` with ``pool=<alias>``."""

from __future__ import annotations

from datetime import timedelta

from robotlibcore import keyword

from ..pool.registry import parse_pools
from ..pool.remote_agent import RemoteAgent
from .base import LibraryComponent


class PoolKeywords(LibraryComponent):
    @keyword(tags=["Agent"])
    def connect_agent_pool(
        self,
        url: str,
        alias: str = "",
        secret: str | None = None,
        ping_interval: timedelta = timedelta(seconds=20),
    ) -> str:
        """Connects to an agent pool (``agentcom-agent-pool``) so that `Start Agent` can
        place agents there with ``pool=<alias>``.

        Args:
            url: the pool's XML-RPC address, e.g. ``http://10.0.0.2:8270``.
            alias: the name tests use; default: the URL.
            secret: the pool's shared secret; default: environment variable
                ``AGENTCOM_POOL_SECRET`` (empty: none).
            ping_interval: how often the pool's agents ping the hub (keep it well below
                the hub's ping timeout).

        Returns:
            The alias.

        Example:
        | `Connect Agent Pool` | http://10.0.0.2:8270 | alias=far | ping_interval=500ms |
        """
        entry = self.ctx.pools.connect(
            url,
            alias=alias,
            secret=secret,
            timeout=self.ctx.config.connect_timeout,
            ping_interval=ping_interval.total_seconds(),
        )
        self.info(f"Agent pool '{entry.alias}' at {entry.client.url} answers.")
        return entry.alias

    @keyword(tags=["Agent"])
    def connect_agent_pools(
        self, pools: str, ping_interval: timedelta = timedelta(seconds=20), spread: bool = True
    ) -> list[str]:
        """Connects every pool of a comma-separated list (the ``AGENT_POOLS`` variable).

        With ``spread`` on, `Start Agent` without ``pool=`` places agents on the pools in
        turn (``pool=local`` keeps one in the robot process).

        Args:
            pools: ``alias=url`` or ``url`` items, comma separated.
            ping_interval: how often the pools' agents ping the hub.
            spread: place agents on the pools by default.

        Returns:
            The aliases.

        Example:
        | `Connect Agent Pools` | far=http://10.0.0.2:8270,http://m2:8270 |
        """
        aliases = [
            self.connect_agent_pool(url, alias, ping_interval=ping_interval)
            for alias, url in parse_pools(pools)
        ]
        self.ctx.pools.spread = spread and bool(aliases)
        return aliases

    @keyword(tags=["Agent"])
    def get_agent_journal(self, name: str) -> list[dict]:
        """Returns the raw journal of an agent running in a pool, oldest first, as plain
        dicts (kind ``received``/``foreign``/``report``/``ack``/``rejection``, ``task_id``,
        ``at`` in Unix ms, ...).

        Args:
            name: short name of a pool agent.

        Returns:
            The journal entries of this test.

        Example:
        | ${journal} = | `Get Agent Journal` | victim |
        """
        agent = self.agent(name)
        if not isinstance(agent, RemoteAgent):
            raise TypeError(f"Agent '{name}' does not run in an agent pool.")
        return agent.journal(self.ctx.test.mark)
