"""Network keywords: the network lab and the faults it puts between agent hosts and the hub
(agent pools themselves: ``pools.py``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from robot.api.exceptions import SkipExecution
from robotlibcore import keyword

from ..network.nemesis import DelayProxy, FirewallNemesis, NetemDelay, netem_available
from ..network.netns import unavailable
from ..util.errors import AgentComError
from ..util.timeutil import human, now_ms
from .base import LibraryComponent


class NetworkError(AgentComError):
    """A network fault cannot be applied (no lab, unknown pool)."""


class NetworkKeywords(LibraryComponent):
    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.lab: dict | None = None
        self._firewall: FirewallNemesis | None = None
        self._proxies: dict[str, DelayProxy] = {}
        self._netem: dict[str, NetemDelay] = {}

    # -- lab -------------------------------------------------------------------------------

    @keyword(tags=["Network"])
    def open_network_lab(self, lab_file: str = "") -> str:
        """Loads the network lab (two namespaces, see ``make network``) and returns the
        address the hub must bind so that the agent host reaches it. Without a lab file
        it returns ``127.0.0.1`` (tests that need the lab skip themselves); with one on a
        machine that cannot run it, it skips, saying why.

        Args:
            lab_file: the lab's JSON file (the ``NETWORK_LAB`` variable the lab sets).

        Returns:
            The hub side address, e.g. ``10.213.7.1``.

        Example:
        | ${hub_host} = | `Open Network Lab` | ${NETWORK_LAB} |
        """
        if not lab_file:
            self.lab = None
            self.info("No network lab (NETWORK_LAB is empty): the hub binds loopback.")
            return "127.0.0.1"
        why = unavailable()
        if why:
            raise SkipExecution(f"Network fault tests cannot run here: {why}.")
        self.lab = json.loads(Path(lab_file).read_text(encoding="utf-8"))
        self.info(
            f"Network lab {self.lab['lab_id']}: hub side {self.lab['hub_ns']} "
            f"({self.lab['hub_addr']}), agent host {self.lab['pool_ns']} "
            f"({self.lab['pool_addr']})."
        )
        return self.lab["hub_addr"]

    def _path(self, pool: str) -> dict:
        if self.lab is None:
            raise NetworkError("Network faults need the network lab: call 'Open Network Lab'.")
        try:
            return self.lab["pools"][pool]
        except KeyError:
            known = ", ".join(sorted(self.lab["pools"]))
            raise NetworkError(f"The lab has no pool '{pool}' (pools: {known}).") from None

    def _hub_port(self) -> int:
        port = urlsplit(self.session.url).port
        if port is None:
            raise NetworkError(f"The hub URL {self.session.url} has no port.")
        return port

    def _nemesis(self) -> FirewallNemesis:
        if self._firewall is None:
            assert self.lab is not None
            self._firewall = FirewallNemesis(self.lab["hub_ns"], set())
        self._firewall.ports = {self._hub_port(), *(p.port for p in self._proxies.values())}
        return self._firewall

    # -- faults ----------------------------------------------------------------------------

    @keyword(tags=["Network"])
    def partition_agent_host(self, pool: str) -> int:
        """Drops every packet both ways between the pool's host and the hub (nftables in
        the hub's namespace): no FIN, no RST; the hub can only notice by its ping timer.
        The pool's control channel is not cut.

        Args:
            pool: the lab pool whose host is cut off, e.g. ``far``.

        Returns:
            When the partition began (Unix ms), for `Wait Until Task Is Reclaimed`.

        Example:
        | ${cut} = | `Partition Agent Host` | far |
        """
        path = self._path(pool)
        self._nemesis().partition(path["addr"])
        self.info(f"Partitioned {pool} ({path['addr']}) from the hub: all packets dropped.")
        return now_ms()

    @keyword(tags=["Network"])
    def heal_partition(self, pool: str) -> None:
        """Lets packets between the pool's host and the hub through again.

        Args:
            pool: the lab pool.

        Example:
        | `Heal Partition` | far |
        """
        path = self._path(pool)
        self._nemesis().heal_partition(path["addr"])
        self.info(f"Partition of {pool} ({path['addr']}) healed.")

    @keyword(tags=["Network"])
    def add_packet_loss(self, pool: str, percent: int) -> None:
        """Drops ``percent`` % of the packets, at random, both ways between the pool's host
        and the hub (nftables ``numgen random mod 100 < N drop``); TCP retransmits them.

        Args:
            pool: the lab pool.
            percent: 0..100.

        Example:
        | `Add Packet Loss` | far | 10 |
        """
        path = self._path(pool)
        self._nemesis().set_loss(path["addr"], percent)
        self.info(f"{percent} % packet loss between {pool} ({path['addr']}) and the hub.")

    @keyword(tags=["Network"])
    def add_network_delay(
        self, pool: str, delay: timedelta, jitter: timedelta = timedelta(0)
    ) -> str:
        """Delays traffic between the pool's host and the hub by ``delay`` ± ``jitter`` in
        each direction (a round trip takes twice the delay).

        With ``tc netem`` on this kernel, netem on both veth ends delays all traffic of the
        path at once. Without it (this project's CI kernel), a delaying TCP proxy in the
        hub's namespace carries the pool's agents: agents started on the pool after this
        keyword connect through it.

        Args:
            pool: the lab pool.
            delay: one-way delay, e.g. ``200ms``.
            jitter: uniform ± variation of each delay.

        Returns:
            ``netem`` or ``proxy``: the mechanism used.

        Example:
        | `Add Network Delay` | far | 200ms | jitter=50ms |
        """
        path = self._path(pool)
        assert self.lab is not None
        delay_s, jitter_s = delay.total_seconds(), jitter.total_seconds()
        hub_ns, hub_veth = self.lab["hub_ns"], self.lab["hub_veth"]
        if path.get("veth") and netem_available(hub_ns, hub_veth):
            netem = NetemDelay([(hub_ns, hub_veth), (path["ns"], path["veth"])])
            netem.add(round(delay_s * 1000), round(jitter_s * 1000))
            self._netem[pool] = netem
            self.info(f"netem: {human(delay_s)} ± {human(jitter_s)} each way for {pool}.")
            return "netem"
        self._stop_proxy(pool)
        host = self.lab["hub_addr"]
        proxy = DelayProxy(host, (host, self._hub_port()), delay_s, jitter_s)
        port = proxy.start(self.ctx.config.connect_timeout)
        self._proxies[pool] = proxy
        self.ctx.pools.get(pool).ws_url = f"ws://{host}:{port}/ws"
        self._nemesis().apply()
        self.info(
            f"No netem on this kernel: delaying TCP proxy at {host}:{port} "
            f"({human(delay_s)} ± {human(jitter_s)} each way); agents started on {pool} "
            "from now on connect through it."
        )
        return "proxy"

    def _stop_proxy(self, pool: str) -> None:
        proxy = self._proxies.pop(pool, None)
        if proxy is not None:
            proxy.stop()
        if pool in self.ctx.pools.pools:
            self.ctx.pools.get(pool).ws_url = ""

    @keyword(tags=["Network"])
    def heal_network(self) -> None:
        """Removes every network fault: partitions, packet loss, netem delays and delay
        proxies (connections through a proxy end with it). Safe with none active.

        Example:
        | `Heal Network` |
        """
        if self._firewall is not None:
            self._firewall.heal()
        for netem in self._netem.values():
            netem.remove()
        self._netem.clear()
        for pool in list(self._proxies):
            self._stop_proxy(pool)
        self.info("Network healed: no partition, loss or delay.")

    # -- checks ----------------------------------------------------------------------------

    @keyword(tags=["Network"])
    def get_dropped_packet_count(self) -> int:
        """Returns how many packets the active partition and loss rules have dropped.

        Returns:
            The sum of the nftables counters (0 with no active rule).

        Example:
        | ${dropped} = | `Get Dropped Packet Count` |
        """
        dropped = self._firewall.dropped() if self._firewall is not None else 0
        self.info(f"The network faults dropped {dropped} packets so far.")
        return dropped
