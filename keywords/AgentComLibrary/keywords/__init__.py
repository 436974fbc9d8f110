"""Robot Framework keyword components, one per concern."""

from .agents import AgentKeywords
from .checks import CheckKeywords
from .reporting import ReportingKeywords
from .session import SessionKeywords
from .tasks import TaskKeywords

__all__ = ["AgentKeywords", "CheckKeywords", "ReportingKeywords", "SessionKeywords", "TaskKeywords"]
