"""What workers give us: registrations (members), incident reports and their media."""
from __future__ import annotations

__all__: list[str] = []
