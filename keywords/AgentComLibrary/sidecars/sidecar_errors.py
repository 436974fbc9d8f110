"""The errors of real sidecars: each says what was expected, what was seen and what to do."""

from __future__ import annotations

from ..util.errors import AgentComError


class SidecarError(AgentComError):
    """A sidecar could not be prepared, started or reached."""


class NodeNotFound(SidecarError):
    """No usable ``node`` executable."""


class NodeTooOld(SidecarError):
    """``node`` is older than the sidecar needs."""


class SidecarDirInvalid(SidecarError):
    """``SIDECAR_DIR`` is not a sidecar checkout."""


class DependenciesMissing(SidecarError):
    """``npm install`` has not been run in the checkout."""


class SidecarExited(SidecarError):
    """The node process ended while it was expected to run."""


class SidecarNotConnected(SidecarError):
    """The hub never listed the sidecar's agent as connected."""


class SidecarNotIdentified(SidecarNotConnected):
    """The sidecar's WebSocket opened, but the hub never identified it."""
