"""The embedded development stack (Tansu broker + PostgreSQL) behind ``tapewire dev``."""

from streams.dev.session import StackSession
from streams.dev.stack import ComponentStatus, EmbeddedStack, StackStatus

__all__ = ["ComponentStatus", "EmbeddedStack", "StackSession", "StackStatus"]
