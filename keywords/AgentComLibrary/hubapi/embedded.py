"""The embedded reference hub: the hub launcher (``launcher.py``) with the hub's own
``python -m agentcom_hub ...`` command (``agentcom_hub.command``) and its ready file."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from agentcom_hub.command import hub_command

from .launcher import HubLauncher, HubLaunchError, TokenSource
from .timers import HubTimers

BOOTSTRAP_AGENT = "smoke-admin"

# The embedded hub's failures are the launcher's (one class, one message format).
EmbeddedHubError = HubLaunchError


class EmbeddedHub(HubLauncher):
    """The embedded reference hub: a :class:`HubLauncher` whose command is
    ``python -m agentcom_hub --host {host} --port {port} --data-dir {state_dir} ...`` and whose
    readiness and token come from its ready file. Its timers are what its options say.
    """

    name = "The embedded hub"

    def __init__(
        self,
        faults: Sequence[str] = (),
        options: Sequence[str] = (),
        start_timeout: float = 30.0,
        python: str = sys.executable,
        host: str = "127.0.0.1",
    ) -> None:
        self.options = list(options)
        self.python = python
        command = hub_command(
            "{state_dir}",
            ready_file="{ready_file}",
            port="{port}",
            host="{host}",
            faults=faults,
            options=self.options,
            bootstrap_agent=BOOTSTRAP_AGENT,
            python=python,
        )
        super().__init__(
            command,
            token=TokenSource("ready"),
            host=host,
            ready_file=True,
            start_timeout=start_timeout,
            timers=HubTimers.of_embedded(self.options),
        )
        self.faults = list(faults)
        self.begun_early = False  # begun while the library was imported (early_start.py)

    @property
    def data_dir(self) -> Path:
        return self.state_dir

    def command(self) -> list[str]:
        """The command line of the hub process."""
        ready = str(self.ready_file)
        return [part.replace("{ready_file}", ready) for part in super().command()]
