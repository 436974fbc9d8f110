"""agentcom_hub: the embedded AgentCom reference hub (wire contract:
``agentcom-protocol.md``).

Modules, outside in:

- ``cli`` / ``__main__``: command line -> ``config.HubConfig``; ``server``: aiohttp app,
  ready file, signals, parent watch, clean shutdown.
- ``http_api`` / ``ws_api``: thin adapters (validation, JSON, frames) over ``hub.Hub``.
- ``hub``: composes the domain, runs timers and sweeps, turns events into scheduling.
- Domain rules, no network I/O: ``tasks`` (lifecycle, generation fencing, retries, dead
  letter, reclaim, history), ``agents`` (state records), ``scheduler`` (queued-task index
  and the pairing rule), ``tokens`` (hashed token registry), ``store`` (SQLite).
- ``faults``: the ``--fault`` switches; ``durations`` and ``jsonutil``: parsing helpers.
"""

__version__ = "0.1.0"
