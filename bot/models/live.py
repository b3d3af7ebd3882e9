"""Live data organizers change: market status, relief distributions (and API tokens)."""
from __future__ import annotations

__all__: list[str] = []
