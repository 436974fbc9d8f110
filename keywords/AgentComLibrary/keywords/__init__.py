"""Robot Framework keyword components, one per concern; ``base.LibraryComponent`` gives each
the shared context, the one ``wait`` and the log helpers."""

from .agents import AgentKeywords
from .checks import CheckKeywords
from .contract import ContractKeywords
from .explore import ExploreKeywords
from .getters import GetterKeywords
from .known_defects import KnownDefectKeywords
from .latency import LatencyKeywords
from .load import LoadKeywords
from .network import NetworkKeywords
from .pools import PoolKeywords
from .probes import ProbeKeywords
from .reporting import ReportingKeywords
from .routes import RouteKeywords
from .session import SessionKeywords
from .sidecars import SidecarKeywords
from .tasks import TaskKeywords
from .timeouts import TimeoutKeywords

__all__ = [
    "AgentKeywords",
    "CheckKeywords",
    "ContractKeywords",
    "ExploreKeywords",
    "GetterKeywords",
    "KnownDefectKeywords",
    "LatencyKeywords",
    "LoadKeywords",
    "NetworkKeywords",
    "PoolKeywords",
    "ProbeKeywords",
    "ReportingKeywords",
    "RouteKeywords",
    "SessionKeywords",
    "SidecarKeywords",
    "TaskKeywords",
    "TimeoutKeywords",
]
