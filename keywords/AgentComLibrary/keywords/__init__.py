"""Robot Framework keyword components, one per concern; ``base.LibraryComponent`` gives each
the shared context, the one ``wait`` and the log helpers."""

from .agents import AgentKeywords
from .checks import CheckKeywords
from .contract import ContractKeywords
from .contract_checks import ContractCheckKeywords
from .explore import ExploreKeywords
from .getters import GetterKeywords
from .known_defects import KnownDefectKeywords
from .load import LoadKeywords
from .network import NetworkKeywords
from .reporting import ReportingKeywords
from .routes import RouteKeywords
from .session import SessionKeywords
from .sidecars import SidecarKeywords
from .tasks import TaskKeywords
from .timeouts import TimeoutKeywords

__all__ = [
    "AgentKeywords",
    "CheckKeywords",
    "ContractCheckKeywords",
    "ContractKeywords",
    "ExploreKeywords",
    "GetterKeywords",
    "KnownDefectKeywords",
    "LoadKeywords",
    "NetworkKeywords",
    "ReportingKeywords",
    "RouteKeywords",
    "SessionKeywords",
    "SidecarKeywords",
    "TaskKeywords",
    "TimeoutKeywords",
]
