"""Test hosts and network faults on one machine: network namespaces joined by a veth pair
(``netns``), nftables and delay nemeses (``nemesis``), a delaying TCP proxy (``proxy``)
and the runner that puts a hub and an agent pool on either side (``lab``). Needs root."""
