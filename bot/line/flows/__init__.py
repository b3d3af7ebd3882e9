"""Conversation flows, one per file. Importing this package registers them with the runner."""
from bot.line.flows import language  # noqa: F401
from bot.line.flows import registration, report  # noqa: F401  registration and incident reports (issue 5)
from bot.line.flows import forget  # noqa: F401  FORGET and MYDATA (issue 17)
from bot.line.flows.runner import FLOWS, Runner, active, register  # noqa: F401
